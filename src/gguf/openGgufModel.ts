/**
 * A model given as one GGUF file: `{ gguf: ./model.gguf }` or `{ hub: org/name, file: model-Q4_K_M.gguf }`.
 * The tokenizer comes from the file's own metadata unless the config names one; from the Hub only the header
 * and the embedding's byte range are fetched. What the header says is remembered per Hub commit, so a rerun
 * (or an offline run) reads nothing from the Hub.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ModelRef } from '../config/types.ts';
import { TokenscapeError } from '../errors.ts';
import type { HubEnvironment } from '../hub/hubEnvironment.ts';
import { repoCacheFolder, snapshotPath } from '../hub/hubCacheLayout.ts';
import { HubRepo } from '../hub/hubRepo.ts';
import { cachedJson, hashKey } from '../pipeline/workspace.ts';
import type { ModelSource } from '../sources/openModelSource.ts';
import { hubRepoFiles, localFolderFiles } from '../sources/repoFiles.ts';
import { loadBuiltTokenizer, type TokenizerFiles } from '../tokens/builtTokenizer.ts';
import type { ModelTokenizer } from '../tokens/loadTokenizer.ts';
import { tokenizerFilesFromGguf } from './ggufTokenizer.ts';
import { GgufFile, ggufSource } from './ggufSource.ts';

type GgufRef = Extract<ModelRef, { kind: 'gguf' | 'gguf-hub' }>;

async function ggufFile(ref: GgufRef, env: HubEnvironment): Promise<GgufFile> {
  if (ref.kind === 'gguf') {
    if (!existsSync(ref.path) || !statSync(ref.path).isFile()) {
      throw new TokenscapeError(`The GGUF file ${ref.display} does not exist (${ref.path}).`, {
        file: ref.path,
        hint: 'model: { gguf: ... } is resolved relative to the config file and must name a .gguf file.',
      });
    }
    const files = localFolderFiles(dirname(ref.path), ref.display);
    return new GgufFile(files, basename(ref.path), async () => (await stat(ref.path)).size);
  }
  const repo = await HubRepo.open(env, 'model', ref.id, ref.revision);
  // Offline, the repo lists only files cached whole; a GGUF file is only ever read by ranges, and what its
  // header says is cached by Tokenscape (a missing piece then fails naming the file).
  if (!env.offline && !repo.has(ref.file)) {
    throw new TokenscapeError(`The Hub repo ${ref.id} (${ref.revision}) has no file ${ref.file}.`, {
      field: 'model.file',
      hint: 'file: names one .gguf file of the repo, as listed under "Files and versions" on its Hub page.',
    });
  }
  // Offline runs find the commit through its snapshot folder, which range reads alone never create.
  if (!env.offline) await mkdir(snapshotPath(repoCacheFolder(env.cacheDir, 'model', ref.id), repo.commit, ''), { recursive: true });
  return new GgufFile(hubRepoFiles(repo), ref.file, async () => (await repo.fileInfo(ref.file)).size);
}

/** The tokenizer files the GGUF metadata describes, remembered per Hub commit (local files are re-read). */
async function metadataTokenizerFiles(file: GgufFile, cacheDir: string): Promise<TokenizerFiles> {
  const build = async () => tokenizerFilesFromGguf(await file.readHeader(), file.label);
  const { files } = file;
  if (files.source !== 'hub') return build();
  return cachedJson(join(cacheDir, 'models', `${hashKey('gguf-tokenizer-v1', files.label, files.commit, file.path)}.json`), build);
}

export async function openGgufModel(
  ref: GgufRef,
  env: HubEnvironment,
  cacheDir: string,
  /** The `tokenizer:` of the config, when it names one. */
  configuredTokenizer?: () => Promise<ModelTokenizer>,
): Promise<ModelSource> {
  const file = await ggufFile(ref, env);
  const tokenizer = configuredTokenizer ? await configuredTokenizer() : await loadBuiltTokenizer(await metadataTokenizerFiles(file, cacheDir), cacheDir, file.label);
  return { files: file.files, tokenizer, embeddings: ggufSource(file) };
}

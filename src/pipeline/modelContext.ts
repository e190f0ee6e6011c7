/** Everything about one model that several exhibits share: its files, tokenizer and embedding bytes. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRef } from '../config/types.ts';
import { decodeRows } from '../embeddings/decodeRows.ts';
import { locateEmbeddingTensor, type LocatedTensor } from '../embeddings/locateEmbeddingTensor.ts';
import { TokenscapeError } from '../errors.ts';
import type { HubEnvironment } from '../hub/hubEnvironment.ts';
import { HubRepo } from '../hub/hubRepo.ts';
import { hubRepoFiles, localFolderFiles, type RepoFiles } from '../sources/repoFiles.ts';
import { loadTokenizer, type ModelTokenizer } from '../tokens/loadTokenizer.ts';
import { hashKey, produceAtomically, writeFileAtomic, type Workspace } from './workspace.ts';

export interface ModelContext {
  files: RepoFiles;
  tokenizer: ModelTokenizer;
  tensor: LocatedTensor;
  /** Content address of the embedding bytes. */
  embeddingKey: string;
  rows: number;
  cols: number;
  /** Decodes the given rows to float32 (row-major), failing on NaN/Inf. */
  readRows(ids: ArrayLike<number>): Promise<Float32Array>;
}

/**
 * Where the embedding is in a hub commit never changes, so it is remembered: a rerun (or an offline run)
 * needs no header request at all. Local folders are re-read, since their files can change in place.
 */
async function locateOnce(files: RepoFiles, tokenizer: ModelTokenizer, workspace: Workspace) {
  const locate = async () => {
    const tensor = await locateEmbeddingTensor(files, tokenizer.vocabSize, tokenizer.configVocabSize);
    return { tensor, shardIdentity: await files.identity(tensor.file) };
  };
  if (files.source !== 'hub') return locate();
  const path = join(workspace.cacheDir, 'models', `${hashKey('embedding-location-v1', files.label, files.commit)}.json`);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Awaited<ReturnType<typeof locate>>;
  } catch {
    const located = await locate();
    await writeFileAtomic(path, JSON.stringify(located));
    return located;
  }
}

export async function openModel(ref: ModelRef, env: HubEnvironment, workspace: Workspace): Promise<ModelContext> {
  const files =
    ref.kind === 'hub' ? hubRepoFiles(await HubRepo.open(env, 'model', ref.id, ref.revision)) : localFolderFiles(ref.path, ref.display);
  const tokenizer = await loadTokenizer(files);
  const { tensor, shardIdentity } = await locateOnce(files, tokenizer, workspace);
  const [rows, cols] = tensor.shape;
  const embeddingKey = hashKey('embedding-v1', shardIdentity, tensor.name, tensor.dtype, tensor.shape, tensor.begin, tensor.end);
  const rawPath = join(workspace.cacheDir, 'embeddings', `${embeddingKey}.bin`);
  await produceAtomically(rawPath, async (temp) => {
    await files.copyRange(tensor.file, tensor.begin, tensor.end, temp, `${files.label} ${tensor.name} (${tensor.dtype} ${rows}×${cols})`);
    const size = (await stat(temp)).size;
    if (size !== tensor.end - tensor.begin) {
      throw new TokenscapeError(`Got ${size} bytes of ${tensor.name}, expected ${tensor.end - tensor.begin}.`, { hint: 'Run the build again.' });
    }
  });

  let raw: Uint8Array | null = null;
  return {
    files,
    tokenizer,
    tensor,
    embeddingKey,
    rows,
    cols,
    async readRows(ids) {
      raw ??= await readFile(rawPath);
      const out = new Float32Array(ids.length * cols);
      const bad = decodeRows(raw, tensor.dtype, cols, ids, out);
      if (bad > 0) {
        throw new TokenscapeError(`${bad} of ${ids.length} embedding rows of ${tensor.name} contain NaN or Infinity.`, {
          file: files.describe(tensor.file),
          field: tensor.name,
          hint: 'The weights are damaged or were saved in overflowing precision; use another revision of the model.',
        });
      }
      return out;
    },
  };
}

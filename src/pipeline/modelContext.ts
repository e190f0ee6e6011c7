/** Everything about one model that several exhibits share: its files, tokenizer and embedding bytes. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRef } from '../config/types.ts';
import { EmbeddingFile } from '../embeddings/embeddingFile.ts';
import { locateEmbeddingTensor, type LocatedTensor } from '../embeddings/locateEmbeddingTensor.ts';
import { TokenscapeError } from '../errors.ts';
import type { HubEnvironment } from '../hub/hubEnvironment.ts';
import { HubRepo } from '../hub/hubRepo.ts';
import { hubRepoFiles, localFolderFiles, type RepoFiles } from '../sources/repoFiles.ts';
import { loadTokenizer, type ModelTokenizer } from '../tokens/loadTokenizer.ts';
import { cachedJson, hashKey, produceAtomically, type Workspace } from './workspace.ts';

export interface ModelContext {
  files: RepoFiles;
  tokenizer: ModelTokenizer;
  tensor: LocatedTensor;
  /** Content address of the embedding bytes. */
  embeddingKey: string;
  rows: number;
  cols: number;
  /** The cached embedding slice, read in windows. */
  embedding: EmbeddingFile;
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
  return cachedJson(join(workspace.cacheDir, 'models', `${hashKey('embedding-location-v1', files.label, files.commit)}.json`), locate);
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

  return {
    files,
    tokenizer,
    tensor,
    embeddingKey,
    rows,
    cols,
    embedding: new EmbeddingFile(rawPath, tensor.dtype, rows, cols, `${tensor.name} of ${files.describe(tensor.file)}`),
  };
}

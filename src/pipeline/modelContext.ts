/** Everything about one model that several exhibits share: its files, tokenizer and embedding bytes. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRef, TensorRole } from '../config/types.ts';
import { EmbeddingFile } from '../embeddings/embeddingFile.ts';
import type { EmbeddingLocation } from '../embeddings/embeddingSource.ts';
import { DTYPE_BYTES } from '../embeddings/safetensorsHeader.ts';
import { TokenscapeError } from '../errors.ts';
import type { HubEnvironment } from '../hub/hubEnvironment.ts';
import { openModelSource, type ModelSource } from '../sources/openModelSource.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import type { ModelTokenizer } from '../tokens/loadTokenizer.ts';
import { cachedJson, hashKey, produceAtomically, type Workspace } from './workspace.ts';

/** One matrix of one model, as the stages use it. */
export interface ModelContext {
  files: RepoFiles;
  tokenizer: ModelTokenizer;
  tensor: EmbeddingLocation;
  /** Content address of the embedding bytes. */
  embeddingKey: string;
  rows: number;
  cols: number;
  /** The embedding slice (in the cache, or in place in a local model file), read in windows. */
  embedding: EmbeddingFile;
}

/** A model opened once (files, tokenizer), whose matrices are materialised on first use. */
export interface OpenedModel {
  source: ModelSource;
  matrix(role: TensorRole): Promise<ModelContext>;
}

/**
 * Where the embedding is in a hub commit never changes, so it is remembered: a rerun (or an offline run)
 * needs no header request at all. Local files are re-read, since they can change in place.
 */
async function locateOnce(ref: ModelRef, source: ModelSource, role: TensorRole, workspace: Workspace): Promise<EmbeddingLocation> {
  const { files, embeddings, tokenizer } = source;
  const locate = () => embeddings.locate(role, tokenizer);
  if (files.source !== 'hub') return locate();
  const key = hashKey('embedding-location-v2', embeddings.format, files.label, files.commit, role, ref, tokenizer.identity);
  return cachedJson(join(workspace.cacheDir, 'models', `${key}.json`), locate);
}

async function materialise(source: ModelSource, tensor: EmbeddingLocation, workspace: Workspace): Promise<ModelContext> {
  const { files } = source;
  const { rows, cols } = tensor;
  // The role is not part of the key: a tied model's input and output are one slice.
  const embeddingKey = hashKey('embedding-v2', tensor.fileIdentity, tensor.name, tensor.storedDtype, tensor.dtype, rows, cols, tensor.begin, tensor.end);
  const expected = rows * cols * DTYPE_BYTES[tensor.dtype];
  const describe = `${tensor.name} of ${files.describe(tensor.file)}`;
  const inPlace = await source.embeddings.inPlace?.(tensor);
  if (inPlace) {
    const size = (await stat(inPlace.path)).size;
    if (size < inPlace.byteOffset + expected) {
      throw new TokenscapeError(`${files.describe(tensor.file)} is ${size} bytes, too short for ${tensor.name} (${expected} bytes from byte ${inPlace.byteOffset}).`, {
        file: files.describe(tensor.file),
        hint: 'The file is truncated or was replaced while this build ran; copy it again.',
      });
    }
    const embedding = new EmbeddingFile(inPlace.path, tensor.dtype, rows, cols, describe, inPlace.byteOffset);
    return { files, tokenizer: source.tokenizer, tensor, embeddingKey, rows, cols, embedding };
  }
  const rawPath = join(workspace.cacheDir, 'embeddings', `${embeddingKey}.bin`);
  await produceAtomically(rawPath, async (temp) => {
    await source.embeddings.materialise(tensor, temp);
    const size = (await stat(temp)).size;
    if (size !== expected) {
      throw new TokenscapeError(`Got ${size} bytes of ${tensor.name}, expected ${expected}.`, { hint: 'Run the build again.' });
    }
  });
  return {
    files,
    tokenizer: source.tokenizer,
    tensor,
    embeddingKey,
    rows,
    cols,
    embedding: new EmbeddingFile(rawPath, tensor.dtype, rows, cols, describe),
  };
}

export async function openModel(ref: ModelRef, env: HubEnvironment, workspace: Workspace): Promise<OpenedModel> {
  const source = await openModelSource(ref, env, workspace.cacheDir);
  const matrices = new Map<TensorRole, Promise<ModelContext>>();
  return {
    source,
    matrix(role) {
      if (!matrices.has(role)) matrices.set(role, locateOnce(ref, source, role, workspace).then((tensor) => materialise(source, tensor, workspace)));
      return matrices.get(role)!;
    },
  };
}

/**
 * One embedding matrix, whatever file format holds it (safetensors, GGUF, llama2.c). A source finds the
 * matrix from headers alone and then writes it to the cache slice in a dtype EmbeddingFile reads; the later
 * stages (PCA, projection) only ever see that slice, never the format.
 */
import type { TensorRole } from '../config/types.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import type { ModelTokenizer } from '../tokens/loadTokenizer.ts';

/** Element types of a cache slice: what EmbeddingFile decodes. */
export type SliceDtype = 'F32' | 'F16' | 'BF16';

/**
 * Where one matrix is, as plain JSON: it is remembered per Hub commit, so a rerun needs no header request.
 * Rows are tokens, columns the hidden size, row-major.
 */
export interface EmbeddingLocation {
  role: TensorRole;
  /** The tensor's name in the file, e.g. model.embed_tokens.weight, token_embd.weight, lm_head.weight. */
  name: string;
  /** Input and output embedding are one matrix (tie_word_embeddings, or only one of them stored). */
  tied: boolean;
  rows: number;
  cols: number;
  /** The element type in the file, e.g. BF16 or Q4_K. */
  storedDtype: string;
  /** The element type of the cache slice (quantised types are dequantised while it is written). */
  dtype: SliceDtype;
  /** The file (a path of the source's RepoFiles) and the byte range [begin, end) the matrix occupies there. */
  file: string;
  begin: number;
  end: number;
  /** Changes whenever the file's content does (an etag, or size and mtime locally). */
  fileIdentity: string;
}

export interface EmbeddingSource {
  /** For messages and cache keys only; the stages never branch on it. */
  readonly format: 'safetensors' | 'gguf' | 'llama2c';
  /** Where the weights live (a Hub repo or a local folder). */
  readonly files: RepoFiles;
  /** Finds the matrix of `role` from headers alone; a model without one is an error naming the file. */
  locate(role: TensorRole, tokenizer: ModelTokenizer): Promise<EmbeddingLocation>;
  /**
   * Writes the matrix to `dest` as rows × cols elements of `location.dtype`, row-major, nothing else:
   * exactly rows × cols × bytes(dtype) bytes (the caller checks, then renames it into the cache).
   */
  materialise(location: EmbeddingLocation, dest: string): Promise<void>;
  /**
   * Where the slice's bytes already lie, byte for byte, in a file on this machine (a local model stored as
   * F32/F16/BF16), so the stages read them there instead of from a copy; null when they must be materialised.
   * A 1 GB vocabulary copied into the cache costs seconds and a second gigabyte of page cache on every change.
   */
  inPlace?(location: EmbeddingLocation): Promise<{ path: string; byteOffset: number } | null>;
}

/**
 * Opens a model of any config form: where its files are, its tokenizer, and the source of its embedding
 * matrices. This is the one place that knows the formats; everything after it sees a ModelSource.
 */
import type { ModelRef, TokenizerRef } from '../config/types.ts';
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { EmbeddingSource } from '../embeddings/embeddingSource.ts';
import { llama2cSource } from '../embeddings/llama2cSource.ts';
import { safetensorsSource } from '../embeddings/safetensorsSource.ts';
import { TokenscapeError } from '../errors.ts';
import { openGgufModel } from '../gguf/openGgufModel.ts';
import type { HubEnvironment } from '../hub/hubEnvironment.ts';
import { HubRepo } from '../hub/hubRepo.ts';
import { loadBuiltTokenizer } from '../tokens/builtTokenizer.ts';
import { readLlama2cTokenizer } from '../tokens/llama2cTokenizer.ts';
import { loadTokenizer, type ModelTokenizer } from '../tokens/loadTokenizer.ts';
import { sentencePieceBpeFiles } from '../tokens/sentencepieceFromScores.ts';
import { hubRepoFiles, localFolderFiles, type RepoFiles } from './repoFiles.ts';

export interface ModelSource {
  /** Where the weights live: a Hub repo or a local folder (for the manifest and messages). */
  files: RepoFiles;
  tokenizer: ModelTokenizer;
  embeddings: EmbeddingSource;
}

/** A tokenizer named apart from the weights (`tokenizer:` in the config). */
export async function openTokenizer(ref: TokenizerRef, env: HubEnvironment, cacheDir: string): Promise<ModelTokenizer> {
  switch (ref.kind) {
    case 'hub':
      return loadTokenizer(hubRepoFiles(await HubRepo.open(env, 'model', ref.id, ref.revision)));
    case 'local':
      return loadTokenizer(localFolderFiles(ref.path, ref.display));
    case 'llama2c':
      return loadBuiltTokenizer(sentencePieceBpeFiles(await readLlama2cTokenizer(ref.path, ref.display)), cacheDir, ref.display);
  }
}

export async function openModelSource(ref: ModelRef, env: HubEnvironment, cacheDir: string): Promise<ModelSource> {
  switch (ref.kind) {
    case 'hub':
    case 'local': {
      const files = ref.kind === 'hub' ? hubRepoFiles(await HubRepo.open(env, 'model', ref.id, ref.revision)) : localFolderFiles(ref.path, ref.display);
      const tokenizer = ref.tokenizer ? await openTokenizer(ref.tokenizer, env, cacheDir) : await loadTokenizer(files);
      return { files, tokenizer, embeddings: safetensorsSource(files) };
    }
    case 'gguf':
    case 'gguf-hub':
      return openGgufModel(ref, env, cacheDir, ref.tokenizer && (() => openTokenizer(ref.tokenizer!, env, cacheDir)));
    case 'llama2c': {
      if (!existsSync(ref.path)) {
        throw new TokenscapeError(`The llama2.c checkpoint ${ref.display} does not exist (${ref.path}).`, { file: ref.path, hint: 'llama2c: is resolved relative to the config file.' });
      }
      const files = localFolderFiles(dirname(ref.path), ref.display);
      const tokenizer = await openTokenizer(ref.tokenizer, env, cacheDir);
      return { files, tokenizer, embeddings: llama2cSource(files, basename(ref.path), ref.path, ref.display) };
    }
  }
}

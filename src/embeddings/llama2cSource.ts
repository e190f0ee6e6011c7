/** The embedding source of a llama2.c checkpoint: the float32 token embedding table (or the classifier wcls). */
import { stat } from 'node:fs/promises';
import { TokenscapeError } from '../errors.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import type { EmbeddingLocation, EmbeddingSource } from './embeddingSource.ts';
import { LLAMA2C_HEADER_BYTES, parseLlama2cHeader } from './llama2cCheckpoint.ts';

/** `files` is the checkpoint's folder and `file` its name there; `path` is the checkpoint itself (llama2.c files are local). */
export function llama2cSource(files: RepoFiles, file: string, path: string, display: string): EmbeddingSource {
  return {
    format: 'llama2c',
    files,
    async locate(role, tokenizer): Promise<EmbeddingLocation> {
      const fileSize = await stat(path).then((s) => s.size, () => {
        throw new TokenscapeError(`The llama2.c checkpoint ${display} does not exist (${path}).`, { file: path, hint: 'llama2c: is resolved relative to the config file.' });
      });
      const header = parseLlama2cHeader(await files.readRange(file, 0, Math.min(LLAMA2C_HEADER_BYTES, fileSize)), fileSize, display);
      if (tokenizer.vocabSize !== header.vocabSize) {
        throw new TokenscapeError(
          `The llama2.c checkpoint ${display} has vocab_size ${header.vocabSize}, but its tokenizer has ${tokenizer.vocabSize} tokens.`,
          { file: files.describe(file), field: 'vocab_size', hint: 'Use the tokenizer.bin the model was trained with (tokenizer: in the config).' },
        );
      }
      const range = role === 'output' ? header.classifier : header.embedding;
      return {
        role,
        name: role === 'output' && !header.tied ? 'wcls' : 'token_embedding_table',
        tied: header.tied,
        rows: header.vocabSize,
        cols: header.dim,
        storedDtype: 'F32',
        dtype: 'F32',
        file,
        begin: range.begin,
        end: range.end,
        fileIdentity: await files.identity(file),
      };
    },
    materialise: (at, dest) => files.copyRange(at.file, at.begin, at.end, dest, `${display} ${at.name} (F32 ${at.rows}×${at.cols})`),
    inPlace: async (at) => ({ path, byteOffset: at.begin }),
  };
}

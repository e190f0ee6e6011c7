/** The embedding source of a Hugging Face model: a tensor of its safetensors weights, copied byte for byte. */
import type { RepoFiles } from '../sources/repoFiles.ts';
import type { EmbeddingLocation, EmbeddingSource, SliceDtype } from './embeddingSource.ts';
import { locateEmbeddingMatrix, readTieWordEmbeddings } from './locateEmbeddingTensor.ts';

export function safetensorsSource(files: RepoFiles): EmbeddingSource {
  return {
    format: 'safetensors',
    files,
    async locate(role, tokenizer): Promise<EmbeddingLocation> {
      const t = await locateEmbeddingMatrix(files, role, tokenizer.vocabSize, tokenizer.configVocabSize, await readTieWordEmbeddings(files));
      return {
        role,
        name: t.name,
        tied: t.tied,
        rows: t.shape[0],
        cols: t.shape[1],
        storedDtype: t.dtype,
        dtype: t.dtype as SliceDtype,
        file: t.file,
        begin: t.begin,
        end: t.end,
        fileIdentity: await files.identity(t.file),
      };
    },
    // F32, F16 and BF16 are what EmbeddingFile reads: the slice is the tensor's own bytes.
    materialise: (at, dest) => files.copyRange(at.file, at.begin, at.end, dest, `${files.label} ${at.name} (${at.dtype} ${at.rows}×${at.cols})`),
    inPlace: async (at) => (files.source === 'local' ? { path: await files.localPath(at.file), byteOffset: at.begin } : null),
  };
}

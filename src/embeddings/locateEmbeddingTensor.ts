/** Finds the input-embedding tensor of a model by reading only safetensors headers. */
import { TokenscapeError } from '../errors.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import { parseSafetensorsHeader, readHeaderLength, type SafetensorsTensor } from './safetensorsHeader.ts';

/** Input-embedding names across architectures, most common first. */
export const EMBEDDING_TENSOR_NAMES = [
  'model.embed_tokens.weight', // LLaMA, Mistral, Qwen, Gemma
  'transformer.wte.weight', // GPT-2, GPT-J, Falcon
  'tok_embeddings.weight', // Meta's original LLaMA checkpoints
  'embeddings.word_embeddings.weight', // BERT-style encoders
  'bert.embeddings.word_embeddings.weight',
  'roberta.embeddings.word_embeddings.weight',
  'gpt_neox.embed_in.weight', // Pythia
  'transformer.word_embeddings.weight', // BLOOM
  'model.decoder.embed_tokens.weight', // OPT
  'model.embed_in.weight',
  'model.language_model.embed_tokens.weight', // multimodal wrappers
  'language_model.model.embed_tokens.weight',
  'embed_tokens.weight',
  'wte.weight',
];
const EMBEDDING_SUFFIXES = ['embed_tokens.weight', 'word_embeddings.weight', 'wte.weight', 'embed_in.weight', 'tok_embeddings.weight'];

export interface LocatedTensor extends SafetensorsTensor {
  /** The safetensors file (shard) that holds it. */
  file: string;
}

/** Which safetensors files to look in, and which one the index says holds each name. */
async function weightFiles(files: RepoFiles): Promise<{ candidates: string[]; weightMap: Map<string, string> | null }> {
  if (files.has('model.safetensors.index.json')) {
    const path = await files.localPath('model.safetensors.index.json');
    const { readFile } = await import('node:fs/promises');
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new TokenscapeError(`model.safetensors.index.json of ${files.label} is not valid JSON (${(error as Error).message}).`, { file: path });
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new TokenscapeError(`model.safetensors.index.json of ${files.label} has no weight_map.`, { file: path });
    }
    const weightMap = new Map(Object.entries(index.weight_map));
    return { candidates: [...new Set(weightMap.values())], weightMap };
  }
  if (files.has('model.safetensors')) return { candidates: ['model.safetensors'], weightMap: null };
  const hint = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5'].find((f) => files.has(f));
  throw new TokenscapeError(`${files.label} has no safetensors weights (model.safetensors or model.safetensors.index.json).`, {
    hint: hint
      ? `It only has ${hint}; Tokenscape reads safetensors so that it can fetch the embedding alone. Pick a revision or mirror with safetensors weights.`
      : 'Tokenscape reads the embedding tensor from safetensors weights.',
  });
}

async function readHeader(files: RepoFiles, file: string) {
  const label = files.describe(file);
  const length = readHeaderLength(await files.readRange(file, 0, 8), label);
  return parseSafetensorsHeader(await files.readRange(file, 8, 8 + length), label, null);
}

function pickEmbedding(names: Iterable<string>): string[] {
  const all = [...names];
  const known = EMBEDDING_TENSOR_NAMES.filter((n) => all.includes(n));
  const bySuffix = all.filter((n) => !known.includes(n) && EMBEDDING_SUFFIXES.some((s) => n.endsWith(s)));
  return [...known, ...bySuffix];
}

export async function locateEmbeddingTensor(files: RepoFiles, vocabSize: number, configVocabSize: number | null): Promise<LocatedTensor> {
  const { candidates, weightMap } = await weightFiles(files);
  const fits = (t: SafetensorsTensor) =>
    t.shape.length === 2 && t.shape[0] >= vocabSize && (configVocabSize === null || t.shape[0] === configVocabSize);
  const rejected: string[] = [];

  // With an index, read only the shard(s) that the known names point to.
  const order = weightMap ? [...new Set(pickEmbedding(weightMap.keys()).map((n) => weightMap.get(n)!))] : candidates;
  for (const file of order) {
    const header = await readHeader(files, file);
    for (const name of pickEmbedding(header.tensors.keys())) {
      const t = header.tensors.get(name)!;
      if (!fits(t)) {
        rejected.push(`${name} ${JSON.stringify(t.shape)}`);
        continue;
      }
      if (!['F32', 'F16', 'BF16'].includes(t.dtype)) {
        throw new TokenscapeError(`The embedding tensor ${name} of ${files.label} is ${t.dtype}; Tokenscape reads F32, F16 and BF16.`, {
          file: files.describe(file),
          field: name,
        });
      }
      return { ...t, file };
    }
  }
  throw new TokenscapeError(`No input-embedding tensor found in ${files.label}.`, {
    hint: rejected.length
      ? `Candidates did not match the vocabulary (${vocabSize} tokens${configVocabSize ? `, config vocab_size ${configVocabSize}` : ''}): ${rejected.join(', ')}.`
      : `Looked for ${EMBEDDING_TENSOR_NAMES.slice(0, 4).join(', ')}, … in ${order.join(', ') || 'no safetensors file'}.`,
  });
}

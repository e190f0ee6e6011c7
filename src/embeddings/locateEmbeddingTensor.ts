/** Finds the input-embedding tensor of a model by reading only safetensors headers. */
import { TokenscapeError } from '../errors.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import { parseSafetensorsHeader, readHeaderLength, type SafetensorsHeader, type SafetensorsTensor } from './safetensorsHeader.ts';

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
    const badEntry = [...weightMap].find(([, shard]) => typeof shard !== 'string' || shard === '' || shard.split('/').includes('..'));
    if (badEntry) {
      throw new TokenscapeError(`model.safetensors.index.json of ${files.label} maps "${badEntry[0]}" to ${JSON.stringify(badEntry[1])}, which is not a file name.`, { file: path, field: badEntry[0] });
    }
    return { candidates: [...new Set(weightMap.values())], weightMap };
  }
  if (files.has('model.safetensors')) return { candidates: ['model.safetensors'], weightMap: null };
  const other = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'model.bin', 'tf_model.h5', 'flax_model.msgpack', 'model.ckpt.index'].filter((f) => files.has(f));
  if (other.length === 0) {
    throw new TokenscapeError(`${files.label} has no safetensors weights (model.safetensors or model.safetensors.index.json).`, {
      hint: 'Tokenscape reads the embedding tensor from safetensors weights; check the model id or folder.',
    });
  }
  const pickle = other.some((f) => f.startsWith('pytorch_model') || f === 'model.bin');
  const convert =
    files.source === 'hub'
      ? `Many Hub repos have a safetensors copy in an open pull request of the conversion bot ("Adding \`safetensors\` variant"): set revision: refs/pr/<number> to use it. Otherwise convert it once: python3 -c "from transformers import AutoModelForCausalLM as M; M.from_pretrained('${files.label}').save_pretrained('./${files.label.split('/').at(-1)}-safetensors')" and use model: { path: ./${files.label.split('/').at(-1)}-safetensors }.`
      : `Convert it once: python3 -c "from transformers import AutoModelForCausalLM as M; M.from_pretrained('${files.describe('')}').save_pretrained('${files.describe('')}-safetensors')" (safe_serialization is the default) and point model: { path: } at the new folder.`;
  throw new TokenscapeError(`${files.label} has only ${other.join(' and ')}, no safetensors weights; Tokenscape does not read ${pickle ? 'PyTorch pickle' : 'these'} files.`, {
    file: files.describe(other[0]),
    hint: `${pickle ? 'A pickle cannot be read in part (the embedding would mean downloading and unpickling the whole checkpoint) and unpickling can run arbitrary code. ' : 'Tokenscape reads safetensors, whose header says where the embedding is, so that it fetches the embedding alone. '}${convert}`,
  });
}

/** Headers are read in pieces of this size, so memory follows what the file really holds, not what it claims. */
const HEADER_PIECE = 4 * 1024 * 1024;

async function readHeader(files: RepoFiles, file: string): Promise<SafetensorsHeader> {
  const label = files.describe(file);
  const length = readHeaderLength(await files.readRange(file, 0, 8), label);
  const pieces: Uint8Array[] = [];
  for (let at = 8; at < 8 + length; at += HEADER_PIECE) pieces.push(await files.readRange(file, at, Math.min(8 + length, at + HEADER_PIECE)));
  return parseSafetensorsHeader(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces), label, null);
}

/**
 * Reads the tensor's last byte: a truncated download, or a header whose offsets or dtype promise more data
 * than the file has, fails here with the tensor named, not later as a short copy.
 */
async function checkTensorInFile(files: RepoFiles, file: string, t: SafetensorsTensor): Promise<void> {
  if (t.end <= t.begin) return;
  try {
    await files.readRange(file, t.end - 1, t.end);
  } catch (error) {
    if (error instanceof TokenscapeError && /ends at byte|ends before byte|HTTP 416/.test(error.message)) {
      throw new TokenscapeError(
        `${files.describe(file)}: tensor "${t.name}" (${t.dtype} ${JSON.stringify(t.shape)}) ends at byte ${t.end}, past the end of the file.`,
        { file: files.describe(file), field: t.name, hint: 'The file is truncated or its header is wrong; download it again.' },
      );
    }
    throw error;
  }
}

function pickEmbedding(names: Iterable<string>): string[] {
  const all = [...names];
  const known = EMBEDDING_TENSOR_NAMES.filter((n) => all.includes(n));
  const bySuffix = all.filter((n) => !known.includes(n) && EMBEDDING_SUFFIXES.some((s) => n.endsWith(s)));
  return [...known, ...bySuffix];
}

/** Output-embedding (unembedding, "LM head") names across architectures, most common first. */
export const OUTPUT_TENSOR_NAMES = [
  'lm_head.weight', // LLaMA, Mistral, Qwen, Gemma, GPT-2 (tied), phi
  'embed_out.weight', // GPT-NeoX, Pythia
  'output.weight', // Meta's original LLaMA checkpoints
  'model.lm_head.weight',
  'language_model.lm_head.weight',
  'transformer.lm_head.weight',
  'cls.predictions.decoder.weight', // BERT masked-LM head
  'lm_head.decoder.weight', // RoBERTa
];

function pickOutput(names: Iterable<string>): string[] {
  const all = [...names];
  return OUTPUT_TENSOR_NAMES.filter((n) => all.includes(n));
}

/** A located matrix, and whether input and output embedding are one matrix. */
export interface LocatedMatrix extends LocatedTensor {
  tied: boolean;
}

/** config.json's tie_word_embeddings (also under text_config): true, false, or null when the config is silent. */
export async function readTieWordEmbeddings(files: RepoFiles): Promise<boolean | null> {
  if (!files.has('config.json')) return null;
  const { readFile } = await import('node:fs/promises');
  try {
    const config = JSON.parse(await readFile(await files.localPath('config.json'), 'utf8')) as Record<string, unknown>;
    const text = (config?.text_config ?? {}) as Record<string, unknown>;
    const tie = config?.tie_word_embeddings ?? text.tie_word_embeddings;
    return typeof tie === 'boolean' ? tie : null;
  } catch {
    return null; // the tokenizer stage already named a broken config.json
  }
}

export async function locateEmbeddingTensor(files: RepoFiles, vocabSize: number, configVocabSize: number | null): Promise<LocatedTensor> {
  return locateEmbeddingMatrix(files, 'input', vocabSize, configVocabSize, await readTieWordEmbeddings(files));
}

/**
 * Finds the input embedding (`role: input`) or the unembedding (`role: output`) from safetensors headers.
 * Tied models store one matrix under either name (safetensors.torch.save_model keeps one and records the
 * other in `__metadata__`), so for them both roles are that one matrix, wherever it is stored.
 */
export async function locateEmbeddingMatrix(
  files: RepoFiles,
  role: 'input' | 'output',
  vocabSize: number,
  configVocabSize: number | null,
  tieWordEmbeddings: boolean | null,
): Promise<LocatedMatrix> {
  const { candidates, weightMap } = await weightFiles(files);
  const fits = (t: SafetensorsTensor) =>
    t.shape.length === 2 && t.shape[0] >= vocabSize && (configVocabSize === null || t.shape[0] === configVocabSize);
  const rejected: string[] = [];
  const headers = new Map<string, SafetensorsHeader>();
  const headerOf = async (file: string) => {
    if (!files.has(file)) {
      throw new TokenscapeError(`${files.label}: model.safetensors.index.json names the shard ${file}, which is not there.`, {
        file: files.describe('model.safetensors.index.json'),
        hint: 'The model is incomplete (a shard missing from the folder or the repository).',
      });
    }
    if (!headers.has(file)) headers.set(file, await readHeader(files, file));
    return headers.get(file)!;
  };
  // Every stored tensor name and its file: from the index, or from the one file's header.
  const stored = new Map<string, string>();
  if (weightMap) for (const [name, file] of weightMap) stored.set(name, file);
  else for (const file of candidates) for (const name of (await headerOf(file)).tensors.keys()) stored.set(name, file);

  /** The first of `names` that is stored with a shape that fits the vocabulary, checked and located. */
  const firstFitting = async (names: string[]): Promise<LocatedTensor | null> => {
    for (const name of names) {
      const file = stored.get(name)!;
      const t = (await headerOf(file)).tensors.get(name);
      if (!t) continue;
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
      if (t.shape[1] === 0) {
        throw new TokenscapeError(`The embedding tensor ${name} of ${files.label} has shape ${JSON.stringify(t.shape)}: no dimensions to project.`, {
          file: files.describe(file),
          field: name,
        });
      }
      await checkTensorInFile(files, file, t);
      return { ...t, file };
    }
    return null;
  };

  const inputNames = pickEmbedding(stored.keys());
  const outputNames = pickOutput(stored.keys());
  // `__metadata__` aliases of the headers that hold the candidates: dropped name → kept name.
  const aliases = new Map<string, string>();
  for (const name of [...inputNames, ...outputNames].slice(0, 4)) for (const [k, v] of (await headerOf(stored.get(name)!)).metadata) aliases.set(k, v);
  const aliasedInput = [...EMBEDDING_TENSOR_NAMES, ...EMBEDDING_SUFFIXES].some((n) => aliases.has(n) && stored.has(aliases.get(n)!));
  const aliasedOutput = OUTPUT_TENSOR_NAMES.some((n) => aliases.has(n) && stored.has(aliases.get(n)!));

  let input = await firstFitting(inputNames);
  let tied: boolean;
  if (input) {
    tied = tieWordEmbeddings === true || aliasedOutput || (tieWordEmbeddings === null && outputNames.length === 0);
  } else {
    // No input name stored: a tied model keeps the matrix under the output name (e.g. only lm_head.weight).
    tied = tieWordEmbeddings !== false || aliasedInput;
    input = tied ? await firstFitting(outputNames) : null;
  }
  const where = [...new Set(stored.values())];
  if (role === 'input' || tied) {
    if (input) return { ...input, tied };
    throw new TokenscapeError(`No input-embedding tensor found in ${files.label}.`, {
      ...(where.length === 1 ? { file: files.describe(where[0]) } : {}),
      hint: rejected.length
        ? `Candidates did not match the vocabulary (${vocabSize} tokens${configVocabSize ? `, config vocab_size ${configVocabSize}` : ''}): ${rejected.join(', ')}.`
        : outputNames.length && tieWordEmbeddings === false
          ? `It stores only the output embedding ${outputNames[0]}, and config.json says tie_word_embeddings: false, so that is not the input embedding; map it with tensor: output.`
          : `Looked for ${EMBEDDING_TENSOR_NAMES.slice(0, 4).join(', ')}, … in ${where.join(', ') || 'no safetensors file'}.`,
    });
  }
  const output = await firstFitting(outputNames);
  if (output) return { ...output, tied: false };
  throw new TokenscapeError(`No output-embedding (unembedding) tensor found in ${files.label}.`, {
    ...(where.length === 1 ? { file: files.describe(where[0]) } : {}),
    hint: rejected.length
      ? `Candidates did not match the vocabulary (${vocabSize} tokens${configVocabSize ? `, config vocab_size ${configVocabSize}` : ''}): ${rejected.join(', ')}.`
      : `Looked for ${OUTPUT_TENSOR_NAMES.slice(0, 4).join(', ')}, …; the model is not tied (config.json tie_word_embeddings: false), so map the input embedding (tensor: input) instead.`,
  });
}

/**
 * A complete, tiny Hugging Face model folder that loads in milliseconds: a word-level tokenizer over a few
 * dozen English words, config.json and an F32 safetensors file. The tests that break models one way at a
 * time start from this, so every failure they see is the one they caused.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, type TensorSpec } from './safetensors.ts';

export const TINY_WORDS = [
  'the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'to', 'big', 'red', 'house', 'and', 'small', 'blue', 'car',
  'in', 'rain', 'sun', 'moon', 'star', 'tree', 'river', 'stone', 'bird', 'sang', 'song', 'night', 'day', 'light',
  'dark', 'old', 'new', 'road', 'home', 'far', 'near', 'wind', 'fire', 'water',
];
export const TINY_SPECIAL = ['<unk>', '<s>', '</s>'];
/** Token strings: the special tokens, then the words. */
export const TINY_VOCAB = [...TINY_SPECIAL, ...TINY_WORDS];

export const TINY_CORPUS = [
  'the cat sat on a mat',
  'a big red dog ran to the house',
  'the small blue car in the rain',
  'sun and moon and star over the old road',
  'the bird sang a song in the night',
  '',
].join('\n');

/** tokenizer.json for a word-level model (whitespace split, unknown words become <unk>). */
export function tinyTokenizerJson(vocab: string[] = TINY_VOCAB): string {
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TINY_SPECIAL.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(vocab.map((w, i) => [w, i])), unk_token: '<unk>' },
  });
}

export const TINY_TOKENIZER_CONFIG = JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '<unk>', bos_token: '<s>', eos_token: '</s>' });

/** Deterministic, well-spread embedding values (no two rows alike, no NaN). */
export function tinyEmbedding(rows: number, cols: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.7 + Math.floor(i / cols) * 1.3) * (1 + (i % cols) / cols));
}

export interface TinyModelOptions {
  /** Embedding rows (default: the vocabulary size). */
  rows?: number;
  /** Hidden size (default 8). */
  cols?: number;
  /** Extra or replaced files (name → content); `null` removes a file. */
  files?: Record<string, string | Uint8Array | null>;
  /** Replaces the tensors of model.safetensors. */
  tensors?: Record<string, TensorSpec>;
  vocab?: string[];
}

export function tinyTensors(rows: number, cols: number): Record<string, TensorSpec> {
  return {
    'lm_head.weight': { dtype: 'F32', shape: [rows, cols], values: tinyEmbedding(rows, cols).map((v) => -v) },
    'model.embed_tokens.weight': { dtype: 'F32', shape: [rows, cols], values: tinyEmbedding(rows, cols) },
    'model.norm.weight': { dtype: 'F32', shape: [cols], values: new Float32Array(cols).fill(1) },
  };
}

/** The files of the tiny model, by name. */
export function tinyModelFiles(options: TinyModelOptions = {}): Record<string, string | Uint8Array> {
  const vocab = options.vocab ?? TINY_VOCAB;
  const rows = options.rows ?? vocab.length;
  const cols = options.cols ?? 8;
  const files: Record<string, string | Uint8Array | null> = {
    'config.json': JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: cols, vocab_size: rows }),
    'tokenizer.json': tinyTokenizerJson(vocab),
    'tokenizer_config.json': TINY_TOKENIZER_CONFIG,
    'model.safetensors': encodeSafetensors(options.tensors ?? tinyTensors(rows, cols)),
    ...options.files,
  };
  return Object.fromEntries(Object.entries(files).filter((e): e is [string, string | Uint8Array] => e[1] !== null));
}

export function writeTinyModel(dir: string, options: TinyModelOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(tinyModelFiles(options))) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

import { readFile } from 'node:fs/promises';
import * as transformers from '@huggingface/transformers';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { TokenscapeError } from '../errors.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import { prepareLineEncoders, type LineEncoder } from './lineEncoder.ts';
import { readTokenizerSource, type TextReader, type TokenizerForm } from './tokenizerForms.ts';

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;
const OPTIONAL_TOKENIZER_FILES = ['special_tokens_map.json', 'config.json'] as const;

/** The model's own tokenizer, plus what we need to describe each vocabulary entry. */
export interface ModelTokenizer {
  encode(text: string, addSpecialTokens: boolean): number[];
  /** Vocabulary size (largest id + 1). */
  vocabSize: number;
  /** Raw vocabulary piece per id ("" where the vocabulary has a gap). */
  pieces: string[];
  specialIds: Set<number>;
  decodeOne(id: number): string;
  /** Identity of the tokenizer files, for cache keys. */
  identity: string;
  /** config.json's vocab_size (the embedding's row count), when the model says. */
  configVocabSize: number | null;
  /**
   * A fresh memoising encoder giving `encode`'s ids line by line, much faster on corpora (see
   * lineEncoder.ts). Optional so that stand-in tokenizers need not provide one.
   */
  lineEncoder?(): LineEncoder;
  /** Which files the tokenizer was read from (tokenizer.json, or a form it was built from). */
  form?: TokenizerForm | string;
  /**
   * tokenizer.json + tokenizer_config.json that load this same tokenizer (in the browser too): the
   * files' own text for a tokenizer.json folder, the built equivalent for the other forms.
   */
  exportFiles(): Promise<ExportedTokenizerFiles>;
}

export type ExportedTokenizerFiles = {
  'tokenizer.json': string;
  'tokenizer_config.json': string;
};

async function readJsonObject(files: RepoFiles, name: string): Promise<Record<string, unknown>> {
  const path = await files.localPath(name);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TokenscapeError(`${name} of ${files.label} is not valid JSON (${(error as Error).message}).`, {
      file: files.describe(name),
      hint: 'The file is damaged or incomplete; download it again or fix the model folder.',
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenscapeError(`${name} of ${files.label} is not a JSON object.`, { file: files.describe(name) });
  }
  return value as Record<string, unknown>;
}

/** The transformers.js tokenizer class AutoTokenizer would pick for this tokenizer_class. */
function tokenizerClass(config: Record<string, unknown>): new (json: unknown, config: unknown) => PreTrainedTokenizer {
  const name = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : 'PreTrainedTokenizer';
  const cls = (transformers as unknown as Record<string, unknown>)[name];
  const isTokenizerClass = typeof cls === 'function' && (cls === PreTrainedTokenizer || cls.prototype instanceof PreTrainedTokenizer);
  return (isTokenizerClass ? cls : PreTrainedTokenizer) as new (json: unknown, config: unknown) => PreTrainedTokenizer;
}

export async function loadTokenizer(files: RepoFiles): Promise<ModelTokenizer> {
  // Parse every file ourselves first, so a broken one is named instead of surfacing as the library's error.
  const reader: TextReader = {
    label: files.label,
    has: (name) => files.has(name),
    text: async (name) => readFile(await files.localPath(name), 'utf8'),
    json: (name) => readJsonObject(files, name),
    describe: (name) => files.describe(name),
  };
  const source = await readTokenizerSource(reader);
  if (source === null) {
    throw new TokenscapeError(`${files.label} has no tokenizer.json.`, {
      hint: 'Tokenscape reads tokenizer.json (+ tokenizer_config.json, as saved by transformers), or a BERT vocab.txt, GPT-2 vocab.json + merges.txt, or tiktoken original/tokenizer.model.',
    });
  }
  const parsed = new Map<string, Record<string, unknown>>();
  for (const name of OPTIONAL_TOKENIZER_FILES) {
    if (files.has(name)) parsed.set(name, await readJsonObject(files, name));
  }
  let configVocabSize: number | null = null;
  const config = parsed.get('config.json');
  if (config) {
    const textConfig = (config.text_config ?? {}) as Record<string, unknown>;
    const v = config.vocab_size ?? textConfig.vocab_size;
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) configVocabSize = v;
  }

  return tokenizerFromJson({
    tokenizerJson: source.tokenizerJson,
    config: source.config,
    label: files.label,
    form: source.form,
    file: files.describe(source.files[0]),
    hint: source.form === 'tokenizer.json'
      ? 'Check that tokenizer.json is a complete tokenizer saved by Hugging Face tokenizers.'
      : `Check that ${source.files.join(' and ')} are the model's own, complete files.`,
    identity: `${source.form}:${(await Promise.all(source.files.map((f) => files.identity(f)))).join('|')}`,
    configVocabSize,
    exportFiles: async () => ({
      'tokenizer.json': source.form === 'tokenizer.json' ? await reader.text('tokenizer.json') : JSON.stringify(source.tokenizerJson),
      'tokenizer_config.json': files.has('tokenizer_config.json') ? await reader.text('tokenizer_config.json') : JSON.stringify(source.config),
    }),
  });
}

export interface TokenizerFromJsonOptions {
  /** tokenizer.json's content, parsed (read, or built from another form). */
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json's content ({} when there is none). */
  config: Record<string, unknown>;
  /** The model, for messages. */
  label: string;
  form: TokenizerForm | string;
  /** The file named when the library rejects the tokenizer, and what to do about it. */
  file: string;
  hint?: string;
  identity: string;
  configVocabSize: number | null;
  /** Defaults to the JSON above, serialised. */
  exportFiles?: ModelTokenizer['exportFiles'];
}

/**
 * A ModelTokenizer over a tokenizer.json already in memory, constructed as AutoTokenizer would (the
 * class named by tokenizer_class). Other readers that build a tokenizer.json (GGUF metadata,
 * llama2.c tokenizer.bin) come through here too, and so get the same counting fast path.
 */
export function tokenizerFromJson(options: TokenizerFromJsonOptions): ModelTokenizer {
  const { tokenizerJson, config: tokenizerConfig } = options;
  let tokenizer: PreTrainedTokenizer;
  try {
    tokenizer = new (tokenizerClass(tokenizerConfig))(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new TokenscapeError(`The tokenizer of ${options.label} could not be loaded: ${(error as Error).message}`, { file: options.file, hint: options.hint });
  }

  const vocab = tokenizer.get_vocab() as Map<string, number>;
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const pieces = new Array<string>(vocabSize).fill('');
  for (const [piece, id] of vocab) pieces[id] = piece;

  const specialIds = new Set<number>(tokenizer.all_special_ids as number[]);
  const json = tokenizerJson as { added_tokens?: { id: number; special?: boolean }[] };
  for (const added of Array.isArray(json.added_tokens) ? json.added_tokens : []) if (added?.special) specialIds.add(added.id);

  let lineEncoders: (() => LineEncoder) | undefined;
  // Built once: the counting workers, the early browser check and the exhibit files all ask for them.
  let exported: Promise<ExportedTokenizerFiles> | undefined;
  const exportOnce = options.exportFiles ?? (async () => ({ 'tokenizer.json': JSON.stringify(tokenizerJson), 'tokenizer_config.json': JSON.stringify(tokenizerConfig) }));
  const encode = (text: string, addSpecialTokens: boolean) => tokenizer.encode(text, { add_special_tokens: addSpecialTokens }) as number[];
  return {
    encode,
    vocabSize,
    pieces,
    specialIds,
    decodeOne: (id) => tokenizer.decode([id], { skip_special_tokens: false }) as string,
    identity: options.identity,
    configVocabSize: options.configVocabSize,
    lineEncoder: () => (lineEncoders ??= prepareLineEncoders(tokenizer, encode))(),
    form: options.form,
    exportFiles: () => (exported ??= exportOnce()),
  };
}

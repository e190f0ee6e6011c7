import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { TokenscapeError } from '../errors.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import { prepareLineEncoders, type LineEncoder, type LineEncoderFactory, type LineEncoderTables } from './lineEncoder.ts';
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
  /** The tables the line encoders were prepared from, for a worker thread's tokenizer (see TokenizerFromJsonOptions). */
  lineEncoderTables?(): LineEncoderTables | null;
  /** Which files the tokenizer was read from (tokenizer.json, or a form it was built from). */
  form?: TokenizerForm | string;
  /**
   * tokenizer.json + tokenizer_config.json that load this same tokenizer (in the browser too): the
   * files' own text for a tokenizer.json folder, the built equivalent for the other forms.
   */
  exportFiles(): Promise<ExportedTokenizerFiles>;
  /**
   * True when this tokenizer is the browser's own library (@huggingface/tokenizers) built from exactly the
   * exported files' text, as the page builds it: those files are known to load there.
   */
  browserEquivalent?: boolean;
}

export type ExportedTokenizerFiles = {
  'tokenizer.json': string;
  'tokenizer_config.json': string;
};

function parseJsonObject(files: RepoFiles, name: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
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

/**
 * transformers.js tokenizer classes that change what its core Tokenizer does: a constructor that edits it, or
 * their own encode or decode. Every other class (LlamaTokenizer, GPT2Tokenizer, Qwen2Tokenizer, BertTokenizer,
 * T5Tokenizer, PreTrainedTokenizer itself, ...) is the Tokenizer of @huggingface/tokenizers behind plain
 * delegation (encode → `encode(text).ids`, decode, get_vocab, the added tokens' special flags), so those are
 * built from @huggingface/tokenizers directly, without loading transformers.js: ~0.2 s of every run's
 * start-up and of each counting worker's, most of it image and ONNX modules a tokenizer never uses.
 * tests/tokenizerClasses.test.ts checks this list against the installed transformers.js.
 */
export const CUSTOMISED_TOKENIZER_CLASSES: ReadonlySet<string> = new Set([
  'M2M100Tokenizer', 'MarianTokenizer', 'MBartTokenizer', 'MBart50Tokenizer', 'NllbTokenizer', 'VitsTokenizer', 'WhisperTokenizer', 'XLMTokenizer',
]);

/** The transformers.js class name AutoTokenizer would pick for this tokenizer_class (unknown names: the base class). */
export function tokenizerClassName(config: Record<string, unknown>): string {
  return typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : 'PreTrainedTokenizer';
}

/** A customised class, from transformers.js (loaded synchronously here, the only place that needs it). */
function customisedTokenizer(name: string, json: unknown, config: unknown): { pretrained: PreTrainedTokenizer; baseEncode: unknown } {
  const transformers = createRequire(import.meta.url)('@huggingface/transformers') as Record<string, unknown> & { PreTrainedTokenizer: typeof PreTrainedTokenizer };
  const cls = transformers[name] as new (json: unknown, config: unknown) => PreTrainedTokenizer;
  return { pretrained: new cls(json, config), baseEncode: transformers.PreTrainedTokenizer.prototype.encode };
}

/** What a ModelTokenizer needs of either library's tokenizer. */
interface BuiltTokenizer {
  library: 'tokenizers' | 'transformers';
  encode(text: string, addSpecialTokens: boolean): number[];
  decodeOne(id: number): string;
  vocab: Map<string, number>;
  specialIds: number[];
  /** The core Tokenizer whose `encode(text).ids` `encode` returns, for the counting fast path; null if not that. */
  core: unknown;
}

function buildTokenizer(json: Record<string, unknown>, config: Record<string, unknown>): BuiltTokenizer {
  const name = tokenizerClassName(config);
  if (CUSTOMISED_TOKENIZER_CLASSES.has(name)) {
    const { pretrained, baseEncode } = customisedTokenizer(name, json, config);
    return {
      library: 'transformers',
      encode: (text, addSpecialTokens) => pretrained.encode(text, { add_special_tokens: addSpecialTokens }) as number[],
      decodeOne: (id) => pretrained.decode([id], { skip_special_tokens: false }) as string,
      vocab: pretrained.get_vocab() as Map<string, number>,
      specialIds: pretrained.all_special_ids as number[],
      // A class with its own encode may do more than the core Tokenizer's steps the fast path mirrors.
      core: pretrained.encode === baseEncode ? (pretrained as unknown as { _tokenizer: unknown })._tokenizer : null,
    };
  }
  const core = new Tokenizer(json, config);
  const specialIds: number[] = [];
  for (const added of core.get_added_tokens_decoder().values()) if (added.special) specialIds.push(added.id);
  return {
    library: 'tokenizers',
    encode: (text, addSpecialTokens) => core.encode(text, { add_special_tokens: addSpecialTokens }).ids,
    decodeOne: (id) => core.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: null }),
    vocab: core.get_vocab(),
    specialIds,
    core,
  };
}

export async function loadTokenizer(files: RepoFiles): Promise<ModelTokenizer> {
  // Parse every file ourselves first, so a broken one is named instead of surfacing as the library's error.
  // Each file is read once: the exported files are then the very text the tokenizer was built from.
  const texts = new Map<string, Promise<string>>();
  const text = (name: string) => {
    let t = texts.get(name);
    if (t === undefined) texts.set(name, (t = files.localPath(name).then((path) => readFile(path, 'utf8'))));
    return t;
  };
  const reader: TextReader = {
    label: files.label,
    has: (name) => files.has(name),
    text,
    json: async (name) => parseJsonObject(files, name, await text(name)),
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
    if (files.has(name)) parsed.set(name, await reader.json(name));
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
    // A tokenizer.json folder exports its files' own text, which is what tokenizerJson and config were parsed from.
    exportsParsedText: source.form === 'tokenizer.json',
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
  /** Line-encoder tables another thread prepared from these same files (`lineEncoderTables()`), so they are not built again. */
  lineEncoderTables?: LineEncoderTables | null;
  /** True when `exportFiles` gives exactly the text that tokenizerJson and config are JSON.parse of. */
  exportsParsedText?: boolean;
}

/**
 * A ModelTokenizer over a tokenizer.json already in memory, constructed as AutoTokenizer would (the
 * class named by tokenizer_class). Other readers that build a tokenizer.json (GGUF metadata,
 * llama2.c tokenizer.bin) come through here too, and so get the same counting fast path.
 */
export function tokenizerFromJson(options: TokenizerFromJsonOptions): ModelTokenizer {
  const { tokenizerJson, config: tokenizerConfig } = options;
  let tokenizer: BuiltTokenizer;
  try {
    tokenizer = buildTokenizer(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new TokenscapeError(`The tokenizer of ${options.label} could not be loaded: ${(error as Error).message}`, { file: options.file, hint: options.hint });
  }

  let vocabSize = 0;
  for (const id of tokenizer.vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const pieces = new Array<string>(vocabSize).fill('');
  for (const [piece, id] of tokenizer.vocab) pieces[id] = piece;

  const specialIds = new Set<number>(tokenizer.specialIds);
  const json = tokenizerJson as { added_tokens?: { id: number; special?: boolean }[] };
  for (const added of Array.isArray(json.added_tokens) ? json.added_tokens : []) if (added?.special) specialIds.add(added.id);

  let lineEncoders: LineEncoderFactory | undefined;
  const prepare = () => (lineEncoders ??= prepareLineEncoders(tokenizer.core, encode, options.lineEncoderTables));
  // Built once: the counting workers, the early browser check and the exhibit files all ask for them.
  let exported: Promise<ExportedTokenizerFiles> | undefined;
  const exportOnce = options.exportFiles ?? (async () => ({ 'tokenizer.json': JSON.stringify(tokenizerJson), 'tokenizer_config.json': JSON.stringify(tokenizerConfig) }));
  const encode = tokenizer.encode;
  return {
    encode,
    vocabSize,
    pieces,
    specialIds,
    decodeOne: tokenizer.decodeOne,
    identity: options.identity,
    configVocabSize: options.configVocabSize,
    lineEncoder: () => prepare()(),
    lineEncoderTables: () => prepare().tables,
    form: options.form,
    exportFiles: () => (exported ??= exportOnce()),
    browserEquivalent: tokenizer.library === 'tokenizers' && options.exportsParsedText === true,
  };
}

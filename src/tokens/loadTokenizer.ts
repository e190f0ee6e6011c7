import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AutoTokenizer, env as transformersEnv } from '@huggingface/transformers';
import { TokenscapeError } from '../errors.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import { prepareLineEncoders, type LineEncoder } from './lineEncoder.ts';

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
  /**
   * The tokenizer as tokenizer.json + tokenizer_config.json, for the browser's search (tokenizers.js gives
   * the same ids). Absent where a tokenizer cannot be written in that form.
   */
  exportFiles?(): Promise<ExportedTokenizerFiles>;
}

export interface ExportedTokenizerFiles {
  'tokenizer.json': string;
  'tokenizer_config.json': string;
}

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

export async function loadTokenizer(files: RepoFiles): Promise<ModelTokenizer> {
  for (const name of TOKENIZER_FILES) {
    if (!files.has(name)) {
      throw new TokenscapeError(`${files.label} has no ${name}.`, {
        hint: 'Tokenscape uses the model\'s own fast tokenizer (tokenizer.json + tokenizer_config.json, as saved by transformers).',
      });
    }
  }
  // Parse every file ourselves first, so a broken one is named instead of surfacing as the library's error.
  const parsed = new Map<string, Record<string, unknown>>();
  for (const name of [...TOKENIZER_FILES, ...OPTIONAL_TOKENIZER_FILES]) {
    if (files.has(name)) parsed.set(name, await readJsonObject(files, name));
  }
  const tokenizerPath = await files.localPath('tokenizer.json');

  transformersEnv.allowRemoteModels = false;
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(dirname(tokenizerPath), { local_files_only: true });
  } catch (error) {
    throw new TokenscapeError(`The tokenizer of ${files.label} could not be loaded: ${(error as Error).message}`, {
      file: files.describe('tokenizer.json'),
      hint: 'Check that tokenizer.json is a complete tokenizer saved by Hugging Face tokenizers.',
    });
  }

  const vocab = tokenizer.get_vocab() as Map<string, number>;
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const pieces = new Array<string>(vocabSize).fill('');
  for (const [piece, id] of vocab) pieces[id] = piece;

  const specialIds = new Set<number>(tokenizer.all_special_ids as number[]);
  const json = parsed.get('tokenizer.json') as { added_tokens?: { id: number; special?: boolean }[] };
  for (const added of Array.isArray(json.added_tokens) ? json.added_tokens : []) if (added?.special) specialIds.add(added.id);

  let configVocabSize: number | null = null;
  const config = parsed.get('config.json');
  if (config) {
    const textConfig = (config.text_config ?? {}) as Record<string, unknown>;
    const v = config.vocab_size ?? textConfig.vocab_size;
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) configVocabSize = v;
  }

  const identity = (await Promise.all(TOKENIZER_FILES.map((f) => files.identity(f)))).join('|');
  let lineEncoders: (() => LineEncoder) | undefined;
  const encode = (text: string, addSpecialTokens: boolean) => tokenizer.encode(text, { add_special_tokens: addSpecialTokens }) as number[];
  return {
    encode,
    vocabSize,
    pieces,
    specialIds,
    decodeOne: (id) => tokenizer.decode([id], { skip_special_tokens: false }) as string,
    identity,
    configVocabSize,
    lineEncoder: () => (lineEncoders ??= prepareLineEncoders(tokenizer, encode))(),
    // The model's own files, as they are: what the pipeline's tokenizer was built from.
    exportFiles: async () => ({
      'tokenizer.json': await readFile(tokenizerPath, 'utf8'),
      'tokenizer_config.json': await readFile(await files.localPath('tokenizer_config.json'), 'utf8'),
    }),
  };
}

/**
 * A model's tokenizer as a tokenizer.json + tokenizer_config.json pair, whichever form its folder
 * holds. tokenizer.json is read as is; the other forms are turned into the tokenizer.json that
 * Hugging Face's converters (transformers' convert_slow_tokenizer.py) build from them, so that one
 * tokenizer implementation, and the browser, read them all:
 *  - BERT-style `vocab.txt` (WordPiece; `do_lower_case`, `tokenize_chinese_chars`, `strip_accents`);
 *  - GPT-2-style `vocab.json` + `merges.txt` (byte-level BPE; Qwen2Tokenizer's regex and NFC;
 *    RobertaTokenizer's <s>…</s>);
 *  - tiktoken ranks (`original/tokenizer.model` of LLaMA-3, a `tokenizer.model` in that format,
 *    `cl100k_base.tiktoken`): byte-level BPE with `ignore_merges` (tiktoken looks a whole pre-token
 *    up first), merges derived from the ranks.
 */
import { TokenscapeError } from '../errors.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';

export type TokenizerForm = 'tokenizer.json' | 'vocab.json + merges.txt' | 'vocab.txt' | 'tiktoken';

export interface TokenizerSource {
  form: TokenizerForm;
  /** The tokenizer.json (parsed), read or built. */
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json (parsed; {} when the folder has none). */
  config: Record<string, unknown>;
  /** The files it was made from, for cache keys and messages. */
  files: string[];
}

type Json = Record<string, unknown>;

/** The file names tried, in order, for each form. */
export const TIKTOKEN_FILES = ['original/tokenizer.model', 'tokenizer.model', 'cl100k_base.tiktoken', 'tokenizer.tiktoken'] as const;

/** LLaMA-3's pre-tokenizer (tokenizer.json of meta-llama/Meta-Llama-3-8B). */
export const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** tiktoken's cl100k_base pattern, as Hugging Face writes it (OLMo-2's tokenizer.json). */
export const CL100K_PATTERN = LLAMA3_PATTERN;
/** Qwen2Converter: the cl100k pattern with single digits. */
export const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** cl100k_base's special tokens are defined in tiktoken's code, not in the ranks file. */
const CL100K_SPECIALS: [string, number][] = [
  ['<|endoftext|>', 100257], ['<|fim_prefix|>', 100258], ['<|fim_middle|>', 100259], ['<|fim_suffix|>', 100260], ['<|endofprompt|>', 100276],
];

export interface TextReader {
  has(name: string): boolean;
  /** The file's text (UTF-8). */
  text(name: string): Promise<string>;
  /** The file parsed as a JSON object; errors name the file. */
  json(name: string): Promise<Json>;
  describe(name: string): string;
  label: string;
}

/** Reads whichever tokenizer form the folder has; null when it has none. */
export async function readTokenizerSource(reader: TextReader): Promise<TokenizerSource | null> {
  const config = reader.has('tokenizer_config.json') ? await reader.json('tokenizer_config.json') : {};
  const withConfig = (names: string[]) => (reader.has('tokenizer_config.json') ? [...names, 'tokenizer_config.json'] : names);
  if (reader.has('tokenizer.json')) {
    return { form: 'tokenizer.json', tokenizerJson: await reader.json('tokenizer.json'), config, files: withConfig(['tokenizer.json']) };
  }
  if (reader.has('vocab.json') && reader.has('merges.txt')) {
    const vocab = await reader.json('vocab.json');
    for (const [token, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id) || (id as number) < 0) {
        throw new TokenscapeError(`vocab.json of ${reader.label} maps ${JSON.stringify(token)} to ${JSON.stringify(id)}, not a token id.`, { file: reader.describe('vocab.json') });
      }
    }
    const merges = parseMerges(await reader.text('merges.txt'), reader.describe('merges.txt'));
    const added = reader.has('added_tokens.json') ? await reader.json('added_tokens.json') : {};
    return { form: 'vocab.json + merges.txt', tokenizerJson: byteLevelBpeJson(vocab as Record<string, number>, merges, config, added), config, files: withConfig(['vocab.json', 'merges.txt']) };
  }
  if (reader.has('vocab.txt')) {
    const vocabText = await reader.text('vocab.txt');
    return { form: 'vocab.txt', tokenizerJson: wordPieceJson(vocabText, config, reader.describe('vocab.txt')), config, files: withConfig(['vocab.txt']) };
  }
  for (const name of TIKTOKEN_FILES) {
    if (!reader.has(name)) continue;
    const text = await reader.text(name);
    if (!looksLikeTiktoken(text)) {
      if (name.endsWith('.model')) {
        throw new TokenscapeError(`${name} of ${reader.label} is a SentencePiece model, which Tokenscape does not read on its own.`, {
          file: reader.describe(name),
          hint: 'Add the tokenizer.json that transformers saves for it (AutoTokenizer.from_pretrained(...).save_pretrained(folder)).',
        });
      }
      throw new TokenscapeError(`${name} of ${reader.label} is not a tiktoken ranks file (lines of "base64-token rank").`, { file: reader.describe(name) });
    }
    const ranks = parseTiktoken(text, reader.describe(name));
    const cl100k = name.endsWith('cl100k_base.tiktoken');
    return { form: 'tiktoken', tokenizerJson: tiktokenJson(ranks, config, cl100k ? CL100K_PATTERN : LLAMA3_PATTERN, cl100k ? CL100K_SPECIALS : []), config, files: withConfig([name]) };
  }
  return null;
}

/** GPT-2's byte → printable character table (bytes_to_unicode). */
export const BYTE_TO_CHAR: string[] = (() => {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCharCode(cs[i])));
  return out;
})();

function parseMerges(text: string, file: string): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new TokenscapeError(`merges.txt line ${i + 1} is not two tokens separated by one space: ${JSON.stringify(line.slice(0, 80))}.`, { file, line: i + 1 });
    }
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return null;
}

interface AddedToken { id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }

/** Added tokens as the fast tokenizer has them: tokenizer_config's added_tokens_decoder, added_tokens.json, then the named special tokens found in the vocabulary. */
function addedTokens(config: Json, vocab: Record<string, number> | null, addedJson: Json = {}): AddedToken[] {
  const byId = new Map<number, AddedToken>();
  const decoder = config.added_tokens_decoder as Record<string, Record<string, unknown>> | undefined;
  if (decoder && typeof decoder === 'object') {
    for (const [key, value] of Object.entries(decoder)) {
      const id = Number(key);
      if (!Number.isInteger(id) || typeof value?.content !== 'string') continue;
      byId.set(id, {
        id, content: value.content, single_word: value.single_word === true, lstrip: value.lstrip === true, rstrip: value.rstrip === true,
        normalized: value.normalized === true, special: value.special !== false,
      });
    }
  }
  const special = new Set<string>();
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
    const content = tokenContent(config[key]);
    if (content !== null) special.add(content);
  }
  for (const t of Array.isArray(config.additional_special_tokens) ? config.additional_special_tokens : []) {
    const content = tokenContent(t);
    if (content !== null) special.add(content);
  }
  const known = new Set([...byId.values()].map((t) => t.content));
  for (const [content, id] of Object.entries(addedJson)) {
    if (!Number.isInteger(id) || known.has(content)) continue;
    byId.set(id as number, { id: id as number, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: special.has(content) });
    known.add(content);
  }
  if (vocab) {
    for (const content of special) {
      const id = vocab[content];
      if (id === undefined || known.has(content)) continue;
      byId.set(id, { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

const byteLevel = (addPrefixSpace: boolean, useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: useRegex });

function idOf(added: AddedToken[], vocab: Record<string, number>, content: string): number | undefined {
  return added.find((t) => t.content === content)?.id ?? vocab[content];
}

/** BOS-prefix template (GPT2Converter with add_bos_token, LlamaConverter, Llama-3's tokenizer.json). */
function bosTemplate(bos: string, bosId: number) {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
  };
}

/** GPT2Converter / Qwen2Converter / RobertaConverter. */
export function byteLevelBpeJson(vocab: Record<string, number>, merges: [string, string][], config: Json, addedJson: Json = {}): Json {
  const cls = String(config.tokenizer_class ?? '').replace(/Fast$/, '');
  const addPrefixSpace = config.add_prefix_space === true;
  const added = addedTokens(config, vocab, addedJson);
  const model = { type: 'BPE', dropout: null, unk_token: tokenContent(config.unk_token) !== null && vocab[tokenContent(config.unk_token)!] !== undefined ? tokenContent(config.unk_token) : null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges };
  const base = { version: '1.0', truncation: null, padding: null, added_tokens: added, decoder: byteLevel(true, true), model };
  if (cls === 'Qwen2Tokenizer') {
    return {
      ...base,
      normalizer: { type: 'NFC' },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: QWEN2_PATTERN }, behavior: 'Isolated', invert: false }, byteLevel(addPrefixSpace, false)] },
      post_processor: { ...byteLevel(false, false), trim_offsets: false },
    };
  }
  let post: Json = { ...byteLevel(true, true), trim_offsets: false };
  if (cls === 'RobertaTokenizer') {
    const bos = tokenContent(config.bos_token) ?? '<s>';
    const eos = tokenContent(config.eos_token) ?? '</s>';
    const clsToken = tokenContent(config.cls_token) ?? bos;
    const sep = tokenContent(config.sep_token) ?? eos;
    post = { type: 'RobertaProcessing', sep: [sep, idOf(added, vocab, sep)], cls: [clsToken, idOf(added, vocab, clsToken)], trim_offsets: true, add_prefix_space: addPrefixSpace };
  } else if (config.add_bos_token === true) {
    const bos = tokenContent(config.bos_token);
    const bosId = bos === null ? undefined : idOf(added, vocab, bos);
    if (bos !== null && bosId !== undefined) post = bosTemplate(bos, bosId);
  }
  return { ...base, normalizer: null, pre_tokenizer: byteLevel(addPrefixSpace, true), post_processor: post };
}

/** BertConverter. */
export function wordPieceJson(vocabText: string, config: Json, file: string): Json {
  const vocab: Record<string, number> = {};
  const lines = vocabText.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    vocab[line.endsWith('\r') ? line.slice(0, -1) : line] = i;
  });
  const named = (key: string, fallback: string) => tokenContent(config[key]) ?? fallback;
  const unk = named('unk_token', '[UNK]');
  const clsToken = named('cls_token', '[CLS]');
  const sep = named('sep_token', '[SEP]');
  for (const [what, token] of [['unk_token', unk], ['cls_token', clsToken], ['sep_token', sep]]) {
    if (vocab[token] === undefined) {
      throw new TokenscapeError(`vocab.txt has no ${token} (the ${what}).`, { file, hint: 'Set it in tokenizer_config.json, or use the model\'s own vocab.txt.' });
    }
  }
  const added = addedTokens({ unk_token: unk, cls_token: clsToken, sep_token: sep, pad_token: named('pad_token', '[PAD]'), mask_token: named('mask_token', '[MASK]'), ...config }, vocab);
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: added,
    normalizer: {
      type: 'BertNormalizer', clean_text: true, handle_chinese_chars: config.tokenize_chinese_chars !== false,
      strip_accents: typeof config.strip_accents === 'boolean' ? config.strip_accents : null, lowercase: config.do_lower_case !== false,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: clsToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
      pair: [{ SpecialToken: { id: clsToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: sep, type_id: 1 } }],
      special_tokens: { [clsToken]: { id: clsToken, ids: [vocab[clsToken]], tokens: [clsToken] }, [sep]: { id: sep, ids: [vocab[sep]], tokens: [sep] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

function looksLikeTiktoken(text: string): boolean {
  const nl = text.indexOf('\n');
  return /^[A-Za-z0-9+/]+=* \d+\r?$/.test(nl < 0 ? text : text.slice(0, nl));
}

/** tiktoken ranks, each token as its byte-level string. */
function parseTiktoken(text: string, file: string): Map<string, number> {
  const ranks = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const m = /^([A-Za-z0-9+/]+=*) (\d+)$/.exec(line);
    if (!m) throw new TokenscapeError(`Line ${i + 1} is not "base64-token rank": ${JSON.stringify(line.slice(0, 80))}.`, { file, line: i + 1 });
    const bytes = Buffer.from(m[1], 'base64');
    let token = '';
    for (const b of bytes) token += BYTE_TO_CHAR[b];
    if (token === '' || ranks.has(token)) throw new TokenscapeError(`Line ${i + 1} repeats or empties a token.`, { file, line: i + 1 });
    ranks.set(token, Number(m[2]));
  }
  return ranks;
}

/**
 * The merges tiktoken's ranks imply, as transformers' TikTokenConverter derives them: every split of
 * a token into two tokens, ordered by the rank of the result (ties by the ranks of the halves).
 * Merging the lowest-ranked result first is then exactly tiktoken's rule.
 */
export function tiktokenMerges(ranks: Map<string, number>): [string, string][] {
  const merges: { left: string; right: string; rank: number; l: number; r: number }[] = [];
  for (const [token, rank] of ranks) {
    if (token.length === 1) continue;
    for (let i = 1; i < token.length; i++) {
      const left = token.slice(0, i);
      const right = token.slice(i);
      const l = ranks.get(left);
      const r = ranks.get(right);
      if (l !== undefined && r !== undefined) merges.push({ left, right, rank, l, r });
    }
  }
  merges.sort((a, b) => a.rank - b.rank || a.l - b.l || a.r - b.r);
  return merges.map((m) => [m.left, m.right]);
}

/** TikTokenConverter plus the Llama-3 tokenizer.json's pre-tokenizer, decoder and BOS template. */
export function tiktokenJson(ranks: Map<string, number>, config: Json, pattern: string, builtinSpecials: [string, number][]): Json {
  const vocab: Record<string, number> = Object.fromEntries(ranks);
  const added = addedTokens(config, null);
  for (const [content, id] of builtinSpecials) {
    if (!added.some((t) => t.id === id)) added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  added.sort((a, b) => a.id - b.id);
  const bos = tokenContent(config.bos_token);
  const bosId = bos === null ? undefined : idOf(added, vocab, bos);
  const steps: Json[] = [{ ...byteLevel(true, false), trim_offsets: false }];
  if (bos !== null && bosId !== undefined && config.add_bos_token !== false) steps.push(bosTemplate(bos, bosId));
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false }, byteLevel(false, false)] },
    post_processor: { type: 'Sequence', processors: steps },
    decoder: byteLevel(true, true),
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges: tiktokenMerges(ranks) },
  };
}

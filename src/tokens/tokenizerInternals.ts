/**
 * The one place that reaches into the internals of a `Tokenizer` of @huggingface/tokenizers 0.2 (the
 * library transformers.js v4 bundles as `PreTrainedTokenizer._tokenizer`, and the one the viewer runs):
 * normalizer, pre_tokenizer, model, post_processor, added tokens. None of it is public API, so every
 * member used is checked for shape here, and anything unexpected makes `tokenizerInternals` return
 * null: callers then use the public `encode`, line by line, which is slower but always right. When
 * upgrading @huggingface/tokenizers, re-read `Tokenizer.encode` / `encode_text` / `tokenize_helper` in
 * its dist bundle against the steps mirrored below.
 */
import type { UnigramModel } from './fastUnigram.ts';

/** What `Tokenizer.encode_text` + `tokenize_helper` do to a text holding no added token, step by step. */
export interface TokenizerInternals {
  /** tokenizer.json's model.type ("BPE", "Unigram", "WordPiece", ...). */
  modelType: string;
  /** True when the text contains an added token (`<s>`, ...): such text takes the public `encode`. */
  hasAddedToken(text: string): boolean;
  /** Same as above, for added tokens matched after normalisation (`normalized: true`). */
  hasNormalizedAddedToken(normalized: string): boolean;
  normalize(text: string): string;
  /** Pre-tokens of one normalised section; `section_index` is 0 since text without added tokens is one section. */
  preTokenize(normalized: string): string[];
  /** `model.encode` (before `fuse_unk`) of a single pre-token or part of one: token strings. */
  encodeWord(word: string): string[];
  /** The id `Tokenizer.encode` gives a token string. */
  tokenId(token: string): number;
  /** Whether `fuse_unk` would see this token as unknown. */
  isUnknown(token: string): boolean;
  /** Whether the token string is the unknown token itself (fuse_unk stops joining a run at it). */
  isUnknownToken(token: string): boolean;
  /** The model's token string of an id (what fuse_unk sees for a known token). */
  idToken(id: number): string;
  fuseUnk: boolean;
  /** BPE only: the merges, as the model applies them; null for other models. */
  merges: [string, string][] | null;
  /** Whether the token is in the model's vocabulary (what BPE checks before byte fallback). */
  inVocab(token: string): boolean;
  /** BPE: a pre-token found whole in the vocabulary is not merged (Llama 3 and other ByteLevel BPEs). */
  ignoreMerges: boolean;
  /** BPE: end-of-word / continuing-subword suffixes, which tie the merges to whole pre-tokens. */
  wordSuffixes: boolean;
  /**
   * Pre-tokenizers holding one ByteLevel step (GPT-2, RoBERTa, LLaMA-3, Qwen2, Falcon, ...), run
   * without its byte-to-character mapping: `preTokenize` gives the raw pre-tokens, `toBytes` maps
   * one as ByteLevel would. Null when the pre-tokenizer is not of that shape, or a step after the
   * ByteLevel one might not commute with the mapping.
   */
  byteLevelSplit: { preTokenize(normalized: string): string[]; toBytes(raw: string): string } | null;
  /** Unigram only: the live model's trie source, ids and scores (what fastUnigram mirrors); null for other models. */
  unigram: UnigramModel | null;
  /** Ids the post-processor puts before and after a sequence when special tokens are added; null when not recognised. */
  specials: { prefix: number[]; suffix: number[] } | null;
}

type Fn = (...args: never[]) => unknown;
const isFn = (x: unknown): x is Fn => typeof x === 'function';

interface CoreTokenizer {
  tokenizer: { model?: unknown };
  normalizer: (((text: string) => string) & { config?: unknown }) | null;
  pre_tokenizer: ((text: string, options: { section_index: number }) => string[]) | null;
  model: {
    encode(tokens: string[]): string[];
    tokens_to_ids: Map<string, number>;
    unk_token_id: number | undefined;
    fuse_unk?: boolean;
    merges?: unknown;
    ignore_merges?: boolean;
    end_of_word_suffix?: unknown;
    continuing_subword_suffix?: unknown;
    bpe?: unknown;
  };
  post_processor: ((a: string[], b: string[] | null, addSpecial: boolean) => { tokens: string[] }) | null;
  added_tokens: { content: string; normalized?: boolean }[];
  added_tokens_map: Map<string, { id: number }>;
  remove_space?: unknown;
  do_lowercase_and_remove_accent?: unknown;
}

const SENTINEL = '\uE000tokenscape\uE001';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `tokenizer`: the core Tokenizer whose `encode(text).ids` are the ids to mirror. */
export function tokenizerInternals(tokenizer: unknown): TokenizerInternals | null {
  const core = tokenizer as CoreTokenizer | undefined;
  if (!core || typeof core !== 'object') return null;
  const { model } = core;
  if (!model || !isFn(model.encode) || !(model.tokens_to_ids instanceof Map)) return null;
  if (core.normalizer !== null && !isFn(core.normalizer)) return null;
  if (core.pre_tokenizer !== null && !isFn(core.pre_tokenizer)) return null;
  if (core.post_processor !== null && !isFn(core.post_processor)) return null;
  if (!Array.isArray(core.added_tokens) || !(core.added_tokens_map instanceof Map)) return null;
  // encode_text rewrites the text before normalising under these options; not mirrored.
  if (core.remove_space === true || core.do_lowercase_and_remove_accent === true) return null;
  const modelType = inferModelType(core.tokenizer?.model);
  if (modelType === null) return null;

  // The config the live normalizer was built from, so a normalizer swapped after loading is not mirrored.
  const normalize = core.normalizer ? (mirroredNormalizer(core.normalizer.config) ?? ((t: string) => core.normalizer!(t))) : (t: string) => t;
  // Mirrors the Tokenizer constructor: normalised added tokens are matched after normalisation.
  const raw: string[] = [];
  const normalized: string[] = [];
  for (const added of core.added_tokens) {
    if (typeof added?.content !== 'string' || added.content === '') continue;
    if (added.normalized && core.normalizer) normalized.push(normalize(added.content));
    else raw.push(added.content);
  }
  // encode_text also takes a whole section that is a key of added_tokens_map as that token.
  const matcher = (contents: string[]) => {
    const nonEmpty = contents.filter((c) => c !== '');
    if (nonEmpty.length === 0) return (text: string) => core.added_tokens_map.has(text);
    const re = new RegExp(nonEmpty.map(escapeRegExp).join('|'));
    return (text: string) => re.test(text) || core.added_tokens_map.has(text);
  };

  const tokensToIds = model.tokens_to_ids;
  const vocabOf: string[] = [];
  for (const [token, id] of tokensToIds) vocabOf[id] ??= token;
  const unkId = model.unk_token_id;
  const tokenId = (t: string): number => core.added_tokens_map.get(t)?.id ?? tokensToIds.get(t) ?? (unkId as number);

  let merges: [string, string][] | null = null;
  if (modelType === 'BPE') {
    if (!isFn(model.bpe) || !Array.isArray(model.merges)) return null;
    if (!model.merges.every((m: unknown) => Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')) return null;
    merges = model.merges as [string, string][];
  }

  let specials: TokenizerInternals['specials'] = null;
  if (core.post_processor === null) {
    specials = { prefix: [], suffix: [] };
  } else {
    try {
      const withSpecial = core.post_processor([SENTINEL], null, true).tokens;
      const without = core.post_processor([SENTINEL], null, false).tokens;
      const empty = core.post_processor([], null, true).tokens;
      const at = withSpecial.indexOf(SENTINEL);
      if (at >= 0 && withSpecial.lastIndexOf(SENTINEL) === at && without.length === 1 && without[0] === SENTINEL) {
        const prefix = withSpecial.slice(0, at);
        const suffix = withSpecial.slice(at + 1);
        // Wrapping must not depend on the content, or prefix/suffix would not describe it.
        if (empty.join('\u0000') === [...prefix, ...suffix].join('\u0000')) {
          specials = { prefix: prefix.map(tokenId), suffix: suffix.map(tokenId) };
        }
      }
    } catch {
      specials = null;
    }
  }

  return {
    modelType,
    hasAddedToken: matcher(raw),
    hasNormalizedAddedToken: matcher(normalized),
    normalize,
    preTokenize: core.pre_tokenizer ? (t) => core.pre_tokenizer!(t, { section_index: 0 }) : (t) => [t],
    encodeWord: (word) => model.encode([word]),
    tokenId,
    isUnknown: (t) => (tokensToIds.get(t) ?? unkId) === unkId,
    isUnknownToken: (t) => tokensToIds.get(t) === unkId,
    idToken: (id) => vocabOf[id] ?? '',
    fuseUnk: model.fuse_unk === true,
    merges,
    inVocab: (t) => tokensToIds.has(t),
    ignoreMerges: model.ignore_merges === true,
    wordSuffixes: !!model.end_of_word_suffix || !!model.continuing_subword_suffix,
    specials,
    byteLevelSplit: byteLevelSplit(core.pre_tokenizer),
    unigram: modelType === 'Unigram' ? unigramModel(core) : null,
  };
}

/** The trie source is tokenizer.json's vocab (the library builds its trie from it before added tokens are set). */
function unigramModel(core: CoreTokenizer): UnigramModel | null {
  const vocab = (core.tokenizer?.model as { vocab?: unknown } | undefined)?.vocab;
  const live = core.model as unknown as { scores?: unknown; unk_score?: unknown; tokenize?: unknown };
  if (!Array.isArray(vocab) || !Array.isArray(live.scores) || typeof live.unk_score !== 'number' || !isFn(live.tokenize)) return null;
  if (!vocab.every((e: unknown) => Array.isArray(e) && typeof e[0] === 'string')) return null;
  const scores = live.scores as number[];
  return {
    pieces: vocab.map((e: [string, number]) => e[0]),
    idOf: (piece) => core.model.tokens_to_ids.get(piece),
    scoreOf: (id) => scores[id],
    unkScore: live.unk_score,
  };
}

interface LivePreTokenizer {
  config?: { type?: unknown; pattern?: { Regex?: unknown; String?: unknown } };
  tokenizers?: (LivePreTokenizer | null)[];
  byte_encoder?: Record<number, string>;
  pattern?: unknown;
  add_prefix_space?: unknown;
  use_regex?: unknown;
  pre_tokenize_text?: (text: string, options: { section_index: number }) => string[];
}

/** A Split after the byte-level mapping commutes with it when it only matches ASCII digits (Falcon's `[0-9]{3}` isolation). */
const DIGITS_ONLY = /^(?:\[0-9\]|\\d)(?:\[0-9\]|\\d|\{\d+(?:,\d*)?\}|\+)*$/;

function byteLevelSplit(live: unknown): TokenizerInternals['byteLevelSplit'] {
  // The library's pre-tokenizers are callable objects (functions).
  const root = live as LivePreTokenizer | null;
  if (!root || (typeof root !== 'object' && typeof root !== 'function')) return null;
  const steps = Array.isArray(root.tokenizers) ? root.tokenizers : [root];
  const at = steps.findIndex((s) => s?.byte_encoder !== undefined);
  if (at < 0 || steps.some((s, i) => i !== at && s?.byte_encoder !== undefined)) return null;
  const byteStep = steps[at]!;
  const table = byteStep.byte_encoder!;
  if (!(byteStep.pattern instanceof RegExp) || typeof byteStep.use_regex !== 'boolean' || typeof byteStep.add_prefix_space !== 'boolean') return null;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (step === null || i === at) continue;
    if (!isFn(step.pre_tokenize_text)) return null;
    if (i > at) {
      // Digits splits between ASCII digits and the rest, and ByteLevel maps digits to themselves.
      const type = step.config?.type;
      const regex = step.config?.pattern?.Regex;
      if (!(type === 'Digits' || (type === 'Split' && typeof regex === 'string' && DIGITS_ONLY.test(regex)))) return null;
    }
  }
  const pattern = byteStep.pattern;
  const addPrefixSpace = byteStep.add_prefix_space;
  const useRegex = byteStep.use_regex;
  const rawByteLevel = (text: string): string[] => {
    if (addPrefixSpace && !text.startsWith(' ')) text = ' ' + text;
    return useRegex ? (text.match(pattern) ?? []) : [text];
  };
  const ascii: string[] = [];
  for (let b = 0; b < 128; b++) {
    if (typeof table[b] !== 'string') return null;
    ascii.push(table[b]);
  }
  const encoder = new TextEncoder();
  const toBytes = (raw: string): string => {
    let out = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c >= 128) {
        // Not ASCII: as the library does it, UTF-8 bytes of the whole pre-token (lone surrogates → U+FFFD).
        let mapped = '';
        for (const byte of encoder.encode(raw)) mapped += table[byte];
        return mapped;
      }
      out += ascii[c];
    }
    return out;
  };
  const options = { section_index: 0 };
  return {
    preTokenize(normalized) {
      let words = [normalized];
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        if (step === null) continue;
        const next: string[] = [];
        for (const word of words) {
          const parts = i === at ? rawByteLevel(word) : step.pre_tokenize_text!(word, options);
          for (const part of parts) next.push(part);
        }
        words = next;
      }
      return words;
    },
    toBytes,
  };
}

/**
 * tokenizer.json's model type. Files written by early versions of tokenizers (bert-base-uncased, T5,
 * RoBERTa) have no `type`; the library then infers it as below, and so do we.
 */
function inferModelType(model: unknown): string | null {
  const m = model as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object') return null;
  if (typeof m.type === 'string') return m.type;
  if (!m.vocab) return null;
  if (Array.isArray(m.vocab)) return 'Unigram';
  if (Object.hasOwn(m, 'continuing_subword_prefix') && Object.hasOwn(m, 'unk_token')) return Object.hasOwn(m, 'merges') ? 'BPE' : 'WordPiece';
  return null;
}

/**
 * The normalizers LLaMA-style tokenizer.json files use, as plain string operations: the library runs
 * Replace through a "gu" RegExp, a good part of the time of a corpus. Null for anything else (the
 * library's normalizer is then used). A String pattern without surrogates matches the same places
 * with or without the "u" flag, and a content without "$" is inserted literally either way.
 */
function mirroredNormalizer(config: unknown): ((text: string) => string) | null {
  const c = config as { type?: unknown; prepend?: unknown; pattern?: { String?: unknown; Regex?: unknown }; content?: unknown; normalizers?: unknown };
  if (!c || typeof c !== 'object') return null;
  switch (c.type) {
    case 'Prepend': {
      if (typeof c.prepend !== 'string') return null;
      const prepend = c.prepend;
      return (t) => prepend + t;
    }
    case 'Replace': {
      const from = c.pattern?.String;
      const to = c.content ?? '';
      if (c.pattern?.Regex !== undefined || typeof from !== 'string' || from === '' || typeof to !== 'string') return null;
      if (/[\uD800-\uDFFF]/.test(from) || to.includes('$')) return null;
      // split/join: what replaceAll does for a literal, several times faster in V8.
      return (t) => t.split(from).join(to);
    }
    case 'Sequence': {
      if (!Array.isArray(c.normalizers)) return null;
      const steps = c.normalizers.map(mirroredNormalizer);
      if (steps.some((f) => f === null)) return null;
      const fns = steps as ((t: string) => string)[];
      return (t) => {
        for (const f of fns) t = f(t);
        return t;
      };
    }
    default:
      return null;
  }
}

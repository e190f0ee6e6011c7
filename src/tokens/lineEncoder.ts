/**
 * Encodes a corpus line by line with the ids `tokenizer.encode(line, addSpecial)` gives, but fast:
 * corpora repeat words, so the model (BPE merges, the costly part) runs once per distinct piece of
 * text and its ids are memoised.
 *
 * Why cutting a line into pieces keeps the ids identical:
 *  - Pre-tokenizers (GPT-2's ByteLevel regex, Whitespace, ...) already cut a normalised text into
 *    pre-tokens, and the model encodes each pre-token on its own; only `fuse_unk` looks across them,
 *    and it is applied to the line's tokens after the memo (pieces holding an unknown token keep
 *    their token strings for it).
 *  - BPE can cut further, inside a pre-token (LLaMA/SentencePiece-style tokenizers have no
 *    pre-tokenizer, so their pre-token is the whole line). Every symbol BPE holds is either one code
 *    point or the concatenation `a + b` of a merge rule (a, b). So if no merge result contains the
 *    adjacent code points (x, y), no symbol ever spans a boundary between x and y, and no merge is
 *    ever possible across it (the merged symbol would contain "xy"). The merges on each side then
 *    happen independently: the model always merges the lowest-ranked pair, leftmost first, and the
 *    candidates on one side never change those of the other, so each side goes through the same
 *    merges, in the same relative order, as it would encoded alone. Byte fallback acts on single final
 *    symbols. Hence encode(whole) = encode(left) + encode(right) at every such boundary. For LLaMA no
 *    merge result has "▁" after another character, so lines are cut before each word's "▁" (and at
 *    other uncovered pairs).
 *  The rule is derived from the merges at load time; settings that make BPE look at a whole pre-token
 *  (ignore_merges, word suffixes) disable the cutting, and a tokenizer whose internals are not
 *  recognised gets a per-line memo over the public encode. A self-check against encode at creation
 *  drops to that too if anything disagrees.
 */
import { bpeTableData, bpeTables, type BpeTableData, type BpeTables } from './fastBpe.ts';
import { unigramTables, type UnigramTables } from './fastUnigram.ts';
import { tokenizerInternals, type TokenizerInternals } from './tokenizerInternals.ts';

/** `segments`: pre-tokens cut at BPE-safe boundaries; `pre-tokens`: memo per pre-token; `lines`: memo per line. */
export type EncoderStrategy = 'segments' | 'pre-tokens' | 'lines';

export interface LineEncoder {
  readonly strategy: EncoderStrategy;
  /** The ids `tokenizer.encode(line, addSpecial)` gives. */
  encode(line: string, addSpecial: boolean): number[];
  /** Adds the line's ids to `counts` (ids past its end are left out) and returns how many ids the line has. */
  count(line: string, addSpecial: boolean, counts: Uint32Array): number;
  /** The pieces the line is memoised as (for tests); null when the line takes the plain path. */
  pieces(line: string): string[] | null;
  /**
   * The memo's entries (first `limit`), for another thread's encoder of the same tokenizer files: each
   * thread would otherwise run the model again on every distinct piece it meets. Null for per-line memos.
   */
  memoSnapshot(limit?: number): MemoSnapshot | null;
  /** Takes another encoder's snapshot into this memo; false (and nothing taken) when its keys mean other pieces. */
  remember(snapshot: MemoSnapshot): boolean;
}

/** Memo entries as flat arrays (cheap to post to a worker): `keys[i]`'s ids are `ids[ends[i - 1] .. ends[i])`. */
export interface MemoSnapshot {
  /** What a key is (strategy, cutting, byte-level mapping): only an encoder of the same kind takes the entries. */
  kind: string;
  keys: string[];
  ids: Int32Array;
  ends: Uint32Array;
}

/** Entries a snapshot holds at most: the first ones in, which are the frequent pieces of a corpus. */
const SNAPSHOT_ENTRIES = 1 << 17;

export type PlainEncode = (text: string, addSpecial: boolean) => number[];

/** Long pieces are rarely repeated; keeping them would only hold memory. */
const MAX_MEMO_KEY = 256;
/** Bounds the memo (~100 bytes an entry) on huge corpora; when full it starts afresh. */
const MAX_MEMO_ENTRIES = 1 << 19;

/** A piece's ids; `tokens` (the token strings, one per id) only when fuse_unk applies and one of them is unknown. */
type Ids = readonly number[] & { tokens?: readonly string[] };

class Memo {
  private map = new Map<string, Ids>();
  constructor(private readonly compute: (key: string) => Ids) {}
  snapshot(kind: string, limit: number): MemoSnapshot {
    const keys: string[] = [];
    const ends: number[] = [];
    const ids: number[] = [];
    for (const [key, value] of this.map) {
      if (keys.length >= limit) break;
      // Entries keeping token strings for fuse_unk stay behind (rare; recomputed where needed).
      if (value.tokens) continue;
      keys.push(key);
      for (let i = 0; i < value.length; i++) ids.push(value[i]);
      ends.push(ids.length);
    }
    return { kind, keys, ids: Int32Array.from(ids), ends: Uint32Array.from(ends) };
  }
  seed({ keys, ids, ends }: MemoSnapshot): void {
    let start = 0;
    for (let i = 0; i < keys.length && this.map.size < MAX_MEMO_ENTRIES; i++) {
      if (!this.map.has(keys[i])) this.map.set(keys[i], Array.from(ids.subarray(start, ends[i])));
      start = ends[i];
    }
  }
  get(key: string): Ids {
    let ids = this.map.get(key);
    if (ids === undefined) {
      ids = this.compute(key);
      if (key.length <= MAX_MEMO_KEY) {
        if (this.map.size >= MAX_MEMO_ENTRIES) this.map.clear();
        this.map.set(key, ids);
      }
    }
    return ids;
  }
}

function tally(ids: ArrayLike<number>, counts: Uint32Array): void {
  const n = counts.length;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < n) counts[id]++;
  }
}

/**
 * Cuts words at every boundary between code points x, y such that no merge result contains "xy".
 * Code points are iterated as `Array.from` does (what BPE splits its input into), lone surrogates
 * included. Null when the merges use too many distinct code points for the pair keys (then words are
 * not cut, which is merely slower).
 */
function cutterData(merges: readonly (readonly [string, string])[]): CutterData | null {
  // Code points that occur in merges get a class; the others never join a neighbour.
  const classes = new Map<number, number>();
  const pairs: number[] = [];
  for (const [a, b] of merges) {
    let prev = -1;
    for (const ch of a + b) {
      const cp = ch.codePointAt(0)!;
      let c = classes.get(cp);
      if (c === undefined) classes.set(cp, (c = classes.size));
      if (prev >= 0) pairs.push(prev, c);
      prev = c;
    }
  }
  const k = classes.size;
  if (k > 46340) return null;
  const bmpClass = new Int32Array(0x10000).fill(-1);
  const astralClass = new Map<number, number>();
  for (const [cp, c] of classes) {
    if (cp <= 0xffff) bmpClass[cp] = c;
    else astralClass.set(cp, c);
  }
  // Open-addressing set of covered pairs, key = left * k + right (kept below 2^31).
  let size = 16;
  while (size < pairs.length) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i] * k + pairs[i + 1];
    table[coveredSlot(table, key)] = key;
  }
  return { k, bmpClass, astralClass, table };
}

interface CutterData {
  k: number;
  bmpClass: Int32Array;
  astralClass: Map<number, number>;
  table: Int32Array;
}

function coveredSlot(table: Int32Array, key: number): number {
  const mask = table.length - 1;
  let h = Math.imul(key, 0x9e3779b1) & mask;
  while (table[h] !== -1 && table[h] !== key) h = (h + 1) & mask;
  return h;
}

function cutter({ k, bmpClass, astralClass, table }: CutterData): (word: string, out: string[]) => void {
  const find = (key: number) => coveredSlot(table, key);
  return (word, out) => {
    const n = word.length;
    let start = 0;
    let prev = -1;
    let i = 0;
    while (i < n) {
      const c = word.charCodeAt(i);
      let cls: number;
      let width = 1;
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && (word.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        cls = astralClass.get(((c - 0xd800) << 10) + (word.charCodeAt(i + 1) - 0xdc00) + 0x10000) ?? -1;
        width = 2;
      } else {
        cls = bmpClass[c];
      }
      if (i > 0 && (prev < 0 || cls < 0 || table[find(prev * k + cls)] === -1)) {
        out.push(word.slice(start, i));
        start = i;
      }
      prev = cls;
      i += width;
    }
    if (start < n) out.push(word.slice(start));
  };
}

/**
 * Cuts a piece further, at every position p that no occurrence of a merge result in the piece
 * straddles. This is the exact form of the rule above: a symbol BPE forms is a merge result found at
 * that place in the text, so where none straddles p, no symbol ever will. It matters for tokenizers
 * whose merges join words ("▁of▁the", TinyStories-style SentencePiece BPE without a pre-tokenizer):
 * the pair rule cannot cut before such a "▁" anywhere, while in a given line most of them are not
 * inside any such occurrence. Results are kept in a trie over UTF-16 code units; a cut is never
 * made inside a surrogate pair.
 */
function occurrenceData(merges: readonly (readonly [string, string])[]): OccurrenceData {
  // Trie edges (node, code unit) → child by open addressing; `final` marks nodes that end a result.
  let total = 0;
  for (const [a, b] of merges) total += a.length + b.length;
  let size = 16;
  while (size < total * 2) size <<= 1;
  const edgeNode = new Int32Array(size).fill(-1);
  const edgeUnit = new Int32Array(size);
  const edgeChild = new Int32Array(size);
  const final: number[] = [0];
  let nodes = 1;
  for (const [a, b] of merges) {
    const result = a + b;
    let node = 0;
    for (let i = 0; i < result.length; i++) {
      const unit = result.charCodeAt(i);
      const h = edgeSlot(edgeNode, edgeUnit, node, unit);
      if (edgeNode[h] === -1) {
        edgeNode[h] = node;
        edgeUnit[h] = unit;
        edgeChild[h] = nodes++;
        final.push(0);
      }
      node = edgeChild[h];
    }
    final[node] = 1;
  }
  return { edgeNode, edgeUnit, edgeChild, isFinal: Int8Array.from(final) };
}

interface OccurrenceData {
  edgeNode: Int32Array;
  edgeUnit: Int32Array;
  edgeChild: Int32Array;
  isFinal: Int8Array;
}

function edgeSlot(edgeNode: Int32Array, edgeUnit: Int32Array, node: number, unit: number): number {
  const mask = edgeNode.length - 1;
  let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(unit, 0x85ebca6b)) & mask;
  while (edgeNode[h] !== -1 && (edgeNode[h] !== node || edgeUnit[h] !== unit)) h = (h + 1) & mask;
  return h;
}

function occurrenceCutter({ edgeNode, edgeUnit, edgeChild, isFinal }: OccurrenceData): (piece: string, out: string[]) => void {
  const slot = (node: number, unit: number) => edgeSlot(edgeNode, edgeUnit, node, unit);
  let reachOf = new Int32Array(64);

  return (piece, out) => {
    const n = piece.length;
    if (n <= 2) {
      out.push(piece);
      return;
    }
    if (reachOf.length < n) reachOf = new Int32Array(n * 2);
    // reachOf[a]: end of the longest result occurring at a.
    for (let a = 0; a < n; a++) {
      let node = 0;
      let reach = a;
      for (let i = a; i < n; i++) {
        const h = slot(node, piece.charCodeAt(i));
        if (edgeNode[h] === -1) break;
        node = edgeChild[h];
        if (isFinal[node]) reach = i + 1;
      }
      reachOf[a] = reach;
    }
    let start = 0;
    let covered = reachOf[0];
    for (let p = 1; p < n; p++) {
      const c = piece.charCodeAt(p);
      const insidePair = (c & 0xfc00) === 0xdc00 && (piece.charCodeAt(p - 1) & 0xfc00) === 0xd800;
      if (covered <= p && !insidePair) {
        out.push(piece.slice(start, p));
        start = p;
      }
      if (reachOf[p] > covered) covered = reachOf[p];
    }
    out.push(piece.slice(start));
  };
}

/** Per-line memo over the public encode: right for any tokenizer. */
function lineMemoEncoder(plain: PlainEncode): LineEncoder {
  const memos = [false, true].map((special) => new Memo((line) => plain(line, special)));
  const get = (line: string, addSpecial: boolean) => memos[addSpecial ? 1 : 0].get(line);
  return {
    strategy: 'lines',
    encode: (line, addSpecial) => [...get(line, addSpecial)],
    count(line, addSpecial, counts) {
      const ids = get(line, addSpecial);
      tally(ids, counts);
      return ids.length;
    },
    pieces: () => null,
    memoSnapshot: () => null,
    remember: () => false,
  };
}

interface Prepared {
  internals: TokenizerInternals;
  strategy: 'segments' | 'pre-tokens';
  cut: ((word: string, out: string[]) => void) | null;
  /** Cuts a piece at the places no merge result straddles there (see occurrenceCutter); with `cut` only. */
  refine: ((piece: string, out: string[]) => void) | null;
  fastBpe: BpeTables | null;
  fastUnigram: UnigramTables | null;
}

function fastEncoder({ internals, strategy, cut, refine, fastBpe, fastUnigram }: Prepared, plain: PlainEncode): LineEncoder {
  const specials = internals.specials!;
  /** Token strings of one piece, as `model.encode([piece])` gives them. */
  const tokensOf = (piece: string): string[] => {
    if (fastUnigram !== null) return fastUnigram.tokens(piece);
    if (fastBpe === null) return internals.encodeWord(piece);
    // BPE.encode's own shortcut under ignore_merges.
    if (internals.ignoreMerges && internals.inVocab(piece)) return [piece];
    const spans = fastBpe.symbols(piece);
    if (spans === null) return internals.encodeWord(piece);
    const tokens: string[] = [];
    for (let k = 0; k < spans.length; k += 2) {
      const symbol = piece.slice(spans[k], spans[k + 1]);
      if (internals.inVocab(symbol)) tokens.push(symbol);
      // A lone code point BPE could not merge: byte fallback / unknown, as the library does it.
      else if (spans[k + 1] - spans[k] <= 2 && [...symbol].length === 1) tokens.push(...internals.encodeWord(symbol));
      else return internals.encodeWord(piece);
    }
    return tokens;
  };
  // Unknown tokens are fused across pieces too (the model fuses the whole section's tokens), so a
  // piece holding one keeps its token strings for the line-level fusion below.
  const unitMemo = new Memo((piece) => {
    const tokens = tokensOf(piece);
    const ids: Ids = tokens.map(internals.tokenId);
    if (internals.fuseUnk && tokens.some(internals.isUnknown)) ids.tokens = tokens;
    return ids;
  });
  /** The ids of consecutive parts, as one piece's (token strings kept when a part has them). */
  const joined = (parts: readonly string[], memo: Memo): Ids => {
    if (parts.length === 1) return memo.get(parts[0]);
    const ids: Ids = [];
    let tokens: string[] | null = null;
    for (const part of parts) {
      const partIds = memo.get(part);
      if (partIds.tokens && !tokens) tokens = ids.map((id) => internals.idToken(id));
      for (let i = 0; i < partIds.length; i++) {
        (ids as number[]).push(partIds[i]);
        tokens?.push(partIds.tokens?.[i] ?? internals.idToken(partIds[i]));
      }
    }
    if (tokens) ids.tokens = tokens;
    return ids;
  };
  // Pieces the pair rule gives are memoised as such (a word, mostly); a piece not seen before is cut
  // further (refine) and its parts go through their own memo, so that a line the pair rule leaves
  // whole (no pre-tokenizer, merges across words) is still encoded from repeated parts.
  const refined: string[] = [];
  const segmentMemo = refine === null ? unitMemo : new Memo((piece) => {
    refined.length = 0;
    refine(piece, refined);
    return joined(refined, unitMemo);
  });
  // Byte-level pre-tokenizers: pre-tokens are memoised before their byte-level mapping, which is
  // then done once per distinct pre-token instead of once per occurrence.
  const byteLevel = internals.byteLevelSplit;
  const cutParts: string[] = [];
  const memoKind = `${strategy}${cut ? '+cut' : ''}${refine ? '+refine' : ''}${byteLevel ? '+bytelevel' : ''}`;
  const memo = byteLevel === null ? segmentMemo : new Memo((raw) => {
    const mapped = byteLevel.toBytes(raw);
    if (!cut) return segmentMemo.get(mapped);
    cutParts.length = 0;
    cut(mapped, cutParts);
    return joined([...cutParts], segmentMemo);
  });

  /**
   * The library's fuse_unk over a line's tokens: a run of unknown tokens becomes one, the run's
   * strings joined while the joined string is not itself the unknown token, and looked up as a whole.
   */
  function fused(pieces: readonly Ids[]): number[] {
    const out: number[] = [];
    let run: string | null = null;
    for (const ids of pieces) {
      for (let i = 0; i < ids.length; i++) {
        const token = ids.tokens?.[i];
        if (token === undefined || !internals.isUnknown(token)) {
          if (run !== null) out.push(internals.tokenId(run));
          run = null;
          out.push(ids[i]);
        } else if (run === null) {
          run = token;
        } else if (!internals.isUnknownToken(run)) {
          run += token;
        }
      }
    }
    if (run !== null) out.push(internals.tokenId(run));
    return out;
  }
  const scratchPieces: string[] = [];
  const scratchIds: Ids[] = [];

  /** Fills scratchPieces; false when the line must take the plain path. */
  function piecesOf(line: string): boolean {
    scratchPieces.length = 0;
    // encode skips an empty text before normalising (which could prepend "▁" to it).
    if (line.length === 0) return true;
    if (internals.hasAddedToken(line)) return false;
    const normalized = internals.normalize(line);
    if (normalized.length === 0) return true;
    if (internals.hasNormalizedAddedToken(normalized)) return false;
    for (const word of byteLevel ? byteLevel.preTokenize(normalized) : internals.preTokenize(normalized)) {
      if (word.length === 0) continue;
      if (cut && !byteLevel) cut(word, scratchPieces);
      else scratchPieces.push(word);
    }
    return true;
  }

  /** Fills scratchIds with the ids of each piece; false when the line must take the plain path. */
  function idsOf(line: string): boolean {
    scratchIds.length = 0;
    if (!piecesOf(line)) return false;
    let unknown = false;
    for (const piece of scratchPieces) {
      const ids = memo.get(piece);
      if (ids.tokens) unknown = true;
      scratchIds.push(ids);
    }
    if (unknown) {
      const ids = fused(scratchIds);
      scratchIds.length = 0;
      scratchIds.push(ids);
    }
    return true;
  }

  return {
    strategy,
    encode(line, addSpecial) {
      if (!idsOf(line)) return plain(line, addSpecial);
      const out: number[] = addSpecial ? [...specials.prefix] : [];
      for (const ids of scratchIds) for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      if (addSpecial) out.push(...specials.suffix);
      return out;
    },
    count(line, addSpecial, counts) {
      if (!idsOf(line)) {
        const ids = plain(line, addSpecial);
        tally(ids, counts);
        return ids.length;
      }
      let total = 0;
      for (const ids of scratchIds) {
        tally(ids, counts);
        total += ids.length;
      }
      if (addSpecial) {
        tally(specials.prefix, counts);
        tally(specials.suffix, counts);
        total += specials.prefix.length + specials.suffix.length;
      }
      return total;
    },
    pieces(line) {
      if (!piecesOf(line)) return null;
      let pieces = [...scratchPieces];
      if (byteLevel) {
        pieces = pieces.map(byteLevel.toBytes);
        if (cut) {
          const out: string[] = [];
          for (const piece of pieces) cut(piece, out);
          pieces = out;
        }
      }
      if (refine === null) return pieces;
      const out: string[] = [];
      for (const piece of pieces) refine(piece, out);
      return out;
    },
    memoSnapshot: (limit = SNAPSHOT_ENTRIES) => memo.snapshot(memoKind, limit),
    remember(snapshot) {
      if (snapshot.kind !== memoKind) return false;
      memo.seed(snapshot);
      return true;
    },
  };
}

/** Strings that exercise the boundaries the fast path relies on; any disagreement disables it. */
const SELF_CHECK = [
  'Hello world', ' leading', 'trailing ', 'two  spaces   three', '\ttab\there', 'a\rb', '= = Heading = =',
  'naïve café 東京 😀👍🏽', 'e\u0301 combining', '1234567 3.14159', 'x'.repeat(300), 'don\'t "quote" (paren), comma.',
  // Equal-rank pairs side by side: the leftmost must merge first.
  'aaaaaaa', 'xxxxxxxxxxx', 'eeeee ooooo', '                ', '▁▁▁▁▁▁▁',
];

/**
 * The BPE fast path's tables as plain data, built from the merges: what takes most of a tokenizer's
 * preparation, posted as it is to counting workers (their self-check still compares each result with `plain`).
 */
export interface LineEncoderTables {
  cut: CutterData | null;
  refine: OccurrenceData | null;
  bpe: BpeTableData;
}

/** A factory of encoders, with the tables it was prepared from (null when it is not a BPE fast path). */
export type LineEncoderFactory = (() => LineEncoder) & { tables: LineEncoderTables | null };

/**
 * Prepares, once per tokenizer, the fastest way to encode lines that is identical to `plain`, and
 * returns a factory of encoders (each with its own memo, dropped with it). `core` is the core Tokenizer
 * (@huggingface/tokenizers) whose `encode(text).ids` `plain` returns, or null when `plain` does more than
 * that; anything not recognised yields per-line memos over `plain`. `given`: tables another thread
 * prepared for the same tokenizer files.
 */
export function prepareLineEncoders(core: unknown, plain: PlainEncode, given?: LineEncoderTables | null): LineEncoderFactory {
  const fallback = Object.assign(() => lineMemoEncoder(plain), { tables: null });
  const internals = core === null ? null : tokenizerInternals(core);
  if (internals === null || internals.specials === null) return fallback;
  let prepared: Prepared;
  let tables: LineEncoderTables | null = null;
  if (internals.modelType === 'BPE' && !internals.wordSuffixes) {
    if (given) {
      tables = given;
    } else {
      // ignore_merges looks at whole pre-tokens, so they must not be cut.
      const cutData = internals.ignoreMerges ? null : cutterData(internals.merges!);
      tables = { cut: cutData, refine: cutData ? occurrenceData(internals.merges!) : null, bpe: bpeTableData(internals.merges!) };
    }
    const cut = tables.cut ? cutter(tables.cut) : null;
    const refine = cut && tables.refine ? occurrenceCutter(tables.refine) : null;
    prepared = { internals, strategy: cut ? 'segments' : 'pre-tokens', cut, refine, fastBpe: bpeTables(tables.bpe), fastUnigram: null };
  } else if (internals.modelType === 'BPE' || internals.modelType === 'Unigram' || internals.modelType === 'WordPiece') {
    // Their model encodes each pre-token on its own (BPE with word suffixes: suffixes mark pre-token ends).
    const fastUnigram = internals.unigram ? unigramTables(internals.unigram) : null;
    prepared = { internals, strategy: 'pre-tokens', cut: null, refine: null, fastBpe: null, fastUnigram };
  } else {
    return fallback;
  }
  const probe = fastEncoder(prepared, plain);
  for (const text of SELF_CHECK) {
    for (const special of [false, true]) {
      if (probe.encode(text, special).join(',') !== plain(text, special).join(',')) return fallback;
    }
  }
  return Object.assign(() => fastEncoder(prepared, plain), { tables });
}

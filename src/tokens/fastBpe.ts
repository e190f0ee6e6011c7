/**
 * BPE merges for short words, over integer tables. transformers.js's own BPE spends 30–150 µs per
 * word (pairs are looked up as JSON strings, one heap entry object per pair), which is most of the
 * time of counting a corpus even when each distinct word is encoded once; this does the same merges
 * in a few µs.
 *
 * Same result as transformers.js `BPE.bpe`: that one pops pairs from a heap scored `rank + pos / n`,
 * i.e. it always merges the lowest-ranked adjacent pair, leftmost first (the score of a merged symbol
 * keeps its left end's position), which is what the scan below does. Only the symbol sequence is
 * computed here; turning symbols into ids (byte fallback, unknowns) is left to the caller.
 */

const EMPTY = 0x7fffffff;

export interface BpeTables {
  /** Final symbols of `word` as [start, end) offsets into it, or null when `word` is too long for the quadratic scan. */
  symbols(word: string): Int32Array | null;
}

/** Words longer than this (in code points) go to the library's heap-based BPE instead. */
export const MAX_FAST_BPE_LENGTH = 96;

/**
 * The merge tables as plain data (typed arrays and a Map): built once per tokenizer, and posted as they are to
 * a counting worker, which would otherwise spend ~50 ms of its start building them again.
 */
export interface BpeTableData {
  /** Open addressing on (left, right) → rank, result; keyLeft -1 marks an empty slot. */
  keyLeft: Int32Array;
  keyRight: Int32Array;
  rankOf: Int32Array;
  resultOf: Int32Array;
  /** Single code points' ids (-1: none), by array for the BMP. */
  bmpId: Int32Array;
  astralId: Map<number, number>;
}

export function bpeTableData(merges: readonly (readonly [string, string])[]): BpeTableData {
  // Every string that takes part in a merge gets a small integer id.
  const ids = new Map<string, number>();
  const idOf = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  let size = 1;
  while (size < merges.length * 2) size <<= 1;
  const mask = size - 1;
  const keyLeft = new Int32Array(size).fill(-1);
  const keyRight = new Int32Array(size);
  const rankOf = new Int32Array(size);
  const resultOf = new Int32Array(size);
  for (let rank = 0; rank < merges.length; rank++) {
    const [a, b] = merges[rank];
    const l = idOf(a);
    const r = idOf(b);
    const h = mergeSlot(keyLeft, keyRight, mask, l, r);
    // The library's rank map is built with `new Map(entries)`, so a repeated pair keeps its last rank.
    keyLeft[h] = l;
    keyRight[h] = r;
    rankOf[h] = rank;
    resultOf[h] = idOf(a + b);
  }
  const bmpId = new Int32Array(0x10000).fill(-1);
  const astralId = new Map<number, number>();
  for (const [text, id] of ids) {
    const cp = text.codePointAt(0)!;
    if (text.length !== (cp > 0xffff ? 2 : 1)) continue;
    if (cp <= 0xffff) bmpId[cp] = id;
    else astralId.set(cp, id);
  }
  return { keyLeft, keyRight, rankOf, resultOf, bmpId, astralId };
}

function mergeSlot(keyLeft: Int32Array, keyRight: Int32Array, mask: number, l: number, r: number): number {
  let h = (Math.imul(l, 0x9e3779b1) ^ Math.imul(r, 0x85ebca6b)) & mask;
  while (keyLeft[h] !== -1 && (keyLeft[h] !== l || keyRight[h] !== r)) h = (h + 1) & mask;
  return h;
}

export function bpeTables(data: BpeTableData): BpeTables {
  const { keyLeft, keyRight, rankOf, resultOf, bmpId, astralId } = data;
  const mask = keyLeft.length - 1;
  const slot = (l: number, r: number) => mergeSlot(keyLeft, keyRight, mask, l, r);
  const lookup = (l: number, r: number): number => {
    if (l < 0 || r < 0) return -1;
    const h = slot(l, r);
    return keyLeft[h] === -1 ? -1 : h;
  };

  // Scratch buffers, grown on demand: symbol id, start offset, next index, pair slot / rank.
  let cap = 0;
  let sym = new Int32Array(0);
  let start = new Int32Array(0);
  let next = new Int32Array(0);
  let pairSlot = new Int32Array(0);
  let pairRank = new Int32Array(0);
  const grow = (n: number) => {
    if (n <= cap) return;
    cap = Math.max(n, cap * 2, 64);
    sym = new Int32Array(cap);
    start = new Int32Array(cap);
    next = new Int32Array(cap);
    pairSlot = new Int32Array(cap);
    pairRank = new Int32Array(cap);
  };
  const setPair = (i: number) => {
    const j = next[i];
    const h = j < 0 ? -1 : lookup(sym[i], sym[j]);
    pairSlot[i] = h;
    pairRank[i] = h < 0 ? EMPTY : rankOf[h];
  };

  return {
    symbols(word: string): Int32Array | null {
      const len = word.length;
      grow(len + 1);
      // Code points as Array.from gives them (lone surrogates on their own).
      let n = 0;
      for (let i = 0; i < len; ) {
        const c = word.charCodeAt(i);
        start[n] = i;
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < len) {
          const lo = word.charCodeAt(i + 1);
          if (lo >= 0xdc00 && lo < 0xe000) {
            sym[n++] = astralId.get(((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000) ?? -1;
            i += 2;
            continue;
          }
        }
        sym[n++] = bmpId[c];
        i++;
      }
      if (n > MAX_FAST_BPE_LENGTH) return null;
      start[n] = len;
      for (let i = 0; i < n; i++) next[i] = i + 1 < n ? i + 1 : -1;
      for (let i = 0; i < n; i++) setPair(i);
      let prevOf = -1;
      for (;;) {
        let best = -1;
        let bestRank = EMPTY;
        let prev = -1;
        for (let i = 0; i >= 0; i = next[i]) {
          if (pairRank[i] < bestRank) {
            bestRank = pairRank[i];
            best = i;
            prevOf = prev;
          }
          prev = i;
        }
        if (best < 0) break;
        const j = next[best];
        sym[best] = resultOf[pairSlot[best]];
        next[best] = next[j];
        setPair(best);
        if (prevOf >= 0) setPair(prevOf);
      }
      let count = 0;
      for (let i = 0; i >= 0; i = next[i]) count++;
      const out = new Int32Array(count * 2);
      let k = 0;
      for (let i = 0; i >= 0; i = next[i]) {
        out[k++] = start[i];
        out[k++] = next[i] < 0 ? len : start[next[i]];
      }
      return out;
    },
  };
}

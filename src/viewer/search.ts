/**
 * Finding tokens by what a visitor types. Matches the decoded text and the raw piece; ranks
 * exact matches first, then case-insensitive ones, prefixes, then substrings; ties go to the
 * more frequent token, then the lower id. `#123` finds token id 123.
 */
export interface SearchIndex {
  ids: Uint32Array;
  counts: Uint32Array;
  texts: string[];
  pieces: string[];
  /** Trimmed, lower-cased text. */
  keys: string[];
  /** Lower-cased piece without SentencePiece's space mark. */
  pieceKeys: string[];
}

export function buildSearchIndex(points: {
  ids: Uint32Array;
  counts: Uint32Array;
  texts: string[];
  pieces: string[];
}): SearchIndex {
  return {
    ids: points.ids,
    counts: points.counts,
    texts: points.texts,
    pieces: points.pieces,
    keys: points.texts.map((t) => t.trim().toLowerCase()),
    pieceKeys: points.pieces.map((p) => p.replaceAll('\u2581', ' ').trim().toLowerCase()),
  };
}

/** Position of token `id` in the (ascending) id array, or -1. */
export function indexOfId(ids: Uint32Array, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] === id) return mid;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Score of point i for the query (lower is better), or -1 when it does not match. */
function score(index: SearchIndex, i: number, raw: string, trimmed: string, lower: string): number {
  const text = index.texts[i];
  const piece = index.pieces[i];
  if (text === raw || piece === raw) return 0;
  if (text.trim() === trimmed) return 1;
  const key = index.keys[i];
  const pieceKey = index.pieceKeys[i];
  if (key === lower || pieceKey === lower) return 2;
  if (key.startsWith(lower) || pieceKey.startsWith(lower)) return 3;
  if (key.includes(lower) || pieceKey.includes(lower)) return 4;
  return -1;
}

/** Indices of the best `limit` matches, best first. */
export function searchTokens(index: SearchIndex, query: string, limit = 50): number[] {
  if (query.length === 0) return [];
  const idMatch = /^#(\d{1,10})$/.exec(query.trim());
  if (idMatch) {
    const i = indexOfId(index.ids, Number(idMatch[1]));
    return i >= 0 ? [i] : [];
  }
  const trimmed = query.trim();
  const lower = trimmed.toLowerCase();
  if (lower.length === 0) {
    // Only whitespace: match whitespace tokens exactly.
    const out: number[] = [];
    for (let i = 0; i < index.texts.length && out.length < limit; i++) if (index.texts[i] === query) out.push(i);
    return out;
  }
  const hits: { i: number; s: number }[] = [];
  for (let i = 0; i < index.texts.length; i++) {
    const s = score(index, i, query, trimmed, lower);
    if (s >= 0) hits.push({ i, s });
  }
  hits.sort((a, b) => a.s - b.s || index.counts[b.i] - index.counts[a.i] || index.ids[a.i] - index.ids[b.i]);
  return hits.slice(0, limit).map((h) => h.i);
}

/**
 * The token a `?token=` link means: an exact text or piece match, else the same text without
 * surrounding spaces, else a case-insensitive match. -1 when there is none (no fuzzy guessing).
 */
export function resolveToken(index: SearchIndex, token: string): number {
  const best = searchTokens(index, token, 1);
  if (best.length === 0) return -1;
  const i = best[0];
  const trimmed = token.trim();
  return score(index, i, token, trimmed, trimmed.toLowerCase()) <= 2 ? i : -1;
}

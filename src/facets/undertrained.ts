/**
 * The under-trained-token indicator of "Fishing for Magikarp" (Land & Bartolo 2024), computed from the
 * input embedding alone:
 *   untied input embeddings: a token the model never saw keeps a small (decayed) embedding, so the
 *     lowest-norm 2% of ordinary tokens are candidates (score = −norm);
 *   tied embeddings: the rows are trained as output vectors too, so the norm says less; where the
 *     vocabulary names unused/reserved tokens, closeness to their mean is the indicator (score = cosine
 *     similarity to that mean, i.e. 1 − cosine distance); otherwise the norm, as above.
 */
import type { UndertrainedMethod } from '../artifact/manifest.ts';

/** Share of ordinary tokens flagged as candidates. */
export const UNDERTRAINED_SHARE = 0.02;

const UNUSED_PIECE = /^(?:<unused\d+>|\[unused\d+\]|<\|reserved_special_token_\d+\|>|<extra_id_\d+>)$/;

/** Vocabulary entries that name themselves unused or reserved. */
export function unusedTokenIds(pieces: readonly string[]): number[] {
  const ids: number[] = [];
  pieces.forEach((p, id) => {
    if (UNUSED_PIECE.test(p)) ids.push(id);
  });
  return ids;
}

export interface UndertrainedResult {
  method: UndertrainedMethod;
  /** Per row: higher = more likely under-trained. */
  scores: Float32Array;
  /** Per row: 1 = candidate. */
  flags: Uint8Array;
}

/**
 * `norms` and (for the tied method) `meanCosines` are per row of the vocabulary; `ordinary[row]` is
 * false for special and byte tokens, which are never ranked. Unused/reserved tokens themselves are
 * flagged without taking a share of the ranking.
 */
export function undertrainedCandidates(
  norms: Float64Array | Float32Array,
  ordinary: readonly boolean[],
  tied: boolean,
  unusedIds: readonly number[],
  meanCosines: Float64Array | Float32Array | null,
): UndertrainedResult {
  const n = norms.length;
  const method: UndertrainedMethod = !tied ? 'lowest-norm' : unusedIds.length > 0 && meanCosines ? 'unused-mean-distance' : 'tied-norm';
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) scores[i] = method === 'unused-mean-distance' ? meanCosines![i] : -norms[i];
  const flags = new Uint8Array(n);
  const unused = new Set(unusedIds);
  const ranked: number[] = [];
  for (let i = 0; i < n; i++) {
    if (unused.has(i)) flags[i] = 1;
    else if (ordinary[i]) ranked.push(i);
  }
  // Highest score first; ties by id, so the cut is deterministic.
  ranked.sort((a, b) => scores[b] - scores[a] || a - b);
  const take = Math.round(UNDERTRAINED_SHARE * ranked.length);
  for (let j = 0; j < take; j++) flags[ranked[j]] = 1;
  return { method, scores, flags };
}

import { describe, expect, it } from 'vitest';
import { axisEnds } from '../src/projection/axisEnds.ts';
import { mulberry32 } from '../src/projection/seededRandom.ts';

/** The definition: sort every point by its coordinate (ties: lower id) and take each end. */
function bySorting(ids: number[], positions: number[], perEnd: number) {
  const n = ids.length;
  const take = Math.min(perEnd, Math.floor(n / 2));
  return [0, 1, 2].map((axis) => {
    const order = ids.map((_, i) => i).sort((a, b) => positions[a * 3 + axis] - positions[b * 3 + axis] || ids[a] - ids[b]);
    const tiesFirst = ids.map((_, i) => i).sort((a, b) => positions[b * 3 + axis] - positions[a * 3 + axis] || ids[a] - ids[b]);
    return { negative: order.slice(0, take).map((i) => ids[i]), positive: tiesFirst.slice(0, take).map((i) => ids[i]) };
  });
}

describe('the tokens at each end of an axis', () => {
  it('are the most extreme points of each axis, most extreme first, ties going to the lower id', () => {
    const random = mulberry32(3);
    for (const n of [0, 1, 2, 5, 17, 1000]) {
      const ids = Array.from({ length: n }, (_, i) => 7 * i + (i % 3));
      // Coarse values, so that many points share a coordinate.
      const positions = Array.from({ length: n * 3 }, () => Math.round(random() * 20) / 4);
      expect(axisEnds(ids, positions), `n=${n}`).toEqual(bySorting(ids, positions, 8));
    }
  });
});

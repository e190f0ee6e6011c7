import type { AxisEnds } from '../artifact/manifest.ts';

export const AXIS_END_TOKENS = 8;

/** Per axis (PC1–PC3): ids of the points with the lowest and highest coordinates, most extreme first (ties: lower id). */
export function axisEnds(ids: ArrayLike<number>, positions: ArrayLike<number>, perEnd = AXIS_END_TOKENS): AxisEnds[] {
  const n = ids.length;
  const take = Math.min(perEnd, Math.floor(n / 2));
  return [0, 1, 2].map((axis) => {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => positions[a * 3 + axis] - positions[b * 3 + axis] || ids[a] - ids[b]);
    return {
      negative: order.slice(0, take).map((i) => ids[i]),
      positive: order.slice(n - take).reverse().map((i) => ids[i]),
    };
  });
}

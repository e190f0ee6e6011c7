/**
 * Which points get a text label on the map, and where: pure functions, no DOM.
 *
 * - `labelPriority` orders the points once per exhibit: by corpus count (most frequent first), or,
 *   for a full-vocabulary exhibit whose counts are all 0, by spacing (`spacingOrder`), so the
 *   first labels spread over the whole cloud instead of piling up in its densest part.
 * - `placeLabels` walks candidates in that order and keeps each label whose rectangle overlaps no
 *   label kept before it (pinned labels — the selection and its neighbours — go first and always
 *   stay). It stops after `maxLabels` labels or `budget` candidates, so its cost is bounded
 *   whatever the exhibit's size; zooming in spreads the points, so more of them fit.
 */

export interface LabelRect {
  index: number;
  /** Top-left corner and size in CSS pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  pinned: boolean;
}

/**
 * Point order by spacing: a coarse-to-fine grid over the points' bounding box (2×2×2 cells, then
 * 4×4×4, … up to 64×64×64); at each level every cell not yet represented contributes the point
 * nearest its centre. Points early in the order are therefore far apart; the rest follow in
 * index order. O(n · levels) with typed arrays, computed once (about 0.1 s at 128k points).
 */
export function spacingOrder(positions: Float32Array, maxLevel = 6): Uint32Array {
  const n = Math.floor(positions.length / 3);
  const out = new Uint32Array(n);
  if (n === 0) return out;
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      const v = positions[i * 3 + a];
      if (v < min[a]) min[a] = v;
      if (v > max[a]) max[a] = v;
    }
  }
  const span = [0, 1, 2].map((a) => Math.max(max[a] - min[a], 1e-12));
  // Each point's fractional grid position at the finest level, per axis.
  const finest = 1 << maxLevel;
  const frac = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i++) frac[i] = Math.min(finest - 1e-3, Math.max(0, ((positions[i] - min[i % 3]) / span[i % 3]) * finest));
  const taken = new Uint8Array(n);
  let filled = 0;
  for (let level = 1; level <= maxLevel && filled < n; level++) {
    const cells = 1 << level;
    const shrink = finest / cells;
    const cellOf = (i: number) => {
      const cx = Math.floor(frac[i * 3] / shrink);
      const cy = Math.floor(frac[i * 3 + 1] / shrink);
      const cz = Math.floor(frac[i * 3 + 2] / shrink);
      return (cx * cells + cy) * cells + cz;
    };
    const occupied = new Uint8Array(cells * cells * cells);
    for (let k = 0; k < filled; k++) occupied[cellOf(out[k])] = 1;
    const best = new Int32Array(cells * cells * cells).fill(-1);
    const bestD = new Float32Array(cells * cells * cells);
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      const c = cellOf(i);
      if (occupied[c]) continue;
      let d = 0;
      for (let a = 0; a < 3; a++) {
        const f = frac[i * 3 + a] / shrink;
        d += (f - Math.floor(f) - 0.5) ** 2;
      }
      if (best[c] < 0 || d < bestD[c]) {
        best[c] = i;
        bestD[c] = d;
      }
    }
    const fresh: number[] = [];
    for (let c = 0; c < best.length; c++) if (best[c] >= 0) fresh.push(best[c]);
    fresh.sort((x, y) => x - y);
    for (const i of fresh) {
      taken[i] = 1;
      out[filled++] = i;
    }
  }
  for (let i = 0; i < n && filled < n; i++) if (!taken[i]) out[filled++] = i;
  return out;
}

/** Label order of every point: most frequent first, or by spacing when no point has a count. */
export function labelPriority(counts: ArrayLike<number>, ids: ArrayLike<number>, positions: Float32Array): Uint32Array {
  const n = counts.length;
  let any = false;
  for (let i = 0; i < n && !any; i++) any = counts[i] > 0;
  if (!any) return spacingOrder(positions);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  return order.sort((a, b) => counts[b] - counts[a] || ids[a] - ids[b]);
}

export interface PlacementOptions {
  /** Visible area in CSS pixels. */
  width: number;
  height: number;
  maxLabels: number;
  /** Most candidates to look at (pinned ones not included). */
  budget: number;
  /** Free space kept around each label, in pixels. */
  gap?: number;
}

export interface Candidate {
  index: number;
  /** Anchor: the point's screen position; the label sits centred above it. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Grid of buckets over the screen so each overlap test looks at a few nearby labels only. */
class Occupancy {
  private readonly cell = 64;
  private readonly buckets = new Map<number, LabelRect[]>();
  constructor(private readonly gap: number) {}
  private *keys(r: { x: number; y: number; width: number; height: number }) {
    const c = this.cell;
    for (let gx = Math.floor(r.x / c); gx <= Math.floor((r.x + r.width) / c); gx++) {
      for (let gy = Math.floor(r.y / c); gy <= Math.floor((r.y + r.height) / c); gy++) yield gx * 100003 + gy;
    }
  }
  overlaps(r: LabelRect): boolean {
    const g = this.gap;
    for (const key of this.keys(r)) {
      for (const o of this.buckets.get(key) ?? []) {
        if (r.x < o.x + o.width + g && o.x < r.x + r.width + g && r.y < o.y + o.height + g && o.y < r.y + r.height + g) return true;
      }
    }
    return false;
  }
  add(r: LabelRect): void {
    for (const key of this.keys(r)) {
      const list = this.buckets.get(key);
      if (list) list.push(r);
      else this.buckets.set(key, [r]);
    }
  }
}

/** Where a label may sit around its point: above, below, right, left (in that preference). */
const SPOTS = ['above', 'below', 'right', 'left'] as const;

const rectOf = (c: Candidate, pinned: boolean, spot: (typeof SPOTS)[number] = 'above'): LabelRect => {
  const r = { index: c.index, x: c.x - c.width / 2, y: c.y - c.height - 4, width: c.width, height: c.height, pinned };
  if (spot === 'below') r.y = c.y + 4;
  else if (spot === 'right') {
    r.x = c.x + 6;
    r.y = c.y - c.height / 2;
  } else if (spot === 'left') {
    r.x = c.x - 6 - c.width;
    r.y = c.y - c.height / 2;
  }
  return r;
};

/**
 * Greedy placement. `pinned` labels are always kept (they may overlap one another, never an
 * ordinary label); `candidates` are visited in priority order, lazily, so a caller can compute
 * screen positions only for the points actually looked at.
 */
export function placeLabels(
  pinned: Candidate[],
  candidates: Iterable<Candidate | null>,
  o: PlacementOptions,
  /** Space other elements take (the selected token's card): kept free, not returned. */
  reserved: { x: number; y: number; width: number; height: number }[] = [],
): LabelRect[] {
  const occupancy = new Occupancy(o.gap ?? 2);
  const placed: LabelRect[] = [];
  const seen = new Set<number>();
  for (const r of reserved) occupancy.add({ ...r, index: -1, pinned: true });
  for (const c of pinned) {
    if (seen.has(c.index)) continue;
    seen.add(c.index);
    // Pinned labels always show; they take the first spot around their point that is free.
    const r = SPOTS.map((spot) => rectOf(c, true, spot)).find((k) => !occupancy.overlaps(k)) ?? rectOf(c, true);
    occupancy.add(r);
    placed.push(r);
  }
  let looked = 0;
  let ordinary = 0;
  for (const c of candidates) {
    if (ordinary >= o.maxLabels || looked >= o.budget) break;
    looked++;
    if (!c || seen.has(c.index)) continue;
    const r = (['above', 'below'] as const)
      .map((spot) => rectOf(c, false, spot))
      .find((k) => k.x >= 0 && k.y >= 0 && k.x + k.width <= o.width && k.y + k.height <= o.height && !occupancy.overlaps(k));
    if (!r) continue;
    seen.add(c.index);
    occupancy.add(r);
    placed.push(r);
    ordinary++;
  }
  return placed;
}

/** Label text: the tooltip's visible form, cut to `max` characters. */
export function labelText(visible: string, max = 24): string {
  const chars = [...visible];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : visible;
}

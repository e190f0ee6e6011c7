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
 * 4×4×4, …); at each level every cell not yet represented contributes the point nearest its
 * centre. Points early in the order are therefore far apart. O(n · levels), computed once.
 */
export function spacingOrder(positions: Float32Array): Uint32Array {
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
  const taken = new Uint8Array(n);
  let filled = 0;
  for (let level = 1; level <= 10 && filled < n; level++) {
    const cells = 1 << level;
    // Best point per occupied cell at this level: the one nearest the cell's centre.
    const best = new Map<number, { i: number; d: number }>();
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      let key = 0;
      let d = 0;
      for (let a = 0; a < 3; a++) {
        const f = ((positions[i * 3 + a] - min[a]) / span[a]) * cells;
        const c = Math.min(cells - 1, Math.max(0, Math.floor(f)));
        key = key * cells + c;
        d += (f - c - 0.5) ** 2;
      }
      const b = best.get(key);
      if (!b || d < b.d || (d === b.d && i < b.i)) best.set(key, { i, d });
    }
    // Cells already holding a point of an earlier level add nothing new.
    const occupied = new Set<number>();
    for (let k = 0; k < filled; k++) {
      const i = out[k];
      let key = 0;
      for (let a = 0; a < 3; a++) {
        const c = Math.min(cells - 1, Math.max(0, Math.floor(((positions[i * 3 + a] - min[a]) / span[a]) * cells)));
        key = key * cells + c;
      }
      occupied.add(key);
    }
    const fresh = [...best.entries()].filter(([key]) => !occupied.has(key)).map(([, b]) => b.i).sort((a, b) => a - b);
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

const rectOf = (c: Candidate, pinned: boolean): LabelRect => ({
  index: c.index,
  x: c.x - c.width / 2,
  y: c.y - c.height - 4,
  width: c.width,
  height: c.height,
  pinned,
});

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
    const r = rectOf(c, true);
    occupancy.add(r);
    placed.push(r);
  }
  let looked = 0;
  let ordinary = 0;
  for (const c of candidates) {
    if (ordinary >= o.maxLabels || looked >= o.budget) break;
    looked++;
    if (!c || seen.has(c.index)) continue;
    const r = rectOf(c, false);
    if (r.x < 0 || r.y < 0 || r.x + r.width > o.width || r.y + r.height > o.height) continue;
    if (occupancy.overlaps(r)) continue;
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

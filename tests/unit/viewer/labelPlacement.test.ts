import { describe, expect, it } from 'vitest';
import { labelPriority, labelText, placeLabels, spacingOrder, type Candidate, type LabelRect } from '../../../src/viewer/labelPlacement.ts';
import { mulberry32 } from '../../../src/projection/seededRandom.ts';

const overlaps = (a: LabelRect, b: LabelRect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function randomCandidates(n: number, seed: number, w = 800, h = 600): Candidate[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, index) => ({ index, x: rng() * w, y: rng() * h, width: 20 + rng() * 60, height: 16 }));
}

describe('label placement', () => {
  it('keeps no two labels overlapping, and every label inside the view', () => {
    const placed = placeLabels([], randomCandidates(5000, 7), { width: 800, height: 600, maxLabels: 500, budget: 5000, gap: 0 });
    expect(placed.length).toBeGreaterThan(40);
    const problems: string[] = [];
    for (let a = 0; a < placed.length; a++) {
      const r = placed[a];
      if (!(r.x >= 0 && r.y >= 0 && r.x + r.width <= 800 && r.y + r.height <= 600)) problems.push(`${r.index} outside`);
      for (let b = a + 1; b < placed.length; b++) if (overlaps(r, placed[b])) problems.push(`${r.index} overlaps ${placed[b].index}`);
    }
    expect(problems).toEqual([]);
  });

  it('prefers earlier candidates: the first one always gets its label', () => {
    const c = randomCandidates(200, 3);
    const placed = placeLabels([], c, { width: 800, height: 600, maxLabels: 50, budget: 200 });
    const firstInside = c.find((k) => k.x - k.width / 2 >= 0 && k.x + k.width / 2 <= 800 && k.y - k.height - 4 >= 0)!;
    expect(placed[0].index).toBe(firstInside.index);
  });

  it('always keeps pinned labels, and keeps ordinary labels off them and off reserved space', () => {
    const pinned: Candidate[] = [{ index: 999, x: 400, y: 300, width: 80, height: 16 }];
    const reserved = [{ x: 300, y: 310, width: 200, height: 60 }];
    const placed = placeLabels(pinned, randomCandidates(3000, 5), { width: 800, height: 600, maxLabels: 400, budget: 3000 }, reserved);
    expect(placed[0]).toMatchObject({ index: 999, pinned: true });
    const pin = placed[0];
    const box = { ...reserved[0], index: -1, pinned: true };
    for (const r of placed.slice(1)) {
      expect(overlaps(r, pin)).toBe(false);
      expect(overlaps(r, box)).toBe(false);
    }
  });

  it('stops after maxLabels labels or budget candidates, and skips points off screen (null)', () => {
    expect(placeLabels([], randomCandidates(5000, 9), { width: 800, height: 600, maxLabels: 10, budget: 5000 })).toHaveLength(10);
    let looked = 0;
    const counting = function* () {
      for (const c of randomCandidates(5000, 9)) {
        looked++;
        yield c;
      }
    };
    placeLabels([], counting(), { width: 800, height: 600, maxLabels: 1000, budget: 100 });
    expect(looked).toBeLessThanOrEqual(101);
    expect(placeLabels([], [null, null], { width: 800, height: 600, maxLabels: 10, budget: 10 })).toEqual([]);
  });

  it('zooming in (points spread apart) lets more labels fit', () => {
    const base = randomCandidates(4000, 11, 400, 300);
    const zoomedOut = placeLabels([], base, { width: 800, height: 600, maxLabels: 1000, budget: 4000 });
    const zoomedIn = placeLabels([], base.map((c) => ({ ...c, x: c.x * 3 - 400, y: c.y * 3 - 300 })), { width: 800, height: 600, maxLabels: 1000, budget: 4000 });
    expect(zoomedIn.length).toBeGreaterThan(zoomedOut.length);
  });
});

describe('label priority', () => {
  it('orders by corpus count, most frequent first (ties by id)', () => {
    const order = labelPriority([3, 50, 0, 50, 7], [10, 11, 12, 9, 13], new Float32Array(15));
    expect([...order]).toEqual([3, 1, 4, 0, 2]);
  });

  it('without counts, orders by spacing: the first points spread over the whole cloud', () => {
    // A dense cluster of 1000 points near the origin and 8 lone points at the corners of a cube.
    const rng = mulberry32(1);
    const pos: number[] = [];
    for (let i = 0; i < 1000; i++) pos.push(rng() * 0.05, rng() * 0.05, rng() * 0.05);
    for (const x of [-1, 1]) for (const y of [-1, 1]) for (const z of [-1, 1]) pos.push(x, y, z);
    const positions = Float32Array.from(pos);
    const order = labelPriority(new Array(1008).fill(0), Array.from({ length: 1008 }, (_, i) => i), positions);
    expect(new Set(order).size).toBe(1008);
    // The 8 corners (indices 1000..1007) come before most of the cluster.
    const firstTwenty = new Set([...order.slice(0, 20)]);
    const corners = [...Array(8).keys()].map((k) => 1000 + k);
    expect(corners.filter((c) => firstTwenty.has(c)).length).toBe(8);
    expect([...spacingOrder(positions)]).toEqual([...order]);
  });
});

describe('label text', () => {
  it('cuts long text with an ellipsis, by characters (not UTF-16 units)', () => {
    expect(labelText('short')).toBe('short');
    expect(labelText('x'.repeat(400))).toBe(`${'x'.repeat(23)}…`);
    expect([...labelText('😀'.repeat(30))].length).toBe(24);
  });
});

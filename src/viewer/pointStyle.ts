/**
 * How points are drawn: their size by how many there are, and the rings that mark the selection,
 * its neighbours, the search's matches and pieces, and the hovered point, in both kinds of view.
 */
import type { Highlight } from './orbitRenderer.ts';

type Rgb = [number, number, number];

const RING: Record<'match' | 'hover' | 'neighbor' | 'selected', Rgb> = {
  match: [0.95, 0.95, 0.95],
  hover: [1, 1, 1],
  neighbor: [1, 0.72, 0.2],
  selected: [1, 0.37, 0.77],
};

/** Smaller points for larger exhibits, so a dense map stays legible. */
export function pointSizeFor(count: number): number {
  if (count <= 3000) return 6;
  if (count <= 20000) return 4.5;
  if (count <= 60000) return 3.5;
  return 2.5;
}

/** What is marked on the map now (point indices; -1 for none). */
export interface MarkedPoints {
  selected: number;
  hovered: number;
  /** Text matches of the search. */
  matches: number[];
  /** The tokenizer's pieces of the search text that are on the map. */
  pieces: number[];
  /** The selection's neighbours that are on the map. */
  neighbors: number[];
}

/**
 * The 3D view's rings (drawn in this order, the selection on top) and the 2D views' selection
 * (which regl-scatterplot draws with one style). Points hidden by the legend are not marked.
 */
export function markings(m: MarkedPoints, pointSize: number, isVisible: (i: number) => boolean): { rings: Highlight[]; chosen: number[] } {
  const ringed = [...new Set([...m.matches, ...m.pieces])].filter((i) => i !== m.selected && isVisible(i));
  const rings: Highlight[] = ringed.map((index) => ({ index, size: pointSize + 7, ring: RING.match }));
  for (const index of m.neighbors) if (index !== m.selected && isVisible(index)) rings.push({ index, size: pointSize + 8, ring: RING.neighbor });
  if (m.hovered >= 0 && m.hovered !== m.selected) rings.push({ index: m.hovered, size: pointSize + 8, ring: RING.hover });
  if (m.selected >= 0) rings.push({ index: m.selected, size: pointSize + 11, ring: RING.selected });
  const chosen = [...new Set([m.selected, ...m.neighbors, ...ringed])].filter((i) => i >= 0 && isVisible(i));
  return { rings, chosen };
}

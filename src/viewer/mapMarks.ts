/**
 * What is marked on the map — the selection, the hovered point, the search's matches and pieces,
 * the selection's neighbours — and its two pictures: rings (pointStyle.ts) in both kinds of view,
 * and the labels that are always shown (the selection, its neighbours, the pieces).
 */
import type { Highlight } from './orbitRenderer.ts';
import { markings, type MarkedPoints } from './pointStyle.ts';

export interface MapMarksOptions {
  pointSize: number;
  /** Whether a point is drawn now (the colour-by legend can hide points). */
  isVisible(i: number): boolean;
  /** New rings for the 3D view and the marked points of the 2D view. */
  drawRings(rings: Highlight[], chosen: number[]): void;
  /** New always-labelled points; `selected` is the selected point (its card needs room). */
  pinLabels(indices: number[], selected: number): void;
}

export interface MapMarks {
  readonly now: Readonly<MarkedPoints>;
  /**
   * Changes some marks and, unless `draw` is false, redraws the rings (and the pinned labels
   * when the selection, the neighbours or the pieces changed).
   */
  set(change: Partial<MarkedPoints>, draw?: boolean): void;
  /** Redraws the rings and, unless `pins` is false, the pinned labels (after a camera jump, new colours, a view switch). */
  redraw(pins?: boolean): void;
}

const PINNED: (keyof MarkedPoints)[] = ['selected', 'neighbors', 'pieces'];

export function createMapMarks(o: MapMarksOptions): MapMarks {
  const now: MarkedPoints = { selected: -1, hovered: -1, matches: [], pieces: [], neighbors: [] };
  const rings = () => {
    const m = markings(now, o.pointSize, o.isVisible);
    o.drawRings(m.rings, m.chosen);
  };
  const pins = () => o.pinLabels([...now.neighbors, ...now.pieces], now.selected);
  return {
    now,
    set(change, draw = true) {
      Object.assign(now, change);
      if (!draw) return;
      rings();
      if (PINNED.some((k) => k in change)) pins();
    },
    redraw(withPins = true) {
      rings();
      if (withPins) pins();
    },
  };
}

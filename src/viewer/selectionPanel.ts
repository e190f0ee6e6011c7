/**
 * What the page says about the selected token: its card on the map, the details panel (exhibit
 * page) and its nearest neighbours, listed in the details panel or, on the embed page, in the
 * map's corner. The neighbour code and neighbors.bin load on the first selection, so the first
 * paint does not grow.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import type { NeighborView } from './neighborView.ts';
import { fillDetails, fillLabel, type TokenInfo } from './tooltip.ts';

export interface SelectionPanelOptions {
  /** The viewer root (its `data-mode` says exhibit or embed page). */
  root: HTMLElement;
  /** The card below the selected point. */
  label: HTMLElement;
  /** The exhibit page's details panel, or null (embed page). */
  details: HTMLElement | null;
  points: ExhibitPoints;
  hasCounts: boolean;
  info(i: number): TokenInfo;
  /** neighbors.bin, or undefined when the exhibit has none; `method` words the list's heading. */
  neighbors: { url: string | undefined; method: string };
  /** A neighbour on the map was chosen. */
  onChoose(index: number): void;
  /** The selection's neighbours on the map ([] until loaded, or none). */
  onNeighbors(indices: number[]): void;
}

export interface SelectionPanel {
  /** Describes point `i` (-1: nothing selected). */
  show(i: number): void;
}

/** 1 for the most frequent token of the map, 2 for the next, ... (ties by token id). */
function frequencyRanks(points: Pick<ExhibitPoints, 'counts' | 'ids'>): Uint32Array {
  const n = points.counts.length;
  const rank = new Uint32Array(n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => points.counts[b] - points.counts[a] || points.ids[a] - points.ids[b]);
  order.forEach((i, r) => (rank[i] = r + 1));
  return rank;
}

export function createSelectionPanel(o: SelectionPanelOptions): SelectionPanel {
  const { points, details } = o;
  const n = points.count;
  const rankOf = o.hasCounts ? frequencyRanks(points) : null;
  const embedNeighbors = o.root.dataset.mode === 'embed' ? o.root.querySelector<HTMLElement>('.map-neighbors') : null;
  let selected = -1;
  let neighborView: Promise<NeighborView> | null = null;

  const neighborBox = (): HTMLElement | null => {
    if (embedNeighbors) {
      embedNeighbors.hidden = selected < 0;
      return embedNeighbors;
    }
    if (!details) return null;
    let box = details.querySelector<HTMLElement>('.details-neighbors');
    if (!box) {
      box = document.createElement('div');
      box.className = 'details-neighbors';
      details.append(box);
    }
    return box;
  };

  const showNeighbors = (i: number) => {
    if (i < 0 && !neighborView) return;
    neighborView ??= import('./neighborView.ts').then(({ createNeighborView }) =>
      createNeighborView({ url: o.neighbors.url, points, method: o.neighbors.method, container: neighborBox, onChoose: o.onChoose, onNeighbors: o.onNeighbors }),
    );
    void neighborView.then((v) => v.show(i));
  };

  return {
    show(i) {
      selected = i;
      if (i >= 0) fillLabel(o.label, o.info(i));
      if (details) {
        fillDetails(details, i >= 0 ? o.info(i) : null, {
          coordinates: i >= 0 ? [points.positions[i * 3], points.positions[i * 3 + 1], points.positions[i * 3 + 2]] : undefined,
          rank: i >= 0 && rankOf ? rankOf[i] : undefined,
          total: n,
        });
      }
      if (embedNeighbors && i < 0) embedNeighbors.hidden = true;
      showNeighbors(i);
    },
  };
}

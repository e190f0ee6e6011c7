/**
 * The neighbour layer of a selection: loads neighbors.bin on the first selection (neighbors.ts),
 * lists the selected token's neighbours (neighborList.ts) in the details panel or, on the embed
 * page, in the map's corner, and reports which of them are on the map, for the highlights and
 * the pinned labels.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import { describeLoadError } from './data.ts';
import { renderNeighborList } from './neighborList.ts';
import { createNeighborSource, neighborsOf } from './neighbors.ts';

export interface NeighborViewOptions {
  /** neighbors.bin (manifest.files.neighbors); undefined when the exhibit has none. */
  url: string | undefined;
  points: ExhibitPoints;
  /** Description of the search for the heading, e.g. "cosine, all 4096 dimensions, whole vocabulary". */
  method: string;
  /** Where the list goes for a selection (created on demand); null to list nowhere. */
  container(): HTMLElement | null;
  onChoose(index: number): void;
  /** Point indices of the current selection's neighbours on the map ([] when none). */
  onNeighbors(indices: number[]): void;
}

export interface NeighborView {
  /** Shows the neighbours of point `i` (-1: none). */
  show(i: number): Promise<void>;
}

export function createNeighborView(o: NeighborViewOptions): NeighborView {
  const source = createNeighborSource(o.url, o.points.count);
  let current = -1;
  const heading = `Nearest tokens (${o.method})`;
  return {
    async show(i) {
      current = i;
      o.onNeighbors([]);
      if (i < 0 || !source.available) return;
      const box = o.container();
      if (box) renderNeighborList(box, { status: 'Loading the neighbours…' }, { heading, onChoose: o.onChoose });
      try {
        const data = await source.load();
        if (current !== i) return;
        const list = neighborsOf(data, o.points, i);
        const target = o.container();
        if (target) renderNeighborList(target, { neighbors: list }, { heading, onChoose: o.onChoose });
        o.onNeighbors(list.filter((nb) => nb.index >= 0).map((nb) => nb.index));
      } catch (e) {
        if (current !== i) return;
        const target = o.container();
        if (target) renderNeighborList(target, { status: describeLoadError(e) }, { heading, onChoose: o.onChoose });
      }
    },
  };
}

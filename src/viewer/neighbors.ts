/**
 * Nearest neighbours of the selected token (neighbors.bin, read by src/artifact/readNeighbors.ts).
 *
 * The file is fetched on the first selection only, so the first paint does not grow; later
 * selections reuse it. Each neighbour is either a point on this map (selectable, highlighted) or
 * a token of the vocabulary that the exhibit does not show (named from the file's extra table).
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import { readNeighbors, type ExhibitNeighbors } from '../artifact/readNeighbors.ts';
import { fetchExhibitFile } from './data.ts';

export interface Neighbor {
  /** 1 = nearest. */
  rank: number;
  /** Point index on this map, or -1 when the token is not on it. */
  index: number;
  id: number;
  text: string;
  piece: string;
  flags: number;
  similarity: number;
}

/** The neighbours of point `i`, nearest first. */
export function neighborsOf(data: ExhibitNeighbors, points: Pick<ExhibitPoints, 'ids' | 'texts' | 'pieces' | 'flags'>, i: number): Neighbor[] {
  if (i < 0 || i >= data.count) return [];
  const out: Neighbor[] = [];
  for (let r = 0; r < data.k; r++) {
    const ref = data.refs[i * data.k + r];
    const similarity = data.similarities[i * data.k + r];
    if (ref < data.count) {
      out.push({ rank: r + 1, index: ref, id: points.ids[ref], text: points.texts[ref], piece: points.pieces[ref], flags: points.flags[ref], similarity });
    } else {
      const j = ref - data.count;
      out.push({ rank: r + 1, index: -1, id: data.extra.ids[j], text: data.extra.texts[j], piece: data.extra.pieces[j], flags: data.extra.flags[j], similarity });
    }
  }
  return out;
}

export interface NeighborSource {
  /** Whether the exhibit has neighbours at all (manifest.files.neighbors). */
  readonly available: boolean;
  /** The decoded file; fetched on the first call, then cached. Rejects with a visitor-facing error. */
  load(): Promise<ExhibitNeighbors>;
}

export function createNeighborSource(url: string | undefined, pointCount: number, fetchImpl: typeof fetch = fetch): NeighborSource {
  let pending: Promise<ExhibitNeighbors> | null = null;
  return {
    available: Boolean(url),
    load() {
      if (!url) return Promise.reject(new Error('This exhibit was built without neighbours.'));
      pending ??= fetchExhibitFile(url, 'neighbour data', fetchImpl).then((bytes) => readNeighbors(bytes, pointCount));
      // A failed download may be retried by the next selection.
      pending.catch(() => (pending = null));
      return pending;
    },
  };
}

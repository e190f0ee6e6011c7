/**
 * The neighbour list of the selected token: in the details panel (exhibit page) and in the map's
 * corner (embed page). Token text goes in through textContent only, in the tooltip's visible form.
 * Neighbours on the map are buttons (Tab reaches them, Enter selects); the others say that they
 * are not on this map.
 */
import type { Neighbor } from './neighbors.ts';
import { el, tokenTextElement } from './tokenText.ts';

export interface NeighborListOptions {
  /** Called with the point index of a neighbour that is on the map. */
  onChoose(index: number): void;
  /** Words for the heading, e.g. "Nearest tokens (cosine, all 4096 dimensions)". */
  heading: string;
}

/** Cosine similarity to 3 decimals (the file keeps about 4). */
export function formatSimilarity(s: number): string {
  return s.toFixed(3);
}

/** Replaces `root`'s content with the list (or a status line: loading, failed, none). */
export function renderNeighborList(root: HTMLElement, state: { neighbors?: Neighbor[]; status?: string }, o: NeighborListOptions): void {
  root.replaceChildren();
  root.append(el('h3', 'neighbors-heading', o.heading));
  if (!state.neighbors) {
    root.append(el('p', 'neighbors-status muted', state.status ?? ''));
    return;
  }
  const list = el('ol', 'neighbor-list');
  for (const nb of state.neighbors) {
    const li = el('li', nb.index >= 0 ? 'neighbor on-map' : 'neighbor off-map');
    li.dataset.tokenId = String(nb.id);
    const text = tokenTextElement('span', 'neighbor-text', nb.text);
    const meta = el('span', 'neighbor-meta', `${formatSimilarity(nb.similarity)} · #${nb.id}${nb.index >= 0 ? '' : ' · not on this map'}`);
    if (nb.index >= 0) {
      const b = el('button', 'neighbor-button');
      b.type = 'button';
      b.title = `Select this token (cosine similarity ${formatSimilarity(nb.similarity)})`;
      b.append(text, meta);
      b.addEventListener('click', () => o.onChoose(nb.index));
      li.append(b);
    } else {
      const span = el('span', 'neighbor-static');
      span.title = 'This token is in the vocabulary but not on this map';
      span.append(text, meta);
      li.append(span);
    }
    list.append(li);
  }
  root.append(list);
  const onMap = state.neighbors.filter((nb) => nb.index >= 0).length;
  root.append(el('p', 'neighbors-note muted', `${onMap} of ${state.neighbors.length} on this map${onMap ? ', ringed in the map' : ''}.`));
}

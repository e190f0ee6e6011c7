/**
 * The page's URL follows the view (urlState.ts says what a link remembers): a change is written
 * 200 ms after the last one, with `history.replaceState`, so moving the camera neither floods the
 * history nor adds entries to it. Nothing is written while the page applies the link it was
 * opened with.
 */
import type { ColorChoice } from './colorBy.ts';
import { indexOfId, resolveToken, type SearchIndex } from './search.ts';
import { quotedText } from './tokenText.ts';
import { formatUrlState, type UrlState, type ViewName } from './urlState.ts';

/** Where the parts of the state come from. */
export interface UrlSources {
  view(): ViewName;
  /** The selected token's id, or undefined. */
  selectedId(): number | undefined;
  color(): ColorChoice;
  /** Categories switched off in the legend. */
  hidden(): number[];
  labelsOn(): boolean;
  /** The camera, or undefined while it is where the page put it. */
  camera(): number[] | undefined;
}

/** What the link says: defaults (the 3D view, the count or id colouring, labels on) are left out. */
export function urlStateOf(s: UrlSources): UrlState {
  const color = s.color();
  return {
    view: s.view(),
    id: s.selectedId(),
    color: color !== 'id' && color !== 'clip' ? color : undefined,
    hide: s.hidden(),
    labels: s.labelsOn() ? undefined : 'off',
    cam: s.camera(),
  };
}

export interface UrlWriter {
  /** Writes the current state soon (debounced). */
  write(): void;
  /** Writes from now on (the link's own state has been applied). */
  start(): void;
}

const WRITE_DELAY_MS = 200;

export function createUrlWriter(sources: UrlSources): UrlWriter {
  let timer = 0;
  let started = false;
  return {
    write() {
      if (!started) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const query = formatUrlState(urlStateOf(sources), location.search);
        if (query === location.search) return;
        try {
          history.replaceState(history.state, '', `${location.pathname}${query}${location.hash}`);
        } catch {
          // Sandboxed frames may refuse; the view still works.
        }
      }, WRITE_DELAY_MS);
    },
    start() {
      started = true;
    },
  };
}

/**
 * The point a link selects (`id` wins over `token`), or -1; with `missing`, the sentence for the
 * page when the link names a token that this exhibit does not have.
 */
export function linkedSelection(state: UrlState, ids: Uint32Array, search: SearchIndex): { index: number; missing?: string } {
  if (state.id === undefined && state.token === undefined) return { index: -1 };
  const index = state.id !== undefined ? indexOfId(ids, state.id) : resolveToken(search, state.token ?? '');
  if (index >= 0) return { index };
  const what = state.id !== undefined ? `token id ${state.id}` : quotedText(state.token ?? '');
  return { index, missing: `The link asks for ${what}, which is not in this exhibit.` };
}

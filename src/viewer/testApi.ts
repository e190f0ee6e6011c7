/**
 * The test hook (documented in docs/site.md): once the first frame is drawn, the viewer root gets
 * `data-state="ready"` and `window.__tokenscape` exposes
 *   - `screenPosition(tokenId)`: the point's position in viewport CSS pixels (what
 *     `page.mouse.move` takes) in the current view, or null when it is not on screen;
 *   - `selectedId()`, `hoveredId()`, `neighborIds()`, `labelIds()`, `view()`, `setView(view)`,
 *     `count`, `timings`, `frames`.
 * In the 3D view the position is `projectToScreen(viewProjection(orbit, w / h), p, w, h)` from
 * camera.ts, with p the normalised position (data.ts) and (w, h) the canvas's CSS size, offset by
 * the canvas's bounding rectangle; in 2D views it is regl-scatterplot's `getScreenPosition`.
 */
import type { MarkedPoints } from './pointStyle.ts';
import { indexOfId } from './search.ts';
import type { ViewName } from './urlState.ts';

export interface TokenscapeTestApi {
  count: number;
  screenPosition(id: number): { x: number; y: number } | null;
  selectedId(): number | null;
  hoveredId(): number | null;
  /** Token ids of the selection's neighbours that are on the map (ringed), once loaded. */
  neighborIds(): number[];
  /** Token ids of the labels on screen now, pinned ones included. */
  labelIds(): number[];
  view(): ViewName;
  setView(view: ViewName): Promise<void>;
  timings: { start: number; dataLoaded?: number; firstDraw?: number };
  frames: number;
}

declare global {
  interface Window {
    __tokenscape?: TokenscapeTestApi;
  }
}

export interface TestApiSources {
  /** Token id of each point (ascending). */
  ids: Uint32Array;
  /** Point index in CSS pixels from the active canvas's corner, or null. */
  screenOf(index: number): { x: number; y: number } | null;
  activeCanvas(): HTMLElement;
  marks(): Readonly<MarkedPoints>;
  /** Point indices of the labels on screen now. */
  labels(): number[];
  /** The view on screen. */
  view(): ViewName;
  setView(view: ViewName): Promise<void>;
  timings: TokenscapeTestApi['timings'];
  frames(): number;
}

/** Publishes the hook; returns it (its `timings` gain `firstDraw` later). */
export function publishTestApi(s: TestApiSources): TokenscapeTestApi {
  const idOf = (i: number) => (i >= 0 ? s.ids[i] : null);
  const api: TokenscapeTestApi = {
    count: s.ids.length,
    screenPosition(id) {
      const p = s.screenOf(indexOfId(s.ids, id));
      if (!p) return null;
      const r = s.activeCanvas().getBoundingClientRect();
      if (p.x < 0 || p.y < 0 || p.x > r.width || p.y > r.height) return null;
      return { x: r.left + p.x, y: r.top + p.y };
    },
    selectedId: () => idOf(s.marks().selected),
    hoveredId: () => idOf(s.marks().hovered),
    neighborIds: () => s.marks().neighbors.map((i) => s.ids[i]),
    labelIds: () => s.labels().map((i) => s.ids[i]),
    view: s.view,
    setView: s.setView,
    timings: s.timings,
    get frames() {
      return s.frames();
    },
  };
  window.__tokenscape = api;
  return api;
}

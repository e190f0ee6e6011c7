/**
 * How far the viewer has got: the status line over the map (loading, a view being prepared, an
 * error), the viewer root's `data-state` (`loading`, `ready` once a first frame is drawn, `error`),
 * which the tests and the page's styles read, and the frames drawn (for the test hook and the
 * bench). An error is said once, in this line, and the map's controls are switched off with it.
 */
import type { TokenscapeTestApi } from './testApi.ts';

export interface ViewerStatus {
  /** Shows a passing message (the map is loading, a 2D view is being prepared). */
  busy(message: string): void;
  /** Hides the passing message; an error stays. */
  idle(): void;
  /** A frame was drawn, in any view; the first makes the map ready. */
  drawn(): void;
  /** Frames drawn so far. */
  frames(): number;
  /** The map cannot be shown: says why, hides the canvases, disables the controls. */
  fail(message: string): void;
}

/** Writes an error into the status line of `root` (also used when mounting fails outright). */
export function showViewerError(root: HTMLElement, message: string): void {
  root.dataset.state = 'error';
  const status = root.querySelector<HTMLElement>('.map-status');
  if (!status) return;
  status.hidden = false;
  status.classList.add('is-error');
  status.textContent = message;
}

/** `timings.firstDraw` is set at the first frame. */
export function createViewerStatus(root: HTMLElement, timings: TokenscapeTestApi['timings']): ViewerStatus {
  const status = root.querySelector<HTMLElement>('.map-status')!;
  let frames = 0;
  const failed = () => root.dataset.state === 'error';
  root.dataset.state = 'loading';
  status.textContent = 'Loading the map…';
  return {
    busy(message) {
      status.hidden = false;
      status.textContent = message;
    },
    idle() {
      status.hidden = !failed();
    },
    drawn() {
      frames++;
      if (timings.firstDraw !== undefined) return;
      timings.firstDraw = performance.now();
      status.hidden = true;
      root.dataset.state = 'ready';
    },
    frames: () => frames,
    fail(message) {
      showViewerError(root, message);
      root.querySelectorAll<HTMLCanvasElement>('canvas.map-canvas').forEach((c) => (c.hidden = true));
      root.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>('.map-toolbar button, .map-legend input, .map-legend select').forEach((b) => (b.disabled = true));
    },
  };
}

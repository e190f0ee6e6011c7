/**
 * The 3D view: the orbit camera over the WebGL point renderer, drawn on demand. A frame only
 * uploads the matrix (and, after the pointer moved, picks the point under it), so an idle map costs
 * nothing and orbiting does no work per point on the main thread.
 */
import { defaultOrbit, focusOn, pan, projectToScreen, rotate, viewProjection, zoom, type Mat4, type Orbit } from './camera.ts';
import type { OrbitRenderer } from './orbitRenderer.ts';

export interface OrbitViewOptions {
  canvas: HTMLCanvasElement;
  renderer: OrbitRenderer;
  /** Normalised positions (data.ts), x0,y0,z0,... */
  positions: Float32Array;
  /** Radius the home view frames. */
  fitRadius: number;
  pointSize: number;
  /** The camera from a shared link, or null for the home view. */
  initial: Orbit | null;
  /** Whether the 3D view is on screen; frames in the 2D views only move the overlays. */
  active(): boolean;
  /** The point under the pointer changed (-1: none), found while drawing. */
  onPick(index: number): void;
  /** A 3D frame was drawn. */
  onDrawn(): void;
  /** After every frame, in any view: overlays follow the camera. */
  onFrame(): void;
}

export interface OrbitView {
  orbit(): Orbit;
  /** Moves the camera and draws. */
  setOrbit(next: Orbit): void;
  /** The camera that frames the map in the canvas's current shape. */
  home(): Orbit;
  requestFrame(): void;
  /** The pointer is at `p` (CSS pixels on the canvas), or left: the next frame picks under it. */
  pointerAt(p: { x: number; y: number } | null): void;
  /** The point within `radius` CSS pixels of `p` now, or -1. */
  pickAt(p: { x: number; y: number }, radius: number): number;
  /** Point `i` in CSS pixels from the canvas's top-left corner, or null when behind the camera. */
  screenOf(i: number): { x: number; y: number } | null;
  matrix(): Mat4;
  size(): { width: number; height: number };
  /** Turns the camera towards point `i` and comes close to it. */
  focus(i: number): void;
  rotate(dx: number, dy: number): void;
  pan(dx: number, dy: number): void;
  zoomBy(factor: number): void;
}

export function createOrbitView(o: OrbitViewOptions): OrbitView {
  const { canvas, renderer } = o;
  const aspect = () => Math.max(0.2, canvas.clientWidth / Math.max(1, canvas.clientHeight));
  const home = () => defaultOrbit(o.fitRadius, aspect());
  let orbit: Orbit = o.initial ?? home();
  let matrix: Mat4 = viewProjection(orbit, aspect());
  let size = { width: 1, height: 1 };
  let frameRequested = false;
  let pointer: { x: number; y: number } | null = null;
  let pickRequested = false;

  const requestFrame = () => {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(frame);
  };

  function frame() {
    frameRequested = false;
    if (o.active()) {
      size = renderer.resize();
      matrix = viewProjection(orbit, size.width / size.height);
      if (pickRequested && pointer) {
        // Pick before drawing: the read-back then does not wait for this frame's draw, and a
        // changed hover is drawn by the render just below (no extra frame).
        pickRequested = false;
        frameRequested = true;
        o.onPick(renderer.pick(matrix, pointer.x, pointer.y, Math.max(4, o.pointSize)));
        frameRequested = false;
      }
      renderer.render(matrix);
      o.onDrawn();
    }
    o.onFrame();
  }

  const setOrbit = (next: Orbit) => {
    orbit = next;
    requestFrame();
  };

  return {
    orbit: () => orbit,
    setOrbit,
    home,
    requestFrame,
    pointerAt(p) {
      pointer = p;
      pickRequested = Boolean(p);
      if (p) requestFrame();
    },
    pickAt: (p, radius) => renderer.pick(matrix, p.x, p.y, radius),
    screenOf(i) {
      const p = projectToScreen(matrix, o.positions.subarray(i * 3, i * 3 + 3), size.width, size.height);
      if (!p || p.depth < -1 || p.depth > 1) return null;
      return { x: p.x, y: p.y };
    },
    matrix: () => matrix,
    size: () => size,
    focus: (i) => setOrbit(focusOn(orbit, o.positions.subarray(i * 3, i * 3 + 3), Math.max(0.6, o.fitRadius))),
    rotate: (dx, dy) => setOrbit(rotate(orbit, dx, dy)),
    pan: (dx, dy) => setOrbit(pan(orbit, dx, dy, canvas.clientHeight)),
    zoomBy: (factor) => setOrbit(zoom(orbit, factor)),
  };
}

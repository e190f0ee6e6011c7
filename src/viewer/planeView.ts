/**
 * The 2D plane views (PC1×PC2, PC1×PC3, PC2×PC3), drawn by regl-scatterplot.
 *
 * The library is loaded on first use (dynamic import), so visitors who stay in the 3D view never
 * download it. regl-scatterplot handles pan (drag), zoom (wheel), hover and click itself; this
 * wrapper feeds it the plane's coordinates and colour values and reports events upwards.
 */
import type { PlaneCamera } from './camera.ts';
import { paletteHex, rgbHex } from './colorScale.ts';

export interface PlaneViewEvents {
  onHover(index: number): void;
  onClick(index: number): void;
  /** The camera moved (drag, wheel, programmatic). */
  onView(): void;
}

/**
 * How the points are coloured: `values` in [0, 1] on the palette, or, with `palette`, a
 * category per point (an index into `palette`, hex colours).
 */
export interface PlaneColoring {
  values: Float32Array;
  palette?: string[];
}

export interface PlaneView {
  /** Draws the points of one plane; `x`, `y` are normalised coordinates. */
  show(x: Float32Array, y: Float32Array, coloring: PlaneColoring): Promise<void>;
  setValues(coloring: PlaneColoring): Promise<void>;
  /** Draws only these points (legend toggles); null draws all. */
  setVisible(indices: number[] | null): Promise<void>;
  setSelection(indices: number[]): void;
  /** Frames the current points' bounding box. */
  fit(): Promise<void>;
  camera(): PlaneCamera;
  setCamera(c: PlaneCamera): Promise<void>;
  focus(index: number, distance?: number): Promise<void>;
  /** Moves the camera by (dx, dy) CSS pixels or zooms by `factor` (< 1 is closer). */
  nudge(dx: number, dy: number, factor: number): Promise<void>;
  /** CSS pixels from the canvas's top-left corner, or null. */
  screenPosition(index: number): { x: number; y: number } | null;
  resize(): void;
  destroy(): void;
}

const PALETTE_SIZE = 128;

export async function createPlaneView(
  canvas: HTMLCanvasElement,
  options: { pointSize: number; background: [number, number, number] },
  events: PlaneViewEvents,
): Promise<PlaneView> {
  const { default: createScatterplot } = await import('regl-scatterplot');
  // No modifier-key actions (lasso, rotating a 2D plane); not in the library's typings yet.
  const noKeyActions = { actionKeyMap: {} };
  const scatterplot = createScatterplot({
    ...noKeyActions,
    canvas,
    width: 'auto',
    height: 'auto',
    backgroundColor: rgbHex(options.background),
    pointSize: options.pointSize,
    pointSizeSelected: options.pointSize + 5,
    pointOutlineWidth: 2,
    pointColor: paletteHex(PALETTE_SIZE),
    pointColorActive: '#ffffff',
    pointColorHover: '#ff5ec4',
    colorBy: 'valueA',
    opacity: 1,
    showReticle: true,
    reticleColor: [1, 1, 1, 0.35],
    lassoOnLongPress: false,
    deselectOnDblClick: false,
    deselectOnEscape: false,
    performanceMode: false,
  });
  if (!scatterplot.isSupported) {
    // Still usable (it warns itself); nothing else to do.
  }

  let x: Float32Array = new Float32Array(0);
  let y: Float32Array = new Float32Array(0);
  let values: Float32Array = new Float32Array(0);
  let palette: string[] | undefined;
  let visible: number[] | null = null;
  let suppressSelectEvent = false;

  scatterplot.subscribe('pointOver', (i: number) => events.onHover(i));
  scatterplot.subscribe('pointOut', () => events.onHover(-1));
  scatterplot.subscribe('select', ({ points }: { points: number[] }) => {
    if (suppressSelectEvent) return;
    if (points.length === 1) events.onClick(points[0]);
  });
  scatterplot.subscribe('deselect', () => {
    if (suppressSelectEvent) return;
    events.onClick(-1);
  });
  scatterplot.subscribe('view', () => events.onView());

  // regl-scatterplot's camera listens to the mouse only: add one-finger pan and pinch zoom.
  const touches = new Map<number, { x: number; y: number }>();
  let pinchDistance = 0;
  const touchPoint = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const spread = () => {
    const [a, b] = [...touches.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (e.pointerType !== 'touch') return;
    touches.set(e.pointerId, touchPoint(e));
    pinchDistance = spread();
  });
  canvas.addEventListener('pointermove', (e) => {
    const previous = touches.get(e.pointerId);
    if (e.pointerType !== 'touch' || !previous) return;
    const p = touchPoint(e);
    touches.set(e.pointerId, p);
    if (touches.size === 1) void view.nudge(previous.x - p.x, previous.y - p.y, 1);
    else if (touches.size === 2) {
      const d = spread();
      if (pinchDistance > 0 && d > 0) void view.nudge(0, 0, pinchDistance / d);
      pinchDistance = d;
    }
  });
  const endTouch = (e: PointerEvent) => {
    touches.delete(e.pointerId);
    pinchDistance = spread();
  };
  canvas.addEventListener('pointerup', endTouch);
  canvas.addEventListener('pointercancel', endTouch);

  let shownPalette: string[] | undefined;
  let filtered = false;
  const draw = async () => {
    // A new colour map rebuilds regl-scatterplot's colour texture: only when it changes.
    if (shownPalette !== palette) {
      scatterplot.set({ pointColor: palette ?? paletteHex(PALETTE_SIZE) });
      shownPalette = palette;
    }
    await scatterplot.draw({ x, y, valueA: values }, { zDataType: palette ? 'categorical' : 'continuous', preventFilterReset: true });
    if (visible) await scatterplot.filter(visible, { preventEvent: true });
    filtered = Boolean(visible);
  };

  const bounds = () => {
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < x.length; i++) {
      if (x[i] < minX) minX = x[i];
      if (x[i] > maxX) maxX = x[i];
      if (y[i] < minY) minY = y[i];
      if (y[i] > maxY) maxY = y[i];
    }
    if (!Number.isFinite(minX)) return { minX: -1, maxX: 1, minY: -1, maxY: 1 };
    return { minX, maxX, minY, maxY };
  };

  const view: PlaneView = {
    async show(nx, ny, c) {
      x = nx;
      y = ny;
      values = c.values;
      palette = c.palette;
      await draw();
    },
    async setValues(c) {
      values = c.values;
      palette = c.palette;
      const camera = view.camera();
      await draw();
      await view.setCamera(camera);
    },
    async setVisible(indices) {
      visible = indices;
      if (indices) await scatterplot.filter(indices, { preventEvent: true });
      else if (filtered) await scatterplot.unfilter({ preventEvent: true });
      filtered = Boolean(indices);
    },
    setSelection(indices) {
      suppressSelectEvent = true;
      try {
        if (indices.length) scatterplot.select(indices, { preventEvent: true });
        else scatterplot.deselect({ preventEvent: true });
      } finally {
        suppressSelectEvent = false;
      }
    },
    async fit() {
      const b = bounds();
      const pad = 0.06 * Math.max(b.maxX - b.minX, b.maxY - b.minY, 1e-3);
      await scatterplot.zoomToArea(
        { x: b.minX - pad, y: b.minY - pad, width: b.maxX - b.minX + 2 * pad, height: b.maxY - b.minY + 2 * pad },
        { transition: false },
      );
    },
    camera() {
      const target = scatterplot.get('cameraTarget') as unknown as [number, number];
      const distance = scatterplot.get('cameraDistance') as unknown as number;
      return { target: [target[0], target[1]], distance };
    },
    async setCamera(c) {
      await scatterplot.zoomToLocation([c.target[0], c.target[1]], c.distance, { transition: false });
    },
    async focus(index, distance) {
      if (index < 0 || index >= x.length) return;
      const current = view.camera().distance;
      await scatterplot.zoomToLocation([x[index], y[index]], Math.min(current, distance ?? 0.25), { transition: false });
    },
    async nudge(dx, dy, factor) {
      const c = view.camera();
      const perPixel = (2 * c.distance) / Math.max(1, Math.min(canvas.clientWidth, canvas.clientHeight));
      await view.setCamera({
        target: [c.target[0] + dx * perPixel, c.target[1] - dy * perPixel],
        distance: Math.min(100, Math.max(0.001, c.distance * factor)),
      });
    },
    screenPosition(index) {
      if (index < 0 || index >= x.length) return null;
      try {
        const p = scatterplot.getScreenPosition(index);
        return p ? { x: p[0], y: p[1] } : null;
      } catch {
        return null;
      }
    },
    resize() {
      scatterplot.refresh();
    },
    destroy() {
      scatterplot.destroy();
    },
  };
  return view;
}

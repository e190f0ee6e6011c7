/**
 * Which view is on screen: the 3D orbit view or one of the 2D planes (PC1×PC2, PC1×PC3,
 * PC2×PC3), and the camera of each. The plane code and regl-scatterplot load on the first switch
 * to a 2D view, so a visitor who stays in 3D never downloads them. The camera goes into shared
 * links only once the visitor (or a jump to a token) has moved it.
 */
import { formatOrbit, formatPlane, parseOrbit, type Orbit, type PlaneCamera } from './camera.ts';
import { planeColoring, type Coloring } from './colorBy.ts';
import { MAP_BACKGROUND } from './colorScale.ts';
import { createOrbitView, type OrbitView, type OrbitViewOptions } from './orbitView.ts';
import type { PlaneView } from './planeView.ts';
import { PLANE_AXES, VIEWS, type ViewName } from './urlState.ts';
import type { ViewerStatus } from './viewerStatus.ts';

/** The 3D view's renderer, positions, home radius and point size go to orbitView.ts. */
export interface MapViewsOptions extends Pick<OrbitViewOptions, 'renderer' | 'positions' | 'fitRadius' | 'pointSize'> {
  root: HTMLElement;
  canvas3d: HTMLCanvasElement;
  canvas2d: HTMLCanvasElement;
  status: ViewerStatus;
  /** The view and camera (`cam`) of the link the page was opened with. */
  link: { view: ViewName; cam: number[] | undefined };
  coloring(): Coloring;
  /** Indices of the points drawn (the legend can hide some); null for all. */
  visible(): number[] | null;
  /** A view button was pressed (`[data-view]` in the toolbar) for another view. */
  onChooseView(view: ViewName): void;
  /** The point under the pointer (-1 for none), in any view. */
  onHover(index: number): void;
  /** A click on a point of a 2D view (the 3D view's clicks come through mapInput.ts). */
  onClick(index: number): void;
  /** The visitor moved a 2D view's camera. */
  onPlaneMoved(): void;
  /** A view was drawn (the first one makes the map ready). */
  onDrawn(): void;
  /** After every 3D frame, and every frame asked for in a 2D view: overlays follow the camera. */
  onFrame(): void;
}

export interface MapViews {
  readonly orbit: OrbitView;
  /** The view asked for (changes first). */
  view(): ViewName;
  /** The view on screen (changes once it has drawn). */
  shownView(): ViewName;
  /** Switches; false when the switch was overtaken by another or failed (the status says why). */
  show(next: ViewName, camera?: PlaneCamera | null): Promise<boolean>;
  /** The 2D view, once loaded. */
  plane(): PlaneView | null;
  activeCanvas(): HTMLCanvasElement;
  /** Point `i` in CSS pixels from the active canvas's top-left corner, or null. */
  screenOf(i: number): { x: number; y: number } | null;
  setColoring(coloring: Coloring): Promise<void>;
  /** Marks points in the 2D view (the 3D view draws its own rings). */
  setSelection(indices: number[]): void;
  focus(i: number): Promise<void>;
  /** Moves the 3D camera (the visitor's drag, wheel or keys). */
  setOrbit(next: Orbit): void;
  rotate(dx: number, dy: number): void;
  reset(): Promise<void>;
  zoomBy(factor: number): Promise<void>;
  pan(dx: number, dy: number): Promise<void>;
  /** The map's box changed size. */
  resize(): void;
  /** The camera for the URL (`cam`), or undefined while nobody has moved it. */
  camera(): number[] | undefined;
  /** Whether the camera counts as moved (a jump on load counts; a reset does not). */
  setCameraMoved(moved: boolean): void;
}

export function createMapViews(o: MapViewsOptions): MapViews {
  const { root, canvas3d, canvas2d } = o;
  const n = o.positions.length / 3;
  let view: ViewName = o.link.view;
  let shownView: ViewName = view;
  let plane: PlaneView | null = null;
  let planePromise: Promise<PlaneView> | null = null;
  let planeReady = false;
  let cameraMoved = Boolean(o.link.cam);
  const orbit = createOrbitView({
    canvas: canvas3d,
    renderer: o.renderer,
    positions: o.positions,
    fitRadius: o.fitRadius,
    pointSize: o.pointSize,
    initial: view === '3d' ? parseOrbit(o.link.cam) : null,
    active: () => view === '3d',
    onPick: o.onHover,
    onDrawn: o.onDrawn,
    onFrame: o.onFrame,
  });

  const shown = (v: ViewName) => {
    shownView = v;
    root.dataset.shownView = v;
  };
  if (view === '3d') shown('3d');
  const buttons = [...root.querySelectorAll<HTMLButtonElement>('[data-view]')];
  buttons.forEach((b) =>
    b.addEventListener('click', () => {
      const v = b.dataset.view as ViewName;
      if ((VIEWS as readonly string[]).includes(v) && v !== view) o.onChooseView(v);
    }),
  );

  const ensurePlane = async (): Promise<PlaneView> => {
    planePromise ??= import('./planeView.ts').then(({ createPlaneView }) =>
      createPlaneView(canvas2d, { pointSize: Math.max(2, o.pointSize - 1.5), background: MAP_BACKGROUND }, {
        onHover: (i) => {
          if (view !== '3d') o.onHover(i);
        },
        onClick: (i) => {
          if (view !== '3d') o.onClick(i);
        },
        onView: () => {
          if (view === '3d' || !planeReady) return;
          cameraMoved = true;
          o.onPlaneMoved();
        },
      }),
    );
    plane = await planePromise;
    return plane;
  };

  const axis = (a: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = o.positions[i * 3 + a];
    return out;
  };

  return {
    orbit,
    view: () => view,
    shownView: () => shownView,
    async show(next, camera) {
      view = next;
      buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === next)));
      if (next === '3d') {
        canvas2d.hidden = true;
        canvas3d.hidden = false;
        o.status.idle();
        shown('3d');
        orbit.requestFrame();
        return true;
      }
      canvas3d.hidden = true;
      canvas2d.hidden = false;
      o.status.busy('Loading the 2D view…');
      planeReady = false;
      try {
        const p = await ensurePlane();
        if (view !== next) return false;
        const [a, b] = PLANE_AXES[next];
        await p.show(axis(a), axis(b), planeColoring(o.coloring()));
        await p.setVisible(o.visible());
        if (camera) await p.setCamera(camera);
        else await p.fit();
        planeReady = true;
        o.status.idle();
        shown(next);
        o.onDrawn();
        return true;
      } catch (e) {
        o.status.fail(`The 2D view could not be drawn: ${(e as Error).message}`);
        return false;
      }
    },
    plane: () => plane,
    activeCanvas: () => (view === '3d' ? canvas3d : canvas2d),
    screenOf(i) {
      if (i < 0 || i >= n) return null;
      if (view === '3d') return orbit.screenOf(i);
      return plane?.screenPosition(i) ?? null;
    },
    async setColoring(coloring) {
      if (!plane || view === '3d') return;
      await plane.setValues(planeColoring(coloring));
      await plane.setVisible(o.visible());
    },
    setSelection: (indices) => plane?.setSelection(indices),
    async focus(i) {
      cameraMoved = true;
      if (view === '3d') orbit.focus(i);
      else if (plane) await plane.focus(i, 0.35);
    },
    setOrbit(next) {
      cameraMoved = true;
      orbit.setOrbit(next);
    },
    rotate(dx, dy) {
      cameraMoved = true;
      orbit.rotate(dx, dy);
    },
    async reset() {
      cameraMoved = false;
      if (view === '3d') orbit.setOrbit(orbit.home());
      else if (plane) await plane.fit();
      cameraMoved = false;
    },
    async zoomBy(factor) {
      cameraMoved = true;
      if (view === '3d') orbit.zoomBy(factor);
      else if (plane) await plane.nudge(0, 0, factor);
    },
    async pan(dx, dy) {
      cameraMoved = true;
      if (view === '3d') orbit.pan(dx, dy);
      else if (plane) await plane.nudge(dx, dy, 1);
    },
    resize() {
      if (view === '3d') orbit.requestFrame();
      else plane?.resize();
    },
    camera() {
      if (!cameraMoved) return undefined;
      const cam = view === '3d' ? formatOrbit(orbit.orbit()) : plane ? formatPlane(plane.camera()) : '';
      return cam ? cam.split(',').map(Number) : undefined;
    },
    setCameraMoved: (moved) => {
      cameraMoved = moved;
    },
  };
}

/**
 * What the visitor does to the map — pointer and wheel on the 3D canvas (orbitControls.ts), keys
 * on either canvas (mapKeys.ts), the toolbar's zoom and reset buttons — turned into camera moves
 * and point events. (The 2D views take their pointer input from regl-scatterplot: planeView.ts.)
 */
import { ROTATE_SPEED } from './camera.ts';
import type { MapViews } from './mapViews.ts';
import { attachMapKeys } from './mapKeys.ts';
import { attachOrbitControls } from './orbitControls.ts';

export interface MapInputOptions {
  root: HTMLElement;
  canvas3d: HTMLCanvasElement;
  canvas2d: HTMLCanvasElement;
  views: MapViews;
  pointSize: number;
  /** The camera moved (the URL may record it). */
  onCameraMoved(): void;
  /** The pointer left the points (the 3D view reports hovered points through OrbitView's picks). */
  onHoverEnd(): void;
  /** A click or tap on the 3D map: the point under it, or -1. */
  onClick(index: number): void;
  /** Escape: clears the selection; false when nothing was selected. */
  deselect(): boolean;
  toggleLabels(): void;
}

/** One arrow key turns the 3D view by 15°. */
const KEY_TURN = (15 * Math.PI) / 180 / ROTATE_SPEED;

export function attachMapInput(o: MapInputOptions): void {
  const { views } = o;
  const { orbit } = views;
  const reset = async () => {
    await views.reset();
    o.onCameraMoved();
  };
  const zoomBy = async (factor: number) => {
    await views.zoomBy(factor);
    o.onCameraMoved();
  };
  o.root.querySelector('[data-action=reset]')?.addEventListener('click', () => void reset());
  o.root.querySelector('[data-action=zoom-in]')?.addEventListener('click', () => void zoomBy(0.8));
  o.root.querySelector('[data-action=zoom-out]')?.addEventListener('click', () => void zoomBy(1.25));

  attachOrbitControls({
    canvas: o.canvas3d,
    orbit: orbit.orbit,
    setOrbit: views.setOrbit,
    onHover: (p) => {
      orbit.pointerAt(p);
      if (!p) o.onHoverEnd();
    },
    onClick: (p, touch) => o.onClick(orbit.pickAt(p, Math.max(touch ? 14 : 5, o.pointSize))),
    onDragStart: o.onHoverEnd,
    onDragEnd: o.onCameraMoved,
  });

  attachMapKeys([o.canvas3d, o.canvas2d], KEY_TURN, {
    is3d: () => views.view() === '3d',
    rotate: (dx, dy) => {
      views.rotate(dx, dy);
      o.onCameraMoved();
    },
    pan: async (dx, dy) => {
      await views.pan(dx, dy);
      // A 2D view reports its own moves (MapViewsOptions.onPlaneMoved).
      if (views.view() === '3d') o.onCameraMoved();
    },
    zoomBy,
    reset,
    deselect: o.deselect,
    toggleLabels: o.toggleLabels,
  });
  o.canvas2d.addEventListener('mouseleave', o.onHoverEnd);
}

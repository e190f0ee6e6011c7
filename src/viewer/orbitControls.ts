/**
 * Pointer input of the 3D view: drag rotates (right-drag, Shift/Ctrl/Meta-drag and two fingers
 * pan), wheel and pinch zoom, hover picks, a click without movement selects.
 */
import { pan, rotate, wheelZoomFactor, zoom, type Orbit } from './camera.ts';

export interface OrbitControlsOptions {
  canvas: HTMLCanvasElement;
  orbit(): Orbit;
  /** The camera moved (by the user). */
  setOrbit(next: Orbit): void;
  /** Mouse or pen over the canvas at (x, y) CSS pixels; null when it left. */
  onHover(p: { x: number; y: number } | null): void;
  /** A click (or tap) without drag at (x, y). */
  onClick(p: { x: number; y: number }, touch: boolean): void;
  /** A drag ended (the URL may record the camera). */
  onDragEnd(): void;
  /** A drag started to move the camera (hover ends). */
  onDragStart(): void;
}

export function attachOrbitControls(o: OrbitControlsOptions): void {
  const { canvas } = o;
  const pointers = new Map<number, { x: number; y: number }>();
  let drag: { x: number; y: number; moved: number; panning: boolean } | null = null;
  let pinch: { d: number; cx: number; cy: number } | null = null;
  const local = (e: PointerEvent | MouseEvent | WheelEvent) => {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    const p = local(e);
    pointers.set(e.pointerId, p);
    if (pointers.size === 1) {
      drag = { ...p, moved: 0, panning: e.button === 2 || e.button === 1 || e.shiftKey || e.ctrlKey || e.metaKey };
    } else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2 };
      drag = null;
    }
  });
  canvas.addEventListener('pointermove', (e) => {
    const p = local(e);
    if (pointers.has(e.pointerId)) pointers.set(e.pointerId, p);
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      const cx = (a.x + b.x) / 2;
      const cy = (a.y + b.y) / 2;
      let orbit = o.orbit();
      if (d > 0 && pinch.d > 0) orbit = zoom(orbit, pinch.d / d);
      o.setOrbit(pan(orbit, cx - pinch.cx, cy - pinch.cy, canvas.clientHeight));
      pinch = { d, cx, cy };
      return;
    }
    if (drag && pointers.has(e.pointerId)) {
      const dx = p.x - drag.x;
      const dy = p.y - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy);
      drag.x = p.x;
      drag.y = p.y;
      if (drag.moved > 3) {
        o.onDragStart();
        o.setOrbit(drag.panning ? pan(o.orbit(), dx, dy, canvas.clientHeight) : rotate(o.orbit(), dx, dy));
      }
      return;
    }
    if (e.pointerType === 'mouse' || e.pointerType === 'pen') o.onHover(p);
  });
  const endPointer = (e: PointerEvent) => {
    const wasDrag = drag;
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) drag = null;
    if (e.type === 'pointerup' && wasDrag && wasDrag.moved <= 3 && e.button === 0) o.onClick(local(e), e.pointerType === 'touch');
    else if (wasDrag) o.onDragEnd();
  };
  canvas.addEventListener('pointerup', endPointer);
  canvas.addEventListener('pointercancel', endPointer);
  canvas.addEventListener('pointerleave', () => {
    if (!drag) o.onHover(null);
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
      o.setOrbit(zoom(o.orbit(), wheelZoomFactor(delta)));
      o.onDragEnd();
    },
    { passive: false },
  );
}

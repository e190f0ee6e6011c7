/**
 * Keyboard use of the focused map: arrows rotate (3D) or pan (2D; Shift+arrows pan in 3D),
 * + and − zoom, 0 or Home resets, Escape clears the selection, L toggles the labels.
 */
export interface MapKeyActions {
  is3d(): boolean;
  /** Turn by (dx, dy) in drag pixels (3D). */
  rotate(dx: number, dy: number): void;
  /** Move by (dx, dy) CSS pixels (3D pan, or 2D). */
  pan(dx: number, dy: number): void | Promise<void>;
  zoomBy(factor: number): void | Promise<void>;
  reset(): void | Promise<void>;
  /** Clears the selection; false when nothing was selected. */
  deselect(): boolean;
  toggleLabels(): void;
}

export function attachMapKeys(canvases: HTMLElement[], turn: number, a: MapKeyActions): void {
  const step = 40;
  const onKey = async (e: KeyboardEvent) => {
    const arrows: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const arrow = arrows[e.key];
    let handled = true;
    if (arrow) {
      if (a.is3d() && !e.shiftKey) a.rotate(arrow[0] * turn, arrow[1] * turn);
      else await a.pan(arrow[0] * step, arrow[1] * step);
    } else if (e.key === '+' || e.key === '=') await a.zoomBy(0.8);
    else if (e.key === '-' || e.key === '_') await a.zoomBy(1.25);
    else if (e.key === '0' || e.key === 'Home') await a.reset();
    else if (e.key === 'Escape') handled = a.deselect();
    else if ((e.key === 'l' || e.key === 'L') && !e.ctrlKey && !e.metaKey && !e.altKey) a.toggleLabels();
    else handled = false;
    if (handled) e.preventDefault();
  };
  for (const c of canvases) c.addEventListener('keydown', (e) => void onKey(e));
}

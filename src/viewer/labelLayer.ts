/**
 * Token labels drawn over the map, as text (`textContent`), in the tooltip's visible form.
 *
 * Cost model: while the camera moves, a frame only repositions the pinned labels (the selection
 * and its neighbours: at most k + 1 points) and hides the others with one class; 140 ms (or 2.5 frame
 * times, where frames are slower than that) after the last frame the layer places labels again (labelPlacement.ts), looking at a bounded number of
 * candidates in priority order. So no work per point happens per frame, at any exhibit size.
 */
import { labelPriority, labelText, placeLabels, type Candidate, type LabelRect } from './labelPlacement.ts';
import { visibleText } from './display.ts';

export interface LabelLayerOptions {
  /** Positioned over the canvas (same top-left corner). */
  container: HTMLElement;
  texts: string[];
  counts: ArrayLike<number>;
  ids: ArrayLike<number>;
  positions: Float32Array;
  /** Screen position in CSS pixels relative to the container, or null; points outside the container get no label. */
  project(index: number): { x: number; y: number } | null;
  /** Whether a point is drawn now (the colour-by legend can hide points). */
  visible?(index: number): boolean;
}

export interface LabelLayer {
  setEnabled(on: boolean): void;
  enabled(): boolean;
  /**
   * Always labelled: `indices` (the selection's neighbours, the search's pieces); `reserve` is the
   * selected token, whose card (.map-label, below the point) other labels keep clear of.
   */
  setPinned(indices: number[], reserve?: number): void;
  /** Call on every drawn frame: moves pinned labels, schedules a re-placement. */
  onFrame(): void;
  /** Places now (tests and view switches). */
  placeNow(): void;
  /** The labels on screen now, with their rectangles (for tests). */
  shown(): LabelRect[];
}

const SETTLE_MS = 140;
/** The longest wait for the camera to settle, however slow the frames. */
const MAX_SETTLE_MS = 1000;
/** At most one label per this many square pixels of map, so a small embed is not crowded. */
const AREA_PER_LABEL = 9000;
const BUDGET = 40000;
const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
const LINE_HEIGHT = 16;
const PAD_X = 8;

export function createLabelLayer(o: LabelLayerOptions): LabelLayer {
  const size = () => ({ width: o.container.clientWidth, height: o.container.clientHeight });
  const project = (i: number) => {
    const p = o.project(i);
    const { width, height } = size();
    return p && p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height ? p : null;
  };
  const layer = document.createElement('div');
  layer.className = 'map-labels';
  layer.setAttribute('aria-hidden', 'true');
  o.container.append(layer);
  let order: Uint32Array | null = null;
  let on = true;
  let pinned: number[] = [];
  let reserve = -1;
  /** What is on screen, with each label's offset from its point (pinned labels keep it while moving). */
  let placed: (LabelRect & { dx: number; dy: number })[] = [];
  let timer = 0;
  let lastFrame = -Infinity;
  /** Recent time between drawn frames (smoothed), while frames keep coming. */
  let frameInterval = 0;
  const elements = new Map<number, HTMLElement>();
  const widths = new Map<number, number>();
  const measure = document.createElement('canvas').getContext('2d');
  if (measure) measure.font = FONT;

  const textOf = (i: number) => labelText(visibleText(o.texts[i] ?? ''));
  const widthOf = (i: number) => {
    let w = widths.get(i);
    if (w === undefined) {
      const t = textOf(i);
      w = Math.ceil((measure ? measure.measureText(t).width : t.length * 7) + PAD_X);
      widths.set(i, w);
    }
    return w;
  };
  const candidate = (i: number): Candidate | null => {
    if (o.visible && !o.visible(i)) return null;
    const p = project(i);
    if (!p) return null;
    return { index: i, x: p.x, y: p.y, width: widthOf(i), height: LINE_HEIGHT };
  };

  const elementFor = (i: number) => {
    let el = elements.get(i);
    if (!el) {
      el = document.createElement('span');
      el.className = 'map-label-token';
      el.textContent = textOf(i);
      el.dataset.index = String(i);
      elements.set(i, el);
    }
    return el;
  };

  const draw = () => {
    const keep = new Set(placed.map((r) => r.index));
    for (const [i, el] of elements) {
      if (!keep.has(i)) {
        el.remove();
        elements.delete(i);
      }
    }
    for (const r of placed) {
      const el = elementFor(r.index);
      el.classList.toggle('is-pinned', r.pinned);
      el.hidden = false;
      el.style.transform = `translate(${Math.round(r.x)}px, ${Math.round(r.y)}px)`;
      el.style.width = `${r.width}px`;
      if (el.parentElement !== layer) layer.append(el);
    }
    layer.classList.remove('is-moving');
  };

  const withOffsets = (rects: LabelRect[]) =>
    rects.map((r) => {
      const p = project(r.index);
      return { ...r, dx: p ? r.x - p.x : -r.width / 2, dy: p ? r.y - p.y : -r.height - 4 };
    });

  const place = () => {
    window.clearTimeout(timer);
    const { width, height } = size();
    const pins = pinned.map(candidate).filter((c): c is Candidate => c !== null);
    const card = reserve >= 0 ? project(reserve) : null;
    // The selected token's card: about 180 × 44 px centred below its point, and the point itself.
    const reserved = card ? [{ x: card.x - 90, y: card.y - 6, width: 180, height: 56 }] : [];
    if (!on) {
      placed = withOffsets(placeLabels(pins, [], { width, height, maxLabels: 0, budget: 0 }, reserved));
    } else {
      order ??= labelPriority(o.counts, o.ids, o.positions);
      const ranked = order;
      const lazy = function* () {
        for (let k = 0; k < ranked.length; k++) yield candidate(ranked[k]);
      };
      placed = withOffsets(placeLabels(pins, lazy(), { width, height, maxLabels: Math.max(12, Math.min(150, Math.round((width * height) / AREA_PER_LABEL))), budget: BUDGET }, reserved));
    }
    draw();
  };

  return {
    setEnabled(next) {
      on = next;
      layer.classList.toggle('is-off', !on);
      place();
    },
    enabled: () => on,
    setPinned(indices, selected = -1) {
      reserve = selected;
      pinned = indices.filter((i) => i >= 0 && i !== selected);
      place();
    },
    onFrame() {
      // Pinned labels follow their points; the rest wait until the camera settles.
      layer.classList.add('is-moving');
      for (const r of placed) {
        if (!r.pinned) continue;
        const c = candidate(r.index);
        const el = elements.get(r.index);
        if (!el) continue;
        el.hidden = !c;
        if (c) el.style.transform = `translate(${Math.round(c.x + r.dx)}px, ${Math.round(c.y + r.dy)}px)`;
      }
      // Settled means no frame for a while *at this frame rate*: where a frame takes longer than SETTLE_MS
      // (software WebGL, a slow GPU, a huge exhibit) a fixed delay would re-place labels between every two
      // frames of one orbit.
      const now = performance.now();
      const interval = now - lastFrame;
      lastFrame = now;
      if (interval < MAX_SETTLE_MS) frameInterval = frameInterval === 0 ? interval : 0.7 * frameInterval + 0.3 * interval;
      window.clearTimeout(timer);
      timer = window.setTimeout(place, Math.min(MAX_SETTLE_MS, Math.max(SETTLE_MS, 2.5 * frameInterval)));
    },
    placeNow: place,
    shown: () => placed.map(({ dx: _dx, dy: _dy, ...r }) => r),
  };
}

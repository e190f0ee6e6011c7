/**
 * The map viewer: wires data, renderers, search, tooltip and URL state to the markup rendered by
 * src/components/MapViewer.astro. One viewer per page (exhibit page or embed page).
 *
 * Test hook (documented in docs/site.md): once the first frame is drawn, the viewer root gets
 * `data-state="ready"` and `window.__tokenscape` exposes
 *   - `screenPosition(tokenId)`: the point's position in viewport CSS pixels (what
 *     `page.mouse.move` takes) in the current view, or null when it is not on screen;
 *   - `selectedId()`, `hoveredId()`, `view()`, `setView(view)`, `count`, `timings`.
 * In the 3D view the position is `projectToScreen(viewProjection(orbit, w / h), p, w, h)` from
 * camera.ts, with p the normalised position (data.ts) and (w, h) the canvas's CSS size, offset by
 * the canvas's bounding rectangle; in 2D views it is regl-scatterplot's `getScreenPosition`.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import {
  clamp,
  defaultOrbit,
  focusOn,
  formatOrbit,
  formatPlane,
  pan,
  parseOrbit,
  parsePlane,
  projectToScreen,
  rotate,
  viewProjection,
  wheelZoomFactor,
  zoom,
  ROTATE_SPEED,
  type Mat4,
  type Orbit,
  type PlaneCamera,
} from './camera.ts';
import {
  MAP_BACKGROUND,
  colorBytes,
  colorValues,
  legendFor,
  maxCount,
  paletteGradient,
  type ColorMode,
} from './colorScale.ts';
import { describeLoadError, fetchExhibit, normalizePositions } from './data.ts';
import { formatCount, formatPercent, visibleText } from './display.ts';
import { WebGLUnavailableError, createOrbitRenderer, getWebGLContext, type Highlight, type OrbitRenderer } from './orbitRenderer.ts';
import type { PlaneView } from './planeView.ts';
import { buildSearchIndex, indexOfId, resolveToken, searchTokens } from './search.ts';
import { createSearchBox } from './searchBox.ts';
import { countLabel, fillDetails, fillTooltip, quotedText, type TokenInfo } from './tooltip.ts';
import { PLANE_AXES, VIEWS, formatUrlState, parseUrlState, type UrlState, type ViewName } from './urlState.ts';

export interface TokenscapeTestApi {
  count: number;
  screenPosition(id: number): { x: number; y: number } | null;
  selectedId(): number | null;
  hoveredId(): number | null;
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

const HIGHLIGHT = {
  match: [0.95, 0.95, 0.95] as [number, number, number],
  hover: [1, 1, 1] as [number, number, number],
  selected: [1, 0.37, 0.77] as [number, number, number],
};

function pointSizeFor(count: number): number {
  if (count <= 3000) return 6;
  if (count <= 20000) return 4.5;
  if (count <= 60000) return 3.5;
  return 2.5;
}

export async function mountViewer(root: HTMLElement): Promise<void> {
  const start = performance.now();
  const $ = <T extends Element>(selector: string) => root.querySelector<T>(selector);
  const map = $<HTMLElement>('.map')!;
  const canvas3d = $<HTMLCanvasElement>('canvas.map-3d')!;
  const canvas2d = $<HTMLCanvasElement>('canvas.map-2d')!;
  const status = $<HTMLElement>('.map-status')!;
  const tooltip = $<HTMLElement>('.map-tooltip')!;
  const label = $<HTMLElement>('.map-label')!;
  const legend = $<HTMLElement>('.map-legend');
  const details = document.querySelector<HTMLElement>('[data-tks-details]');
  const mode = root.dataset.mode === 'embed' ? 'embed' : 'page';
  const clip = Number(root.dataset.clip) || 100;

  const fail = (message: string) => {
    root.dataset.state = 'error';
    status.hidden = false;
    status.classList.add('is-error');
    status.textContent = message;
    canvas3d.hidden = true;
    canvas2d.hidden = true;
    root.querySelectorAll<HTMLButtonElement | HTMLInputElement>('.map-toolbar button, .map-legend input').forEach((b) => (b.disabled = true));
  };

  root.dataset.state = 'loading';
  status.textContent = 'Loading the map…';

  // Fail fast without WebGL, before downloading the data.
  try {
    getWebGLContext(canvas3d);
  } catch (e) {
    fail(e instanceof WebGLUnavailableError ? `${e.message} Try a current browser with hardware acceleration turned on.` : String(e));
    return;
  }

  let points: ExhibitPoints;
  try {
    points = await fetchExhibit(root.dataset.pointsUrl ?? '');
  } catch (e) {
    fail(describeLoadError(e));
    return;
  }
  const dataLoaded = performance.now();

  const n = points.count;
  const norm = normalizePositions(points.positions, points.min, points.max);
  const hasCounts = maxCount(points.counts) > 0;
  const initial: UrlState = parseUrlState(location.search);
  let colorMode: ColorMode = hasCounts ? (initial.color ?? 'clip') : 'id';
  let values = colorValues(colorMode, points.counts, clip);
  const pointSize = pointSizeFor(n);

  // Half-extent of each axis in normalised units (the box is centred on the origin).
  const axisLengths = [0, 1, 2].map((a) => (points.max[a] - points.min[a]) / 2 / norm.scale || 0.01) as [number, number, number];
  let renderer: OrbitRenderer;
  try {
    renderer = createOrbitRenderer({
      canvas: canvas3d,
      positions: norm.positions,
      colors: colorBytes(values),
      pointSize,
      background: MAP_BACKGROUND,
      axes: axisLengths,
    });
  } catch (e) {
    fail(e instanceof WebGLUnavailableError ? e.message : `The map could not be drawn: ${(e as Error).message}`);
    return;
  }

  const search = buildSearchIndex(points);
  // Frequency rank, for the details panel.
  const rankOf = new Uint32Array(n);
  if (hasCounts) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => points.counts[b] - points.counts[a] || points.ids[a] - points.ids[b]);
    order.forEach((i, r) => (rankOf[i] = r + 1));
  }

  const info = (i: number): TokenInfo => ({
    id: points.ids[i],
    text: points.texts[i],
    piece: points.pieces[i],
    count: points.counts[i],
    flags: points.flags[i],
    hasCounts,
  });

  // ---- state ----
  let view: ViewName = initial.view ?? '3d';
  const aspect = () => Math.max(0.2, canvas3d.clientWidth / Math.max(1, canvas3d.clientHeight));
  const homeOrbit = (): Orbit => defaultOrbit(norm.fitRadius, aspect());
  let orbit: Orbit = (view === '3d' && parseOrbit(initial.cam)) || homeOrbit();
  let initialPlaneCamera: PlaneCamera | null = view !== '3d' ? parsePlane(initial.cam) : null;
  let cameraTouched = Boolean(initial.cam);
  let selected = -1;
  let hovered = -1;
  let matches: number[] = [];
  let plane: PlaneView | null = null;
  let planePromise: Promise<PlaneView> | null = null;
  let matrix: Mat4 = viewProjection(orbit, aspect());
  let size = { width: 1, height: 1 };
  let frames = 0;
  let firstDraw: number | undefined;

  // ---- drawing (on demand; a frame only uploads the matrix) ----
  let frameRequested = false;
  let pickRequested = false;
  let pointer: { x: number; y: number } | null = null;

  const requestFrame = () => {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(frame);
  };

  function frame() {
    frameRequested = false;
    if (view === '3d') {
      size = renderer.resize();
      matrix = viewProjection(orbit, size.width / size.height);
      if (pickRequested && pointer) {
        // Pick before drawing: the read-back then does not wait for this frame's draw, and a
        // changed hover is drawn by the render just below (no extra frame).
        pickRequested = false;
        frameRequested = true;
        setHovered(renderer.pick(matrix, pointer.x, pointer.y, Math.max(4, pointSize)));
        frameRequested = false;
      }
      renderer.render(matrix);
      frames++;
      if (firstDraw === undefined) {
        firstDraw = performance.now();
        markReady();
      }
    }
    placeOverlays();
  }

  const screenOf = (i: number): { x: number; y: number } | null => {
    if (i < 0 || i >= n) return null;
    if (view === '3d') {
      const p = projectToScreen(matrix, norm.positions.subarray(i * 3, i * 3 + 3), size.width, size.height);
      if (!p || p.depth < -1 || p.depth > 1) return null;
      return { x: p.x, y: p.y };
    }
    return plane?.screenPosition(i) ?? null;
  };

  const activeCanvas = () => (view === '3d' ? canvas3d : canvas2d);

  const placeAt = (el: HTMLElement, i: number, dy: number) => {
    const p = screenOf(i);
    const c = activeCanvas();
    if (!p || p.x < 0 || p.y < 0 || p.x > c.clientWidth || p.y > c.clientHeight) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    const x = clamp(p.x + c.offsetLeft - w / 2, 4, map.clientWidth - w - 4);
    let y = p.y + c.offsetTop + dy - (dy < 0 ? h : 0);
    if (y < 4) y = p.y + c.offsetTop + 14;
    if (y + h > map.clientHeight - 4) y = p.y + c.offsetTop - h - 14;
    el.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  };

  // Axis labels: at the positive end of each axis line in 3D, along the edges in 2D.
  const variance = (root.dataset.variance ?? '').split(',').map(Number);
  const axisLabels = [0, 1, 2].map((a) => {
    const el = document.createElement('span');
    el.className = 'axis-label';
    el.setAttribute('aria-hidden', 'true');
    el.textContent = `PC${a + 1}${Number.isFinite(variance[a]) && variance[a] > 0 ? ` ${formatPercent(variance[a])}` : ''}`;
    map.append(el);
    return el;
  });
  const placeAxisLabels = () => {
    const c = activeCanvas();
    if (view === '3d') {
      axisLabels.forEach((el, a) => {
        const end = [0, 0, 0];
        end[a] = axisLengths[a] * 1.06;
        const p = projectToScreen(matrix, end, size.width, size.height);
        el.classList.remove('axis-x', 'axis-y');
        if (!p || p.depth > 1 || p.x < 0 || p.y < 0 || p.x > c.clientWidth || p.y > c.clientHeight) {
          el.hidden = true;
          return;
        }
        el.hidden = false;
        el.style.transform = `translate(${Math.round(p.x + c.offsetLeft - el.offsetWidth / 2)}px, ${Math.round(p.y + c.offsetTop - el.offsetHeight / 2)}px)`;
      });
      return;
    }
    const [ax, ay] = PLANE_AXES[view];
    axisLabels.forEach((el, a) => {
      el.hidden = a !== ax && a !== ay;
      el.classList.toggle('axis-x', a === ax);
      el.classList.toggle('axis-y', a === ay);
      el.style.transform = '';
    });
  };

  function placeOverlays() {
    placeAxisLabels();
    if (hovered >= 0) placeAt(tooltip, hovered, -14);
    else tooltip.hidden = true;
    if (selected >= 0 && selected !== hovered) placeAt(label, selected, 12);
    else label.hidden = true;
  }

  const updateHighlights = () => {
    const list: Highlight[] = matches.filter((i) => i !== selected).map((index) => ({ index, size: pointSize + 7, ring: HIGHLIGHT.match }));
    if (hovered >= 0 && hovered !== selected) list.push({ index: hovered, size: pointSize + 8, ring: HIGHLIGHT.hover });
    if (selected >= 0) list.push({ index: selected, size: pointSize + 11, ring: HIGHLIGHT.selected });
    renderer.setHighlights(list);
    plane?.setSelection(selected >= 0 ? [selected, ...matches.filter((i) => i !== selected)] : matches);
    requestFrame();
  };

  function setHovered(i: number) {
    if (i === hovered) return;
    hovered = i;
    if (i >= 0) fillTooltip(tooltip, info(i));
    canvas3d.style.cursor = i >= 0 ? 'pointer' : '';
    if (view === '3d') updateHighlights();
    placeOverlays();
  }

  // ---- URL state ----
  let urlTimer = 0;
  let initializing = true;
  const writeUrl = () => {
    if (initializing) return;
    window.clearTimeout(urlTimer);
    urlTimer = window.setTimeout(() => {
      const state: UrlState = { view };
      if (selected >= 0) state.id = points.ids[selected];
      if (hasCounts && colorMode === 'log') state.color = 'log';
      if (cameraTouched) {
        const cam = view === '3d' ? formatOrbit(orbit) : plane ? formatPlane(plane.camera()) : '';
        if (cam) state.cam = cam.split(',').map(Number);
      }
      const query = formatUrlState(state, location.search);
      if (query !== location.search) {
        try {
          history.replaceState(history.state, '', `${location.pathname}${query}${location.hash}`);
        } catch {
          // Sandboxed frames may refuse; the view still works.
        }
      }
    }, 200);
  };

  // ---- selection ----
  const select = async (i: number, opts: { jump?: boolean; silent?: boolean } = {}) => {
    selected = i >= 0 && i < n ? i : -1;
    if (selected >= 0) {
      label.replaceChildren();
      const t = document.createElement('span');
      t.className = 'label-text';
      t.textContent = quotedText(points.texts[selected]);
      const m = document.createElement('span');
      m.className = 'label-meta';
      m.textContent = `#${points.ids[selected]} · ${countLabel(info(selected))}`;
      label.append(t, m);
    }
    if (details) {
      fillDetails(details, selected >= 0 ? info(selected) : null, {
        coordinates: selected >= 0 ? [points.positions[selected * 3], points.positions[selected * 3 + 1], points.positions[selected * 3 + 2]] : undefined,
        rank: selected >= 0 && hasCounts ? rankOf[selected] : undefined,
        total: n,
      });
    }
    if (opts.jump && selected >= 0) {
      cameraTouched = true;
      if (view === '3d') orbit = focusOn(orbit, norm.positions.subarray(selected * 3, selected * 3 + 3), Math.max(0.6, norm.fitRadius));
      else if (plane) await plane.focus(selected, 0.35);
    }
    updateHighlights();
    if (!opts.silent) writeUrl();
  };

  // ---- colour ----
  const legendTitle = legend?.querySelector<HTMLElement>('.legend-title');
  const legendBar = legend?.querySelector<HTMLElement>('.legend-bar');
  const legendTicks = legend?.querySelector<HTMLElement>('.legend-ticks');
  const legendNote = document.querySelector<HTMLElement>('[data-tks-legend-note]');
  const logToggle = legend?.querySelector<HTMLInputElement>('input[data-action=log]');
  const renderLegend = () => {
    const l = legendFor(colorMode, { clip, maxCount: maxCount(points.counts), firstId: points.ids[0] ?? 0, lastId: points.ids[n - 1] ?? 0 });
    if (legendTitle) legendTitle.textContent = l.title;
    if (legendBar) legendBar.style.backgroundImage = paletteGradient();
    if (legendTicks) {
      legendTicks.replaceChildren(
        ...l.ticks.map((t) => {
          const s = document.createElement('span');
          s.textContent = t.label;
          s.style.left = `${(t.t * 100).toFixed(1)}%`;
          s.className = t.t >= 0.99 ? 'tick tick-end' : t.t <= 0.01 ? 'tick tick-start' : 'tick';
          return s;
        }),
      );
    }
    if (legendNote) legendNote.textContent = l.note;
    if (legend) legend.title = l.note;
  };
  if (logToggle) {
    const wrap = logToggle.closest<HTMLElement>('label');
    if (!hasCounts && wrap) wrap.hidden = true;
    logToggle.checked = colorMode === 'log';
    logToggle.addEventListener('change', async () => {
      colorMode = logToggle.checked ? 'log' : 'clip';
      values = colorValues(colorMode, points.counts, clip);
      renderer.setColors(colorBytes(values));
      renderLegend();
      updateHighlights();
      if (plane && view !== '3d') await plane.setValues(values);
      writeUrl();
    });
  }
  renderLegend();

  // ---- views ----
  const viewButtons = [...root.querySelectorAll<HTMLButtonElement>('[data-view]')];
  const ensurePlane = async (): Promise<PlaneView> => {
    if (plane) return plane;
    if (!planePromise) {
      planePromise = import('./planeView.ts').then(({ createPlaneView }) =>
        createPlaneView(canvas2d, { pointSize: Math.max(2, pointSize - 1.5), background: MAP_BACKGROUND }, {
          onHover: (i) => {
            if (view !== '3d') setHovered(i);
          },
          onClick: (i) => {
            if (view !== '3d') void select(i);
          },
          onView: () => {
            if (view === '3d' || !planeReady) return;
            cameraTouched = true;
            placeOverlays();
            writeUrl();
          },
        }),
      );
    }
    plane = await planePromise;
    return plane;
  };
  let planeReady = false;

  const axis = (a: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = norm.positions[i * 3 + a];
    return out;
  };

  /** The view on screen (`view` changes first; this once the view has drawn). */
  let shownView: ViewName = view;
  const shown = (v: ViewName) => {
    shownView = v;
    root.dataset.shownView = v;
  };
  const setView = async (next: ViewName, opts: { camera?: PlaneCamera | null; silent?: boolean } = {}) => {
    view = next;
    viewButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === next)));
    setHovered(-1);
    if (next === '3d') {
      canvas2d.hidden = true;
      canvas3d.hidden = false;
      status.hidden = root.dataset.state !== 'error';
      shown('3d');
      requestFrame();
    } else {
      canvas3d.hidden = true;
      canvas2d.hidden = false;
      status.hidden = false;
      status.textContent = 'Loading the 2D view…';
      planeReady = false;
      try {
        const p = await ensurePlane();
        if (view !== next) return;
        const [a, b] = PLANE_AXES[next];
        await p.show(axis(a), axis(b), values);
        if (opts.camera) await p.setCamera(opts.camera);
        else await p.fit();
        updateHighlights();
        planeReady = true;
        status.hidden = true;
        shown(next);
        if (firstDraw === undefined) {
          firstDraw = performance.now();
          markReady();
        }
        frames++;
      } catch (e) {
        fail(`The 2D view could not be drawn: ${(e as Error).message}`);
        return;
      }
    }
    placeOverlays();
    if (!opts.silent) writeUrl();
  };
  viewButtons.forEach((b) =>
    b.addEventListener('click', () => {
      const v = b.dataset.view as ViewName;
      if ((VIEWS as readonly string[]).includes(v) && v !== view) void setView(v);
    }),
  );

  const resetView = async () => {
    cameraTouched = false;
    if (view === '3d') {
      orbit = homeOrbit();
      requestFrame();
    } else if (plane) await plane.fit();
    cameraTouched = false;
    writeUrl();
  };
  const zoomBy = async (factor: number) => {
    cameraTouched = true;
    if (view === '3d') {
      orbit = zoom(orbit, factor);
      requestFrame();
    } else if (plane) await plane.nudge(0, 0, factor);
    writeUrl();
  };
  root.querySelector('[data-action=reset]')?.addEventListener('click', () => void resetView());
  root.querySelector('[data-action=zoom-in]')?.addEventListener('click', () => void zoomBy(0.8));
  root.querySelector('[data-action=zoom-out]')?.addEventListener('click', () => void zoomBy(1.25));

  // ---- 3D interaction: pointer events (mouse, touch, pen) ----
  const pointers = new Map<number, { x: number; y: number }>();
  let drag: { x: number; y: number; moved: number; panning: boolean } | null = null;
  let pinch: { d: number; cx: number; cy: number } | null = null;
  const local = (e: PointerEvent | MouseEvent | WheelEvent) => {
    const r = canvas3d.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  canvas3d.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas3d.addEventListener('pointerdown', (e) => {
    canvas3d.setPointerCapture(e.pointerId);
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
  canvas3d.addEventListener('pointermove', (e) => {
    const p = local(e);
    if (pointers.has(e.pointerId)) pointers.set(e.pointerId, p);
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      const cx = (a.x + b.x) / 2;
      const cy = (a.y + b.y) / 2;
      if (d > 0 && pinch.d > 0) orbit = zoom(orbit, pinch.d / d);
      orbit = pan(orbit, cx - pinch.cx, cy - pinch.cy, canvas3d.clientHeight);
      pinch = { d, cx, cy };
      cameraTouched = true;
      requestFrame();
      return;
    }
    if (drag && pointers.has(e.pointerId)) {
      const dx = p.x - drag.x;
      const dy = p.y - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy);
      drag.x = p.x;
      drag.y = p.y;
      if (drag.moved > 3) {
        orbit = drag.panning ? pan(orbit, dx, dy, canvas3d.clientHeight) : rotate(orbit, dx, dy);
        cameraTouched = true;
        setHovered(-1);
        requestFrame();
      }
      return;
    }
    if (e.pointerType === 'mouse' || e.pointerType === 'pen') {
      pointer = p;
      pickRequested = true;
      requestFrame();
    }
  });
  const endPointer = (e: PointerEvent) => {
    const wasDrag = drag;
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) drag = null;
    if (e.type === 'pointerup' && wasDrag && wasDrag.moved <= 3 && e.button === 0) {
      const p = local(e);
      const i = renderer.pick(matrix, p.x, p.y, Math.max(e.pointerType === 'touch' ? 14 : 5, pointSize));
      void select(i);
    } else if (wasDrag) writeUrl();
  };
  canvas3d.addEventListener('pointerup', endPointer);
  canvas3d.addEventListener('pointercancel', endPointer);
  canvas3d.addEventListener('pointerleave', () => {
    pointer = null;
    pickRequested = false;
    if (!drag) setHovered(-1);
  });
  canvas3d.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
      orbit = zoom(orbit, wheelZoomFactor(delta));
      cameraTouched = true;
      requestFrame();
      writeUrl();
    },
    { passive: false },
  );

  // ---- keyboard on the map ----
  const onMapKey = async (e: KeyboardEvent) => {
    const step = 40;
    let handled = true;
    if (view === '3d') {
      const turn = (15 * Math.PI) / 180 / ROTATE_SPEED;
      switch (e.key) {
        case 'ArrowLeft':
          orbit = e.shiftKey ? pan(orbit, -step, 0, canvas3d.clientHeight) : rotate(orbit, -turn, 0);
          break;
        case 'ArrowRight':
          orbit = e.shiftKey ? pan(orbit, step, 0, canvas3d.clientHeight) : rotate(orbit, turn, 0);
          break;
        case 'ArrowUp':
          orbit = e.shiftKey ? pan(orbit, 0, -step, canvas3d.clientHeight) : rotate(orbit, 0, -turn);
          break;
        case 'ArrowDown':
          orbit = e.shiftKey ? pan(orbit, 0, step, canvas3d.clientHeight) : rotate(orbit, 0, turn);
          break;
        default:
          handled = false;
      }
      if (handled) {
        cameraTouched = true;
        requestFrame();
        writeUrl();
      }
    } else if (plane) {
      const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const m = moves[e.key];
      if (m) {
        cameraTouched = true;
        await plane.nudge(m[0], m[1], 1);
      } else handled = false;
    } else handled = false;
    if (!handled) {
      handled = true;
      if (e.key === '+' || e.key === '=') await zoomBy(0.8);
      else if (e.key === '-' || e.key === '_') await zoomBy(1.25);
      else if (e.key === '0' || e.key === 'Home') await resetView();
      else if (e.key === 'Escape' && selected >= 0) await select(-1);
      else handled = false;
    }
    if (handled) e.preventDefault();
  };
  canvas3d.addEventListener('keydown', (e) => void onMapKey(e));
  canvas2d.addEventListener('keydown', (e) => void onMapKey(e));
  canvas2d.addEventListener('mouseleave', () => setHovered(-1));

  new ResizeObserver(() => {
    if (view === '3d') requestFrame();
    else plane?.resize();
    placeOverlays();
  }).observe(map);

  // ---- search (exhibit page only) ----
  const searchInput = document.querySelector<HTMLInputElement>('[data-tks-search-input]');
  const searchList = document.querySelector<HTMLElement>('[data-tks-search-list]');
  const searchStatus = document.querySelector<HTMLElement>('[data-tks-search-status]');
  if (searchInput && searchList && searchStatus) {
    searchInput.disabled = false;
    createSearchBox({
      input: searchInput,
      list: searchList,
      status: searchStatus,
      search: (q) => searchTokens(search, q, 50),
      describe: (i) => ({
        text: quotedText(points.texts[i]),
        meta: `#${points.ids[i]}${hasCounts ? ` · ${formatCount(points.counts[i])}` : ''}`,
      }),
      onResults: (indices) => {
        matches = indices;
        updateHighlights();
      },
      onChoose: (i) => void select(i, { jump: true }),
    });
  }

  // ---- initial state from the URL ----
  let initialSelection = -1;
  if (initial.id !== undefined) initialSelection = indexOfId(points.ids, initial.id);
  else if (initial.token !== undefined) initialSelection = resolveToken(search, initial.token);
  if ((initial.id !== undefined || initial.token !== undefined) && initialSelection < 0) {
    const missing = document.querySelector<HTMLElement>('[data-tks-url-note]') ?? null;
    const what = initial.id !== undefined ? `token id ${initial.id}` : `“${visibleText(initial.token ?? '')}”`;
    if (missing) missing.textContent = `The link asks for ${what}, which is not in this exhibit.`;
  }

  const markReady = () => {
    status.hidden = true;
    root.dataset.state = 'ready';
    api.timings.firstDraw = firstDraw;
  };

  const api: TokenscapeTestApi = {
    count: n,
    screenPosition(id) {
      const i = indexOfId(points.ids, id);
      const p = screenOf(i);
      if (!p) return null;
      const r = activeCanvas().getBoundingClientRect();
      if (p.x < 0 || p.y < 0 || p.x > r.width || p.y > r.height) return null;
      return { x: r.left + p.x, y: r.top + p.y };
    },
    selectedId: () => (selected >= 0 ? points.ids[selected] : null),
    hoveredId: () => (hovered >= 0 ? points.ids[hovered] : null),
    view: () => shownView,
    setView: (v) => setView(v),
    timings: { start, dataLoaded },
    get frames() {
      return frames;
    },
  };
  window.__tokenscape = api;

  // Apply the selection first; jump to it unless the URL also sets the camera.
  const jump = initialSelection >= 0 && !initial.cam;
  if (view === '3d') shown('3d');
  await select(initialSelection, { silent: true, jump: jump && view === '3d' });
  if (view === '3d') requestFrame();
  else {
    await setView(view, { camera: initialPlaneCamera, silent: true });
    const p = plane as PlaneView | null;
    if (jump && p) await p.focus(initialSelection, 0.35);
  }
  initialPlaneCamera = null;
  cameraTouched = Boolean(initial.cam) || jump;
  initializing = false;
}

/** Mounts every viewer on the page (there is one). */
export function mountAll(): void {
  document.querySelectorAll<HTMLElement>('[data-tokenscape]').forEach((root) => {
    mountViewer(root).catch((e) => {
      const status = root.querySelector<HTMLElement>('.map-status');
      root.dataset.state = 'error';
      if (status) {
        status.hidden = false;
        status.classList.add('is-error');
        status.textContent = `The map could not be shown: ${(e as Error)?.message ?? String(e)}`;
      }
    });
  });
}

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
import type { AxisEnds } from '../artifact/manifest.ts';
import { renderAxisEnds } from './axisEnds.ts';
import { createAxisLabels } from './axisLabels.ts';
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
  zoom,
  ROTATE_SPEED,
  type Mat4,
  type Orbit,
  type PlaneCamera,
} from './camera.ts';
import { coloringBytes, type ColorChoice, type Coloring } from './colorBy.ts';
import { createColorByControl } from './colorByControl.ts';
import { MAP_BACKGROUND, maxCount, rgbHex } from './colorScale.ts';
import { describeLoadError, fetchExhibit, normalizePositions } from './data.ts';
import { formatCount, visibleText } from './display.ts';
import { createLabelLayer } from './labelLayer.ts';
import type { NeighborView } from './neighborView.ts';
import { attachMapKeys } from './mapKeys.ts';
import { attachOrbitControls } from './orbitControls.ts';
import { WebGLUnavailableError, createOrbitRenderer, getWebGLContext, type Highlight, type OrbitRenderer } from './orbitRenderer.ts';
import type { PlaneColoring, PlaneView } from './planeView.ts';
import { buildSearchIndex, indexOfId, resolveToken } from './search.ts';
import { mountSearchPanel } from './searchPanel.ts';
import { countLabel, fillDetails, fillTooltip, quotedText, type TokenInfo } from './tooltip.ts';
import { PLANE_AXES, VIEWS, formatUrlState, parseUrlState, type UrlState, type ViewName } from './urlState.ts';

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

const HIGHLIGHT = {
  match: [0.95, 0.95, 0.95] as [number, number, number],
  hover: [1, 1, 1] as [number, number, number],
  neighbor: [1, 0.72, 0.2] as [number, number, number],
  selected: [1, 0.37, 0.77] as [number, number, number],
};

function pointSizeFor(count: number): number {
  if (count <= 3000) return 6;
  if (count <= 20000) return 4.5;
  if (count <= 60000) return 3.5;
  return 2.5;
}

/** What regl-scatterplot needs for a colouring: palette positions, or categories and their colours. */
function planeColoring(c: Coloring): PlaneColoring {
  if (c.kind === 'numeric') return { values: c.values };
  const dense = new Map(c.categories.map((k, j) => [k.index, j]));
  const values = new Float32Array(c.category.length);
  for (let i = 0; i < values.length; i++) values[i] = dense.get(c.category[i]) ?? 0;
  return { values, palette: c.categories.map((k) => rgbHex(k.rgb)) };
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
  const data = root.dataset;
  const clip = Number(data.clip) || 100;

  const fail = (message: string) => {
    root.dataset.state = 'error';
    status.hidden = false;
    status.classList.add('is-error');
    status.textContent = message;
    canvas3d.hidden = true;
    canvas2d.hidden = true;
    root.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>('.map-toolbar button, .map-legend input, .map-legend select').forEach((b) => (b.disabled = true));
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
    points = await fetchExhibit(data.pointsUrl ?? '');
  } catch (e) {
    fail(describeLoadError(e));
    return;
  }
  const dataLoaded = performance.now();

  const n = points.count;
  const norm = normalizePositions(points.positions, points.min, points.max);
  const hasCounts = maxCount(points.counts) > 0;
  const initial: UrlState = parseUrlState(location.search);
  const pointSize = pointSizeFor(n);
  const initialChoice: ColorChoice = hasCounts ? (initial.color ?? 'clip') : initial.color && initial.color !== 'clip' && initial.color !== 'log' ? initial.color : 'id';

  // Half-extent of each axis in normalised units (the box is centred on the origin).
  const axisLengths = [0, 1, 2].map((a) => (points.max[a] - points.min[a]) / 2 / norm.scale || 0.01) as [number, number, number];
  let renderer: OrbitRenderer;
  let coloring: Coloring;
  let visibleMask: Uint8Array | null = null;
  const colorBy = createColorByControl({
    legend: legend ?? document.createElement('div'),
    note: document.querySelector<HTMLElement>('[data-tks-legend-note]'),
    points,
    clip,
    hasCounts,
    facetsUrl: data.facetsUrl || undefined,
    initial: { choice: initialChoice, hidden: initial.hide ?? [] },
    onChange: async (c, mask) => {
      coloring = c;
      visibleMask = mask;
      renderer.setColors(coloringBytes(c));
      renderer.setVisibility(mask);
      updateHighlights();
      if (plane && view !== '3d') {
        await plane.setValues(planeColoring(c));
        await plane.setVisible(visibleIndices());
      }
      labels.placeNow();
      writeUrl();
    },
  });
  coloring = colorBy.coloring();
  try {
    renderer = createOrbitRenderer({
      canvas: canvas3d,
      positions: norm.positions,
      colors: coloringBytes(coloring),
      pointSize,
      background: MAP_BACKGROUND,
      axes: axisLengths,
    });
  } catch (e) {
    fail(e instanceof WebGLUnavailableError ? e.message : `The map could not be drawn: ${(e as Error).message}`);
    return;
  }
  const visibleIndices = () => {
    if (!visibleMask) return null;
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (visibleMask[i]) out.push(i);
    return out;
  };
  const isVisible = (i: number) => !visibleMask || visibleMask[i] === 1;

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
  /** Tokenizer pieces of the search text that are on the map. */
  let pieces: number[] = [];
  let neighbors: number[] = [];
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
    labels.onFrame();
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

  const axisLabels = createAxisLabels(map, (data.variance ?? '').split(',').map(Number), axisLengths);
  const labels = createLabelLayer({
    container: map,
    texts: points.texts,
    counts: points.counts,
    ids: points.ids,
    positions: norm.positions,
    project: (i) => {
      const p = screenOf(i);
      return p && p.x >= 0 && p.y >= 0 && p.x <= map.clientWidth && p.y <= map.clientHeight ? p : null;
    },
    size: () => ({ width: map.clientWidth, height: map.clientHeight }),
    visible: isVisible,
  });

  function placeOverlays() {
    axisLabels.place(view, matrix, size, activeCanvas());
    if (hovered >= 0) placeAt(tooltip, hovered, -14);
    else tooltip.hidden = true;
    if (selected >= 0 && selected !== hovered) placeAt(label, selected, 12);
    else label.hidden = true;
  }

  const updateHighlights = () => {
    const ringed = [...new Set([...matches, ...pieces])].filter((i) => i !== selected && isVisible(i));
    const list: Highlight[] = ringed.map((index) => ({ index, size: pointSize + 7, ring: HIGHLIGHT.match }));
    for (const index of neighbors) if (index !== selected && isVisible(index)) list.push({ index, size: pointSize + 8, ring: HIGHLIGHT.neighbor });
    if (hovered >= 0 && hovered !== selected) list.push({ index: hovered, size: pointSize + 8, ring: HIGHLIGHT.hover });
    if (selected >= 0) list.push({ index: selected, size: pointSize + 11, ring: HIGHLIGHT.selected });
    renderer.setHighlights(list);
    const chosen = [...new Set([selected, ...neighbors, ...ringed])].filter((i) => i >= 0 && isVisible(i));
    plane?.setSelection(chosen);
    requestFrame();
  };

  const updatePinned = () => labels.setPinned([...neighbors, ...pieces], selected);

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
      const choice = colorBy.choice();
      if (choice !== 'id' && choice !== 'clip') state.color = choice;
      if (state.color && colorBy.hidden().length) state.hide = colorBy.hidden();
      if (!labels.enabled()) state.labels = 'off';
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

  // ---- neighbours: their code and neighbors.bin load on the first selection (first paint stays as it was) ----
  const embedNeighbors = root.dataset.mode === 'embed' ? $<HTMLElement>('.map-neighbors') : null;
  let neighborView: Promise<NeighborView> | null = null;
  const showNeighbors = (i: number) => {
    if (i < 0 && !neighborView) return;
    neighborView ??= import('./neighborView.ts').then(({ createNeighborView }) =>
      createNeighborView({
        url: data.neighborsUrl || undefined,
        points,
        method: data.neighborsMethod ?? 'cosine similarity in the embedding space',
        container: () => {
          if (embedNeighbors) {
            embedNeighbors.hidden = selected < 0;
            return embedNeighbors;
          }
          if (!details) return null;
          let box = details.querySelector<HTMLElement>('.details-neighbors');
          if (!box) {
            box = document.createElement('div');
            box.className = 'details-neighbors';
            details.append(box);
          }
          return box;
        },
        onChoose: (k) => void select(k, { jump: true }),
        onNeighbors: (indices) => {
          neighbors = indices;
          updateHighlights();
          updatePinned();
        },
      }),
    );
    void neighborView.then((v) => v.show(i));
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
    if (embedNeighbors && selected < 0) embedNeighbors.hidden = true;
    if (opts.jump && selected >= 0) {
      cameraTouched = true;
      if (view === '3d') orbit = focusOn(orbit, norm.positions.subarray(selected * 3, selected * 3 + 3), Math.max(0.6, norm.fitRadius));
      else if (plane) await plane.focus(selected, 0.35);
    }
    updateHighlights();
    updatePinned();
    showNeighbors(selected);
    if (!opts.silent) writeUrl();
  };

  // ---- labels toggle ----
  const labelsButton = $<HTMLButtonElement>('[data-action=labels]');
  const setLabels = (on: boolean) => {
    labels.setEnabled(on);
    labelsButton?.setAttribute('aria-pressed', String(on));
  };
  labelsButton?.addEventListener('click', () => {
    setLabels(!labels.enabled());
    writeUrl();
  });
  setLabels(initial.labels !== 'off');

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
            labels.onFrame();
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
        await p.show(axis(a), axis(b), planeColoring(coloring));
        await p.setVisible(visibleIndices());
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
    labels.placeNow();
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
  attachOrbitControls({
    canvas: canvas3d,
    orbit: () => orbit,
    setOrbit: (next) => {
      orbit = next;
      cameraTouched = true;
      requestFrame();
    },
    onHover: (p) => {
      pointer = p;
      pickRequested = Boolean(p);
      if (p) requestFrame();
      else setHovered(-1);
    },
    onClick: (p, touch) => void select(renderer.pick(matrix, p.x, p.y, Math.max(touch ? 14 : 5, pointSize))),
    onDragStart: () => setHovered(-1),
    onDragEnd: writeUrl,
  });

  // ---- keyboard on the map ----
  attachMapKeys([canvas3d, canvas2d], (15 * Math.PI) / 180 / ROTATE_SPEED, {
    is3d: () => view === '3d',
    rotate: (dx, dy) => {
      orbit = rotate(orbit, dx, dy);
      cameraTouched = true;
      requestFrame();
      writeUrl();
    },
    pan: async (dx, dy) => {
      cameraTouched = true;
      if (view === '3d') {
        orbit = pan(orbit, dx, dy, canvas3d.clientHeight);
        requestFrame();
        writeUrl();
      } else if (plane) await plane.nudge(dx, dy, 1);
    },
    zoomBy,
    reset: resetView,
    deselect: () => {
      if (selected < 0) return false;
      void select(-1);
      return true;
    },
    toggleLabels: () => {
      setLabels(!labels.enabled());
      writeUrl();
    },
  });
  canvas2d.addEventListener('mouseleave', () => setHovered(-1));

  new ResizeObserver(() => {
    if (view === '3d') requestFrame();
    else plane?.resize();
    placeOverlays();
    labels.onFrame();
  }).observe(map);

  // ---- search (exhibit page only) ----
  mountSearchPanel({
    points,
    index: search,
    hasCounts,
    tokenizer: { tokenizer: data.tokenizerUrl || undefined, config: data.tokenizerConfigUrl || undefined },
    onChoose: (i) => void select(i, { jump: true }),
    onMatches: (indices) => {
      matches = indices;
      updateHighlights();
    },
    onPieces: (indices) => {
      pieces = indices;
      updateHighlights();
      updatePinned();
    },
  });

  // ---- axis ends (exhibit page) ----
  const axisEndsRoot = document.querySelector<HTMLElement>('[data-tks-axis-ends]');
  if (axisEndsRoot?.dataset.axisEnds) {
    try {
      const ends = JSON.parse(axisEndsRoot.dataset.axisEnds) as AxisEnds[];
      renderAxisEnds(axisEndsRoot, ends, { indexOfId: (id) => indexOfId(points.ids, id), text: (i) => points.texts[i] }, (i) => void select(i, { jump: true }));
    } catch {
      axisEndsRoot.replaceChildren();
    }
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
    neighborIds: () => neighbors.map((i) => points.ids[i]),
    labelIds: () => labels.shown().map((r) => points.ids[r.index]),
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
  // A colouring from the URL that needs facets.bin loads after the first paint.
  void colorBy.start().finally(() => {
    initializing = false;
  });
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

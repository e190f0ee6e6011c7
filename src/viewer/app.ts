/**
 * The map viewer, as wiring: it loads the exhibit, creates the layers on the markup of
 * src/components/MapViewer.astro and connects their events. One viewer per page (exhibit page or
 * embed page). Each layer keeps its own state; what is marked on the map (mapMarks.ts) is shared,
 * because the views, the labels, the cards and the URL all follow it. The test hook: testApi.ts.
 */
import { mountAxisEnds } from './axisEnds.ts';
import { createAxisLabels } from './axisLabels.ts';
import { parsePlane, type PlaneCamera } from './camera.ts';
import { coloringBytes, drawnIndices, initialColorChoice } from './colorBy.ts';
import { createColorByControl } from './colorByControl.ts';
import { MAP_BACKGROUND, maxCount } from './colorScale.ts';
import { normalizePositions } from './data.ts';
import { createLabelLayer } from './labelLayer.ts';
import { createLabelsToggle } from './labelsToggle.ts';
import { loadExhibit } from './loadExhibit.ts';
import { attachMapInput } from './mapInput.ts';
import { createMapMarks } from './mapMarks.ts';
import { createMapViews } from './mapViews.ts';
import { WebGLUnavailableError, createOrbitRenderer, type OrbitRenderer } from './orbitRenderer.ts';
import { createPointCards } from './pointCards.ts';
import { pointSizeFor } from './pointStyle.ts';
import { buildSearchIndex } from './search.ts';
import { mountSearchPanel } from './searchPanel.ts';
import { createSelectionPanel } from './selectionPanel.ts';
import { publishTestApi, type TokenscapeTestApi } from './testApi.ts';
import { tokenInfoOf } from './tooltip.ts';
import { parseUrlState, type ViewName } from './urlState.ts';
import { createUrlWriter, linkedSelection } from './urlSync.ts';
import { createViewerStatus, showViewerError } from './viewerStatus.ts';

export async function mountViewer(root: HTMLElement): Promise<void> {
  const timings: TokenscapeTestApi['timings'] = { start: performance.now() };
  const $ = <T extends HTMLElement>(selector: string) => root.querySelector<T>(selector);
  const map = $('.map')!;
  const canvas3d = $<HTMLCanvasElement>('canvas.map-3d')!;
  const canvas2d = $<HTMLCanvasElement>('canvas.map-2d')!;
  const label = $('.map-label')!;
  const data = root.dataset;
  const status = createViewerStatus(root, timings);

  const points = await loadExhibit(canvas3d, data.pointsUrl ?? '', status);
  if (!points) return;
  timings.dataLoaded = performance.now();

  const norm = normalizePositions(points.positions, points.min, points.max);
  const hasCounts = maxCount(points.counts) > 0;
  const initial = parseUrlState(location.search);
  const pointSize = pointSizeFor(points.count);
  const info = tokenInfoOf(points, hasCounts);
  const search = buildSearchIndex(points);
  let visibleMask: Uint8Array | null = null;
  const isVisible = (i: number) => !visibleMask || visibleMask[i] === 1;

  // ---- colours, and the 3D renderer that draws them ----
  const colorBy = createColorByControl({
    legend: $('.map-legend') ?? document.createElement('div'),
    note: document.querySelector<HTMLElement>('[data-tks-legend-note]'),
    points,
    clip: Number(data.clip) || 100,
    hasCounts,
    facetsUrl: data.facetsUrl || undefined,
    initial: { choice: initialColorChoice(initial.color, hasCounts), hidden: initial.hide ?? [] },
    onChange: async (coloring, mask) => {
      visibleMask = mask;
      renderer.setColors(coloringBytes(coloring));
      renderer.setVisibility(mask);
      marks.redraw(false);
      await views.setColoring(coloring);
      labels.placeNow();
      url.write();
    },
  });
  // Half-extent of each axis in normalised units (the box is centred on the origin).
  const axisLengths = [0, 1, 2].map((a) => (points.max[a] - points.min[a]) / 2 / norm.scale || 0.01) as [number, number, number];
  let renderer: OrbitRenderer;
  try {
    renderer = createOrbitRenderer({ canvas: canvas3d, positions: norm.positions, colors: coloringBytes(colorBy.coloring()), pointSize, background: MAP_BACKGROUND, axes: axisLengths });
  } catch (e) {
    status.fail(e instanceof WebGLUnavailableError ? e.message : `The map could not be drawn: ${(e as Error).message}`);
    return;
  }

  // ---- views: 3D and the 2D planes ----
  const views = createMapViews({
    root, canvas3d, canvas2d, status, renderer, positions: norm.positions, fitRadius: norm.fitRadius, pointSize,
    link: { view: initial.view ?? '3d', cam: initial.cam },
    coloring: colorBy.coloring,
    visible: () => drawnIndices(visibleMask),
    onChooseView: (v) => void setView(v),
    onHover: hover,
    onClick: (i) => void select(i),
    onPlaneMoved: () => {
      followCamera();
      url.write();
    },
    onDrawn: status.drawn,
    onFrame: followCamera,
  });
  const setView = async (next: ViewName, opts: { camera?: PlaneCamera | null; silent?: boolean } = {}) => {
    const switched = views.show(next, opts.camera);
    hover(-1);
    if (!(await switched)) return;
    if (next !== '3d') marks.redraw(false);
    placeOverlays();
    labels.placeNow();
    if (!opts.silent) url.write();
  };

  // ---- overlays: axis names, token labels, the tooltip and the selected token's card ----
  const axisLabels = createAxisLabels(map, (data.variance ?? '').split(',').map(Number), axisLengths);
  const labels = createLabelLayer({ container: map, texts: points.texts, counts: points.counts, ids: points.ids, positions: norm.positions, project: views.screenOf, visible: isVisible });
  const cards = createPointCards({ map, tooltip: $('.map-tooltip')!, label, screenOf: views.screenOf, activeCanvas: views.activeCanvas, info });
  function placeOverlays() {
    axisLabels.place(views.view(), views.orbit.matrix(), views.orbit.size(), views.activeCanvas());
    cards.place(marks.now.hovered, marks.now.selected);
  }
  function followCamera() {
    placeOverlays();
    labels.onFrame();
  }

  // ---- what is marked: hover, selection (and its neighbours), search ----
  const marks = createMapMarks({
    pointSize,
    isVisible,
    drawRings: (rings, chosen) => {
      renderer.setHighlights(rings);
      views.setSelection(chosen);
      views.orbit.requestFrame();
    },
    pinLabels: labels.setPinned,
  });
  function hover(i: number) {
    if (i === marks.now.hovered) return;
    cards.hover(i);
    // The 2D views ring the hovered point themselves.
    marks.set({ hovered: i }, views.view() === '3d');
    canvas3d.style.cursor = i >= 0 ? 'pointer' : '';
    placeOverlays();
  }
  const panel = createSelectionPanel({
    root, label, details: document.querySelector<HTMLElement>('[data-tks-details]'), points, hasCounts, info,
    neighbors: { url: data.neighborsUrl || undefined, method: data.neighborsMethod ?? 'cosine similarity in the embedding space' },
    onChoose: (k) => void select(k, { jump: true }),
    onNeighbors: (neighbors) => marks.set({ neighbors }),
  });
  const select = async (i: number, opts: { jump?: boolean; silent?: boolean } = {}) => {
    const selected = i >= 0 && i < points.count ? i : -1;
    // Rings and pinned labels are drawn once the camera has jumped.
    marks.set({ selected }, false);
    panel.show(selected);
    if (opts.jump && selected >= 0) await views.focus(selected);
    marks.redraw();
    if (!opts.silent) url.write();
  };

  // ---- the URL, the controls, search and axis ends ----
  const url = createUrlWriter({
    view: views.view, color: colorBy.choice, hidden: colorBy.hidden, labelsOn: labels.enabled, camera: views.camera,
    selectedId: () => (marks.now.selected >= 0 ? points.ids[marks.now.selected] : undefined),
  });
  const labelsToggle = createLabelsToggle($<HTMLButtonElement>('[data-action=labels]'), labels, initial.labels !== 'off', url.write);
  attachMapInput({
    root, canvas3d, canvas2d, views, pointSize,
    onCameraMoved: url.write,
    onHoverEnd: () => hover(-1),
    onClick: (i) => void select(i),
    deselect: () => {
      if (marks.now.selected < 0) return false;
      void select(-1);
      return true;
    },
    toggleLabels: labelsToggle.toggle,
  });
  new ResizeObserver(() => {
    views.resize();
    followCamera();
  }).observe(map);
  mountSearchPanel({
    points, index: search, hasCounts,
    tokenizer: { tokenizer: data.tokenizerUrl || undefined, config: data.tokenizerConfigUrl || undefined },
    onChoose: (i) => void select(i, { jump: true }),
    onMatches: (matches) => marks.set({ matches }),
    onPieces: (pieces) => marks.set({ pieces }),
  });
  mountAxisEnds(points, (i) => void select(i, { jump: true }));

  publishTestApi({
    ids: points.ids, screenOf: views.screenOf, activeCanvas: views.activeCanvas, view: views.shownView, timings,
    marks: () => marks.now,
    labels: () => labels.shown().map((r) => r.index),
    setView: (v) => setView(v),
    frames: status.frames,
  });

  // ---- the link's state: the selection first; jump to it unless the link also sets the camera ----
  const linked = linkedSelection(initial, points.ids, search);
  const urlNote = document.querySelector<HTMLElement>('[data-tks-url-note]');
  if (linked.missing && urlNote) urlNote.textContent = linked.missing;
  const jump = linked.index >= 0 && !initial.cam;
  await select(linked.index, { silent: true, jump: jump && views.view() === '3d' });
  if (views.view() === '3d') views.orbit.requestFrame();
  else {
    await setView(views.view(), { camera: parsePlane(initial.cam), silent: true });
    if (jump) await views.focus(linked.index);
  }
  views.setCameraMoved(Boolean(initial.cam) || jump);
  // A colouring from the link that needs facets.bin loads after the first paint.
  void colorBy.start().finally(url.start);
}

/** Mounts every viewer on the page (there is one). */
export function mountAll(): void {
  document.querySelectorAll<HTMLElement>('[data-tokenscape]').forEach((root) => {
    mountViewer(root).catch((e) => showViewerError(root, `The map could not be shown: ${(e as Error)?.message ?? String(e)}`));
  });
}

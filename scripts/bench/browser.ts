/**
 * The browser figures of `npm run bench`, measured in headless Chromium (/usr/bin/chromium, SwiftShader
 * WebGL, the browser suite's launch arguments) against the notebook's Plotly HTML of the same points:
 *
 *  1. The site: the full-vocabulary exhibits of both bench models (the 32000-point F16 one and the
 *     128256-point BF16 one), reused from the `precompute` stage of run.ts when it wrote them (the
 *     exhibit folders are copied under new ids, nothing is computed twice) or precomputed here,
 *     built once with `astro build` (child process; TOKENSCAPE_EXHIBITS, TOKENSCAPE_DIST,
 *     BASE_PATH=/site) and served with the Plotly HTML from a loopback server that gzips text types
 *     as GitHub Pages does (scripts/bench/browserServer.ts).
 *  2. Page weight: every response of one page load (until the map is drawn and the network is quiet
 *     for a second): uncompressed bytes, bytes as served, and each resource's gzip size (node:zlib),
 *     against the same for the Plotly HTML.
 *  3. Time to first drawn points: a fresh browser context (empty cache) per load, both pages
 *     alternately, median of `runs`. One yardstick for both: an init script wraps the WebGL draw
 *     calls; the first call that draws at least as many vertices as there are points into a visible
 *     canvas (default framebuffer) is followed by a 1-pixel `readPixels`, which returns once the GPU
 *     (SwiftShader here) has finished that draw; the figure is `performance.now()` then, i.e. from
 *     navigation start. Cross-checks, printed: the viewer's own `__tokenscape.timings.firstDraw`
 *     (taken after its render call, so it includes that readPixels) and when Plotly's `newPlot`
 *     promise resolved.
 *  4. Orbit: the exhibit in 3D, ~2 s of mouse drags over the canvas (the viewer's own pointer
 *     handlers; Plotly's at 32000 points too, dragged until 4 frames have drawn, 8 s at most).
 *     Frame time = intervals between the requestAnimationFrame callbacks that drew the points; JS
 *     per frame = their duration, at 32000 and at 128256 points: equal up to noise when a frame's
 *     CPU work does not grow with the points (src/viewer/app.ts `frame()` → orbitRenderer.ts
 *     `render(matrix)`: the buffers were uploaded once, a frame sets the 4×4 matrix uniform and
 *     issues one draw call). With SwiftShader the GPU work runs on the CPU too, in Chromium's GPU
 *     process, so the frame time here is the software rasteriser's, not the page's JS. Hover: the
 *     pointer moved onto a point from outside the canvas; time from the `pointermove` event to the
 *     tooltip showing a token (a MutationObserver on the tooltip); the viewer picks on the GPU in the
 *     next frame. Median of the points tried (5). Plotly is not orbited at 128256 points: at 32000
 *     one of its frames (1.8 M triangle vertices) takes SwiftShader seconds, and in a 2 s drag at
 *     128256 none was drawn. The viewer's token labels are on (its default) in these runs; the 128256
 *     one runs again with `?labels=off`, so the labels' cost shows beside it.
 *  5. Issue 8's lazy files: bytes per point of neighbors.bin and facets.bin as published (gzip, by
 *     astro.config.mjs), and that the first paint fetched none of them (nor the tokenizer); page weight
 *     against the figure before issue 8 (README: 0.50 MB at commit 9f4d7c9, the same page).
 */
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { GALLERY_FILE, MANIFEST_FILE, type ExhibitManifest, type GalleryIndex } from '../../src/artifact/manifest.ts';
import { parseGalleryConfig } from '../../src/config/index.ts';
import { hubEnvironment } from '../../src/hub/hubEnvironment.ts';
import { precompute } from '../../src/pipeline/precompute.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/support/browser.ts';
import { astroBuild } from '../astroBuild.ts';
import { COMPRESSIBLE, startBenchServer } from './browserServer.ts';
import type { BenchRow } from './table.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const BASE = '/site';
const PEER_PATH = '/peer/plotly-32k.html';
const VIEWPORT = { width: 1100, height: 800 };
const LOAD_TIMEOUT = 120_000;
/** Page weight of the 32000-point page (all responses, uncompressed) before issue 8 (README, commit 9f4d7c9). */
const BEFORE_ISSUE_8_BYTES = 0.5e6;
/** Files the viewer fetches only on demand (issue 8): never at first paint. */
const LAZY_FILES = /\/(neighbors\.bin|facets\.bin|tokenizer\.json|tokenizer_config\.json)$|\/tokenizers\.[^/]*\.js$/;
/** Frames an orbit measurement waits for (drawn after its first 200 ms). */
const MIN_FRAMES = 4;

export interface BrowserExhibitSource {
  /** Id in the bench site, e.g. `vocab-32k` (the page is `/site/vocab-32k/`). */
  id: string;
  title: string;
  /** The local model folder (absolute), precomputed here when `precomputed` has no exhibit. */
  modelFolder: string;
  /** An exhibits folder that already holds this model's full-vocabulary exhibit (gallery.json with one exhibit). */
  precomputed?: string;
}

export interface BrowserBenchOptions {
  /** Scratch folder (site, exhibits, build). */
  work: string;
  /** The 32000-point exhibit (page weight, first draw) and the 128256-point one (orbit, hover). */
  small: BrowserExhibitSource;
  large: BrowserExhibitSource;
  /** Optional: a 262144-point exhibit (Gemma-2 vocabulary size), measured like the others beside the 128k figures. */
  huge?: BrowserExhibitSource;
  /** The notebook's Plotly HTML of the small exhibit's points (seed_pipeline.py --full --html), or null. */
  peerHtml: string | null;
  /** Page loads per side for the first-draw figure. */
  runs?: number;
  log: (line: string) => void;
}

export interface Resource {
  path: string;
  status: number;
  type: string;
  /** Decoded body bytes. */
  raw: number;
  /** Body bytes on the wire (after Content-Encoding). */
  served: number;
  /** gzip (node:zlib, default level) of the decoded body. */
  gzip: number;
}

export interface PageWeight {
  resources: Resource[];
  raw: number;
  served: number;
  /** As GitHub Pages serves: gzip for text types, binary data as is. */
  pages: number;
}

export interface FirstDraw {
  /** ms from navigation start to the first full draw of the points finished on the GPU. */
  drawn: number;
  /** ms when that draw call was issued. */
  issued: number;
  /** The page's own figure: the viewer's `timings.firstDraw`, or Plotly's newPlot resolving. */
  own: number | null;
  vertices: number;
}

export interface OrbitFigures {
  points: number;
  /** requestAnimationFrame callbacks that drew the points during the drags, and the interval between them (ms). */
  frames: number;
  frameMedian: number;
  frameP95: number;
  /** JS time of the requestAnimationFrame callbacks that drew (ms). */
  jsMedian: number;
  jsP95: number;
  /** Bytes uploaded into GPU buffers during the drags, and before them (page load). */
  uploaded: number;
  uploadedAtLoad: number;
  /** Pointer onto a point → tooltip shown (ms), one per point tried. */
  hover: number[];
}

export interface BrowserFigures {
  points: { small: number; large: number };
  weight: { ours: PageWeight; peer: PageWeight | null; peerFileBytes: number | null };
  firstDraw: { ours: FirstDraw[]; peer: FirstDraw[] | null };
  /** Plotly's orbit only at the small size (see the top of this file). */
  orbit: { small: OrbitFigures; large: OrbitFigures; peerSmall: OrbitFigures | null; largeNoLabels: OrbitFigures };
  /** The optional 262144-point exhibit. */
  huge: { points: number; weight: PageWeight; firstDraw: FirstDraw[]; orbit: OrbitFigures } | null;
  /** Per point of the large exhibit: neighbors.bin and facets.bin as published (gzip) and as written. */
  lazy: { neighborsPerPoint: number | null; neighborsRawPerPoint: number | null; facetsPerPoint: number | null; k: number | null; firstPaintFetches: string[] };
  buildSeconds: number;
  seconds: number;
}


// ---------------------------------------------------------------------------------------------
// The site

/** Copies each source's exhibit folder under its bench id (or precomputes it) and writes one gallery.json. */
async function assembleExhibits(outDir: string, sources: BrowserExhibitSource[], work: string, log: (s: string) => void): Promise<ExhibitManifest[]> {
  const reusable = (s: BrowserExhibitSource) => Boolean(s.precomputed && existsSync(path.join(s.precomputed, GALLERY_FILE)));
  const missing = sources.filter((s) => !reusable(s));
  const freshDir = path.join(work, 'browser-precompute');
  if (missing.length > 0) {
    log(`browser: precomputing ${missing.map((s) => s.id).join(', ')} (no exhibit from the precompute stage) …`);
    const yaml = `title: Tokenscape bench\nexhibits:\n${missing
      // Neighbours off, as in the core precompute: page figures do not depend on them (neighbors.bin is fetched
      // on first select), and the neighbours section measures them and their file on its own.
      .map((s) => `  - id: ${s.id}\n    title: ${JSON.stringify(s.title)}\n    model: { path: ${JSON.stringify(s.modelFolder)} }\n    corpus: vocabulary\n    neighbors: false\n`)
      .join('')}`;
    await precompute({
      config: parseGalleryConfig(yaml, path.join(freshDir, 'gallery.yaml')),
      env: { ...hubEnvironment(), offline: true },
      workspace: { cacheDir: path.join(freshDir, 'cache'), exhibitsDir: path.join(freshDir, 'exhibits') },
    });
  }
  await mkdir(outDir, { recursive: true });
  const manifests: ExhibitManifest[] = [];
  for (const s of sources) {
    const from = reusable(s) ? s.precomputed! : path.join(freshDir, 'exhibits');
    const gallery = JSON.parse(await readFile(path.join(from, GALLERY_FILE), 'utf8')) as GalleryIndex;
    const found = reusable(s) ? gallery.exhibits[0] : gallery.exhibits.find((e) => e.id === s.id);
    if (!found) throw new Error(`browser bench: no exhibit in ${from}/${GALLERY_FILE}`);
    await cp(path.join(from, found.id), path.join(outDir, s.id), { recursive: true });
    const manifest: ExhibitManifest = { ...found, id: s.id, title: s.title };
    await writeFile(path.join(outDir, s.id, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    manifests.push(manifest);
  }
  await writeFile(path.join(outDir, GALLERY_FILE), `${JSON.stringify({ title: 'Tokenscape bench', exhibits: manifests }, null, 2)}\n`);
  return manifests;
}

// ---------------------------------------------------------------------------------------------
// In-page instrumentation (plain strings: tsx would add helpers to serialised functions)

/**
 * WebGL draw calls of at least `threshold` vertices into the default framebuffer (what is on screen):
 * the first is followed by a 1-pixel readPixels (it returns when the GPU has finished the draw); every
 * one is timed; requestAnimationFrame callbacks that made one are timed too. Plotly's newPlot is
 * wrapped to note when its promise resolves.
 */
function instrumentation(threshold: number): string {
  return `(() => {
  const rec = { threshold: ${threshold}, issued: null, drawn: null, vertices: 0, big: 0, draws: [], frames: [], counts: [], plotted: null, uploaded: 0 };
  Object.defineProperty(window, '__bench', { value: rec });
  const vertexArg = { drawArrays: [2], drawElements: [1], drawArraysInstanced: [2, 3], drawElementsInstanced: [1, 4] };
  const wrap = function (proto) {
    if (!proto) return;
    Object.keys(vertexArg).forEach(function (name) {
      const orig = proto[name];
      if (typeof orig !== 'function') return;
      proto[name] = function () {
        const args = vertexArg[name];
        let vertices = arguments[args[0]];
        if (args.length > 1) vertices *= arguments[args[1]];
        if (vertices < rec.threshold || this.getParameter(this.FRAMEBUFFER_BINDING) !== null) return orig.apply(this, arguments);
        const t = performance.now();
        const result = orig.apply(this, arguments);
        rec.big++;
        if (rec.draws.length < 20000) rec.draws.push(t);
        if (rec.counts.length < 20) rec.counts.push(name + ':' + vertices);
        if (rec.issued === null) {
          rec.issued = t;
          rec.vertices = vertices;
          this.readPixels(0, 0, 1, 1, this.RGBA, this.UNSIGNED_BYTE, new Uint8Array(4));
          rec.drawn = performance.now();
        }
        return result;
      };
    });
  };
  wrap(window.WebGLRenderingContext && WebGLRenderingContext.prototype);
  wrap(window.WebGL2RenderingContext && WebGL2RenderingContext.prototype);
  // Bytes uploaded into GPU buffers (bufferData's size or data, bufferSubData's data).
  const uploads = function (proto) {
    if (!proto) return;
    [['bufferData', 1], ['bufferSubData', 2]].forEach(function (entry) {
      const orig = proto[entry[0]];
      if (typeof orig !== 'function') return;
      proto[entry[0]] = function () {
        const data = arguments[entry[1]];
        rec.uploaded += typeof data === 'number' ? data : (data && data.byteLength) || 0;
        return orig.apply(this, arguments);
      };
    });
  };
  uploads(window.WebGLRenderingContext && WebGLRenderingContext.prototype);
  uploads(window.WebGL2RenderingContext && WebGL2RenderingContext.prototype);
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = function (callback) {
    return raf(function (ts) {
      const before = rec.big;
      const t0 = performance.now();
      try {
        callback(ts);
      } finally {
        if (rec.big > before && rec.frames.length < 20000) rec.frames.push([t0, performance.now() - t0]);
      }
    });
  };
  let plotly;
  Object.defineProperty(window, 'Plotly', {
    configurable: true,
    get: function () { return plotly; },
    set: function (value) {
      plotly = value;
      if (value && typeof value.newPlot === 'function' && !value.newPlot.__bench) {
        const newPlot = value.newPlot;
        value.newPlot = function () {
          const p = newPlot.apply(this, arguments);
          if (p && typeof p.then === 'function') p.then(function () { if (rec.plotted === null) rec.plotted = performance.now(); });
          return p;
        };
        value.newPlot.__bench = true;
      }
    },
  });
})();`;
}

interface PageRecord {
  issued: number | null;
  drawn: number | null;
  vertices: number;
  draws: number[];
  frames: [number, number][];
  counts: string[];
  plotted: number | null;
  uploaded: number;
}

const readRecord = (page: Page) => page.evaluate('window.__bench') as Promise<PageRecord>;

// ---------------------------------------------------------------------------------------------
// Measurements

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}

async function freshPage(browser: Browser, threshold: number): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  await context.addInitScript({ content: instrumentation(threshold) });
  return context.newPage();
}

async function waitDrawn(page: Page): Promise<void> {
  await page.waitForFunction('window.__bench && window.__bench.drawn !== null', undefined, { timeout: LOAD_TIMEOUT, polling: 50 });
}

async function pageWeight(browser: Browser, url: string, threshold: number): Promise<PageWeight> {
  const page = await freshPage(browser, threshold);
  const finished: Request[] = [];
  page.on('requestfinished', (r) => finished.push(r));
  page.on('requestfailed', (r) => finished.push(r));
  try {
    await page.goto(url, { waitUntil: 'load', timeout: LOAD_TIMEOUT });
    await waitDrawn(page);
    // Late requests (lazy chunks, icons): a second with none.
    let seen = -1;
    while (seen !== finished.length) {
      seen = finished.length;
      await page.waitForTimeout(1000);
    }
    const resources: Resource[] = [];
    for (const r of finished) {
      const response = await r.response();
      let body = response ? await response.body().catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
      const sizes = await r.sizes().catch(() => null);
      // Chromium does not keep some bodies (the 11 MB Plotly document): the same URL again, from Node
      // (fetch decodes gzip, so this is the uncompressed body the browser read).
      if (body.length === 0 && response && (sizes?.responseBodySize ?? 0) > 0) body = Buffer.from(await (await fetch(r.url())).arrayBuffer());
      resources.push({
        path: new URL(r.url()).pathname,
        status: response?.status() ?? 0,
        type: response?.headers()['content-type'] ?? '',
        raw: body.length,
        served: sizes?.responseBodySize ?? body.length,
        gzip: gzipSync(body).length,
      });
    }
    const sum = (f: (r: Resource) => number) => resources.reduce((a, r) => a + f(r), 0);
    return { resources, raw: sum((r) => r.raw), served: sum((r) => r.served), pages: sum((r) => (COMPRESSIBLE.test(r.type) ? r.gzip : r.raw)) };
  } finally {
    await page.context().close();
  }
}

async function firstDraw(browser: Browser, url: string, threshold: number, own: 'viewer' | 'plotly'): Promise<FirstDraw> {
  const page = await freshPage(browser, threshold);
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: LOAD_TIMEOUT });
    await waitDrawn(page);
    if (own === 'viewer') await page.waitForSelector('[data-tokenscape][data-state=ready]', { timeout: LOAD_TIMEOUT });
    else await page.waitForFunction('window.__bench.plotted !== null', undefined, { timeout: 10_000 }).catch(() => {});
    const rec = await readRecord(page);
    const ownTime = own === 'viewer' ? ((await page.evaluate('window.__tokenscape && window.__tokenscape.timings.firstDraw')) as number | null) : rec.plotted;
    return { drawn: rec.drawn!, issued: rec.issued!, own: ownTime ?? null, vertices: rec.vertices };
  } finally {
    await page.context().close();
  }
}

/**
 * ~`ms` of mouse drags over the 3D map (the viewer's canvas, or Plotly's graph), then (viewer only)
 * hovers onto `hovers` points.
 */
async function orbit(browser: Browser, url: string, points: number, kind: 'viewer' | 'plotly', ms: number, hovers: number): Promise<OrbitFigures> {
  const page = await freshPage(browser, points);
  try {
    await page.goto(url, { waitUntil: 'load', timeout: LOAD_TIMEOUT });
    if (kind === 'viewer') await page.waitForSelector('[data-tokenscape][data-state=ready]', { timeout: LOAD_TIMEOUT });
    else {
      await waitDrawn(page);
      await page.waitForTimeout(500);
    }
    const box = (await (await page.$(kind === 'viewer' ? 'canvas.map-3d' : '.js-plotly-plot'))!.boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    const [t0, uploaded0] = (await page.evaluate('[performance.now(), window.__bench.uploaded]')) as [number, number];
    // `ms` of drags, longer (up to 4×) until `MIN_FRAMES` frames have drawn (Plotly takes seconds per frame).
    const started = Date.now();
    let drawn = 0;
    for (let k = 1; Date.now() - started < ms || (drawn < MIN_FRAMES && Date.now() - started < 4 * ms); k++) {
      await page.mouse.move(cx + 160 * Math.sin(k / 20), cy + 50 * Math.sin(k / 33));
      if (k % 10 === 0) drawn = (await page.evaluate(`window.__bench.frames.filter((f) => f[0] >= ${t0 + 200}).length`)) as number;
    }
    const t1 = (await page.evaluate('performance.now()')) as number;
    await page.mouse.up();
    const rec = await readRecord(page);
    // Frames that drew the points, after the first 200 ms (drag threshold, first moves).
    const frames = rec.frames.filter(([t]) => t >= t0 + 200 && t <= t1);
    const intervals = frames.slice(1).map(([t], i) => t - frames[i][0]);
    const js = frames.map(([, d]) => d);
    const figures: OrbitFigures = {
      points,
      frames: frames.length,
      frameMedian: median(intervals),
      frameP95: quantile(intervals, 0.95),
      jsMedian: median(js),
      jsP95: quantile(js, 0.95),
      uploaded: rec.uploaded - uploaded0,
      uploadedAtLoad: uploaded0,
      hover: [],
    };
    if (kind !== 'viewer') return figures;

    // Hover: points spread over the map, each approached from outside the canvas.
    await page.waitForTimeout(300);
    const ids = Array.from({ length: 400 }, (_, i) => Math.floor((i * points) / 400));
    const margin = 90;
    const candidates = ((await page.evaluate(`[${ids.join(',')}].map((id) => window.__tokenscape.screenPosition(id))`)) as ({ x: number; y: number } | null)[])
      .filter((p): p is { x: number; y: number } => p !== null)
      .filter((p) => p.x > box.x + margin && p.x < box.x + box.width - margin && p.y > box.y + margin && p.y < box.y + box.height - 2 * margin);
    const outside = box.y > 20 ? { x: box.x + 20, y: box.y - 10 } : { x: box.x + 20, y: box.y + box.height + 10 };
    const hover: number[] = [];
    for (let k = 0; k < hovers && candidates.length > 0; k++) {
      const p = candidates[Math.floor((k * candidates.length) / hovers)];
      await page.mouse.move(outside.x, outside.y);
      await page.waitForFunction('window.__tokenscape.hoveredId() === null', undefined, { timeout: 5000 });
      await page.evaluate(`(() => {
        const probe = { t0: null, t1: null };
        window.__hoverProbe = probe;
        const tip = document.querySelector('.map-tooltip');
        addEventListener('pointermove', function () { if (probe.t0 === null) probe.t0 = performance.now(); }, { capture: true, once: true });
        const observer = new MutationObserver(function () {
          if (probe.t1 === null && !tip.hidden && window.__tokenscape.hoveredId() !== null) { probe.t1 = performance.now(); observer.disconnect(); }
        });
        observer.observe(tip, { attributes: true, childList: true, subtree: true, characterData: true });
      })()`);
      await page.mouse.move(p.x, p.y);
      const ok = await page.waitForFunction('window.__hoverProbe.t1 !== null', undefined, { timeout: 5000, polling: 20 }).then(() => true, () => false);
      if (!ok) continue; // pointer landed between points: nothing to hover
      const probe = (await page.evaluate('window.__hoverProbe')) as { t0: number; t1: number };
      hover.push(probe.t1 - probe.t0);
    }
    return { ...figures, hover };
  } finally {
    await page.context().close();
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs the browser figures; a string says why they were skipped. */
export async function benchBrowser(options: BrowserBenchOptions): Promise<BrowserFigures | string> {
  if (!existsSync(CHROMIUM_PATH)) return `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
  if (!existsSync(path.join(repoRoot, 'node_modules/astro/astro.js'))) return 'node_modules/astro is missing (npm ci)';
  const { work, log } = options;
  const runs = options.runs ?? 3;
  const started = performance.now();
  const siteDir = path.join(work, 'browser-site');
  log('browser: assembling the site\'s exhibits …');
  const [small, large, huge] = await assembleExhibits(path.join(siteDir, 'exhibits'), [options.small, options.large, ...(options.huge ? [options.huge] : [])], work, log);
  await mkdir(path.join(siteDir, 'content'), { recursive: true });
  log('browser: astro build …');
  const buildSeconds = await astroBuild({
    TOKENSCAPE_EXHIBITS: path.join(siteDir, 'exhibits'),
    TOKENSCAPE_DIST: path.join(siteDir, 'dist'),
    TOKENSCAPE_CONTENT: path.join(siteDir, 'content'),
    BASE_PATH: BASE,
    SITE_URL: '',
  });
  log(`browser: astro build ${buildSeconds.toFixed(1)} s`);
  const peerHtml = options.peerHtml && existsSync(options.peerHtml) ? options.peerHtml : null;
  const server = await startBenchServer({ siteRoot: path.join(siteDir, 'dist'), base: BASE, files: peerHtml ? { [PEER_PATH]: peerHtml } : {} });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const nSmall = small.tokens.shown;
    const nLarge = large.tokens.shown;
    const oursUrl = `${server.origin}${BASE}/${small.id}/`;
    const peerUrl = `${server.origin}${PEER_PATH}`;

    log(`browser: page weight of ${oursUrl} …`);
    const oursWeight = await pageWeight(browser, oursUrl, nSmall);
    for (const r of oursWeight.resources) log(`  ${r.status} ${r.path}: ${r.raw} B raw, ${r.served} B served, ${r.gzip} B gzip (${r.type})`);
    let peerWeight: PageWeight | null = null;
    if (peerHtml) {
      log('browser: page weight of the Plotly HTML …');
      peerWeight = await pageWeight(browser, peerUrl, nSmall);
      for (const r of peerWeight.resources) log(`  ${r.status} ${r.path}: ${r.raw} B raw, ${r.served} B served, ${r.gzip} B gzip (${r.type})`);
    }

    const oursDraw: FirstDraw[] = [];
    const peerDraw: FirstDraw[] = [];
    for (let k = 0; k < runs; k++) {
      const o = await firstDraw(browser, oursUrl, nSmall, 'viewer');
      oursDraw.push(o);
      log(`browser: first draw, run ${k + 1}: Tokenscape ${o.drawn.toFixed(0)} ms (issued ${o.issued.toFixed(0)}, viewer's timings.firstDraw ${o.own?.toFixed(0)}, ${o.vertices} vertices)`);
      if (peerHtml) {
        const p = await firstDraw(browser, peerUrl, nSmall, 'plotly');
        peerDraw.push(p);
        log(`browser: first draw, run ${k + 1}: Plotly ${p.drawn.toFixed(0)} ms (issued ${p.issued.toFixed(0)}, newPlot resolved ${p.own?.toFixed(0) ?? '?'}, ${p.vertices} vertices)`);
      }
    }

    const orbits: (OrbitFigures | null)[] = [];
    const orbitRuns: [string, number, 'viewer' | 'plotly', string | null][] = [
      [`${BASE}/${small.id}/`, nSmall, 'viewer', 'Tokenscape'],
      [`${BASE}/${large.id}/`, nLarge, 'viewer', 'Tokenscape'],
      [PEER_PATH, nSmall, 'plotly', peerHtml],
      [`${BASE}/${large.id}/?labels=off`, nLarge, 'viewer', 'Tokenscape'],
    ];
    for (const [at, points, kind, available] of orbitRuns) {
      if (!available) {
        orbits.push(null);
        continue;
      }
      log(`browser: 3D orbit${kind === 'viewer' ? ' and hover' : ''}, ${kind === 'viewer' ? `Tokenscape${at.includes('labels=off') ? ' (labels off)' : ''}` : 'Plotly'}, ${points} points …`);
      const o = await orbit(browser, `${server.origin}${at}`, points, kind, 2000, 5);
      log(`  ${o.frames} frames, frame ${o.frameMedian.toFixed(1)} / ${o.frameP95.toFixed(1)} ms (median / p95), JS per frame ${o.jsMedian.toFixed(2)} / ${o.jsP95.toFixed(2)} ms, ${o.uploaded} B uploaded to GPU buffers (${o.uploadedAtLoad} B at load)${kind === 'viewer' ? `, hover ${o.hover.map((h) => h.toFixed(0)).join(', ')} ms` : ''}`);
      orbits.push(o);
    }
    let hugeFigures: BrowserFigures['huge'] = null;
    if (huge) {
      const url = `${server.origin}${BASE}/${huge.id}/`;
      const n = huge.tokens.shown;
      log(`browser: ${n} points: page weight, first draw, orbit and hover …`);
      const weight = await pageWeight(browser, url, n);
      const draws: FirstDraw[] = [];
      for (let k = 0; k < runs; k++) draws.push(await firstDraw(browser, url, n, 'viewer'));
      const o = await orbit(browser, url, n, 'viewer', 2000, 5);
      log(`  ${(weight.pages / 1e6).toFixed(2)} MB served, first draw ${draws.map((d) => d.drawn.toFixed(0)).join(', ')} ms, frame ${o.frameMedian.toFixed(1)} ms, hover ${o.hover.map((h) => h.toFixed(0)).join(', ')} ms`);
      hugeFigures = { points: n, weight, firstDraw: draws, orbit: o };
    }
    const published = (m: ExhibitManifest, name: string | undefined) => {
      const file = name ? path.join(siteDir, 'dist', 'exhibits', m.id, name) : null;
      return file && existsSync(file) ? statSync(file).size : null;
    };
    const perPoint = (bytes: number | null) => (bytes === null ? null : bytes / nLarge);
    const lazy = {
      neighborsPerPoint: perPoint(published(large, large.files.neighbors)),
      neighborsRawPerPoint: perPoint(large.files.neighborsBytes ?? null),
      facetsPerPoint: perPoint(published(large, large.files.facets)),
      k: large.neighbors?.k ?? null,
      firstPaintFetches: oursWeight.resources.filter((r) => LAZY_FILES.test(r.path)).map((r) => r.path),
    };
    log(`browser: lazy files of ${large.id}: neighbors.bin ${lazy.neighborsPerPoint?.toFixed(1)} B/point published (${lazy.neighborsRawPerPoint?.toFixed(1)} written, k ${lazy.k}), facets.bin ${lazy.facetsPerPoint?.toFixed(1)} B/point; fetched at first paint: ${lazy.firstPaintFetches.join(', ') || 'none'}`);
    return {
      huge: hugeFigures,
      lazy,
      points: { small: nSmall, large: nLarge },
      weight: { ours: oursWeight, peer: peerWeight, peerFileBytes: peerHtml ? (await readFile(peerHtml)).length : null },
      firstDraw: { ours: oursDraw, peer: peerHtml ? peerDraw : null },
      orbit: { small: orbits[0]!, large: orbits[1]!, peerSmall: orbits[2], largeNoLabels: orbits[3]! },
      buildSeconds,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
}

/** The table rows of the browser figures (run.ts prints them with its own). */
export function browserRows(f: BrowserFigures): BenchRow[] {
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const ratioRow = (figure: string, ours: number, peer: number | null, format: (v: number) => string, max: number | null, target: string): BenchRow => {
    const ratio = peer ? ours / peer : null;
    return {
      figure,
      ours: format(ours),
      peer: peer === null ? 'n/a' : format(peer),
      ratio: ratio === null ? 'n/a' : `${ratio < 0.1 ? ratio.toFixed(3) : ratio.toFixed(2)}×`,
      target,
      verdict: max === null || ratio === null ? '' : ratio <= max ? 'met' : 'MISSED',
    };
  };
  const { small, large, peerSmall } = f.orbit;
  const n = f.points.small.toLocaleString('en');
  const N = f.points.large.toLocaleString('en');
  const peerDrawn = f.firstDraw.peer && f.firstDraw.peer.length ? median(f.firstDraw.peer.map((d) => d.drawn)) : null;
  const jsRatio = large.jsMedian / small.jsMedian;
  const frames = (o: OrbitFigures) => `${o.frameMedian.toFixed(0)} / ${o.frameP95.toFixed(0)} ms`;
  const js = (a: OrbitFigures | null, b: OrbitFigures | null) => (a && b ? `${a.jsMedian.toFixed(2)} → ${b.jsMedian.toFixed(2)} ms` : a ? `${a.jsMedian.toFixed(2)} ms at ${n}` : 'n/a');
  return [
    ratioRow(`page weight, ${n}-point exhibit page (all responses, uncompressed)`, f.weight.ours.raw, f.weight.peer?.raw ?? f.weight.peerFileBytes, mb, 0.05, '≤ 0.05 × Plotly HTML'),
    ratioRow('  as served (gzip for text types, like GitHub Pages)', f.weight.ours.pages, f.weight.peer?.pages ?? null, mb, null, '(on the wire; no target)'),
    {
      figure: '  the same page before issue 8 (neighbours, labels, facets, tokenizer search)',
      ours: mb(f.weight.ours.raw),
      peer: `${mb(BEFORE_ISSUE_8_BYTES)} (9f4d7c9)`,
      ratio: `${(f.weight.ours.raw / BEFORE_ISSUE_8_BYTES).toFixed(3)}×`,
      target: '≤ 1.05 × before; lazy files not fetched',
      verdict: f.weight.ours.raw <= 1.05 * BEFORE_ISSUE_8_BYTES && f.lazy.firstPaintFetches.length === 0 ? 'met' : 'MISSED',
    },
    {
      figure: `neighbors.bin per point, ${N}-point exhibit (k = ${f.lazy.k ?? '?'}; fetched on first select)`,
      ours: f.lazy.neighborsPerPoint === null ? 'see the neighbours rows' : `${f.lazy.neighborsPerPoint.toFixed(1)} B gzip`,
      peer: f.lazy.neighborsRawPerPoint === null ? '' : `${f.lazy.neighborsRawPerPoint.toFixed(1)} B as written`,
      ratio: '',
      target: '(report)',
      verdict: '',
    },
    {
      figure: '  facets.bin per point (fetched when "Colour by" picks a facet)',
      ours: f.lazy.facetsPerPoint === null ? 'n/a' : `${f.lazy.facetsPerPoint.toFixed(1)} B gzip`,
      peer: '',
      ratio: '',
      target: '(report)',
      verdict: '',
    },
    ratioRow(`time to first drawn points, ${n} points (median of ${f.firstDraw.ours.length})`, median(f.firstDraw.ours.map((d) => d.drawn)), peerDrawn, ms, 0.25, '≤ 0.25 × Plotly HTML'),
    {
      figure: `3D orbit frame time, ${N} points, labels on (median / p95, SwiftShader)`,
      ours: frames(large),
      peer: 'n/a',
      ratio: '',
      target: '(report)',
      verdict: '',
    },
    {
      figure: `  the same with the token labels off (?labels=off)`,
      ours: frames(f.orbit.largeNoLabels),
      peer: 'n/a',
      ratio: `${(large.frameMedian / f.orbit.largeNoLabels.frameMedian).toFixed(2)}× with labels`,
      target: 'labels: no per-point work per frame',
      verdict: '',
    },
    {
      figure: `  the same at ${n} points`,
      ours: frames(small),
      peer: peerSmall ? frames(peerSmall) : 'n/a',
      ratio: peerSmall ? `${(small.frameMedian / peerSmall.frameMedian).toFixed(3)}×` : '',
      target: '(report)',
      verdict: '',
    },
    {
      figure: `  JS per drawn frame, ${n} → ${N} points (median)`,
      ours: js(small, large),
      peer: js(peerSmall, null),
      ratio: `${jsRatio.toFixed(2)}× for ${(f.points.large / f.points.small).toFixed(1)}× points`,
      target: 'O(1) in points: a frame sets one 4×4 uniform',
      verdict: jsRatio < 2 && large.uploaded === 0 ? 'met' : 'MISSED',
    },
    {
      figure: `  bytes uploaded to GPU buffers while orbiting, ${N} points`,
      ours: `${large.uploaded} B`,
      peer: peerSmall ? `${peerSmall.uploaded} B at ${n}` : 'n/a',
      ratio: '',
      target: '0: positions and colours stay on the GPU',
      verdict: large.uploaded === 0 ? 'met' : 'MISSED',
    },
    {
      figure: `hover → tooltip, ${N} points (median of ${large.hover.length} points)`,
      ours: large.hover.length ? ms(median(large.hover)) : 'n/a',
      peer: '',
      ratio: '',
      target: `(report; ${small.hover.length ? ms(median(small.hover)) : 'n/a'} at ${n})`,
      verdict: '',
    },
    ...(f.huge ? hugeRows(f.huge, f) : []),
  ];
}

/** The 262144-point rows, each beside the 128k figure. */
function hugeRows(h: NonNullable<BrowserFigures['huge']>, f: BrowserFigures): BenchRow[] {
  const H = h.points.toLocaleString('en');
  const N = f.points.large.toLocaleString('en');
  const row = (figure: string, ours: string, target: string): BenchRow => ({ figure, ours, peer: '', ratio: '', target, verdict: '' });
  return [
    row(`page weight at first paint, ${H}-point exhibit (as served / uncompressed)`, `${(h.weight.pages / 1e6).toFixed(2)} / ${(h.weight.raw / 1e6).toFixed(2)} MB`, '(report)'),
    row(`  time to first drawn points, ${H} points (median of ${h.firstDraw.length})`, `${median(h.firstDraw.map((d) => d.drawn)).toFixed(0)} ms`, '(report)'),
    row(`  3D orbit frame time, ${H} points (median / p95, SwiftShader)`, `${h.orbit.frameMedian.toFixed(0)} / ${h.orbit.frameP95.toFixed(0)} ms`, `(report; ${f.orbit.large.frameMedian.toFixed(0)} ms at ${N})`),
    row(`  JS per drawn frame, ${H} points (median)`, `${h.orbit.jsMedian.toFixed(2)} ms`, `(report; ${f.orbit.large.jsMedian.toFixed(2)} ms at ${N})`),
    row(`  hover → tooltip, ${H} points (median of ${h.orbit.hover.length})`, h.orbit.hover.length ? `${median(h.orbit.hover).toFixed(0)} ms` : 'n/a', `(report; ${f.orbit.large.hover.length ? median(f.orbit.large.hover).toFixed(0) : 'n/a'} ms at ${N})`),
  ];
}

/**
 * Shared pieces of the browser suite: how Chromium is launched, what the global setup provides,
 * and helpers to open pages, wait for the map, and find points on screen.
 *
 * Finding points: the viewer exposes `window.__tokenscape.screenPosition(tokenId)` (viewport CSS
 * pixels in the current view; see src/viewer/app.ts). The tests read the exhibit's points.bin
 * with the project's reader to know which tokens exist, ask for the screen positions of all of
 * them, and pick a token whose point has no neighbour within a few pixels, so hovering it can only
 * hit that token.
 */
import type { Browser, BrowserContext, ConsoleMessage, Frame, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExhibitPoints } from '../../src/artifact/format.ts';
import { GALLERY_FILE, type GalleryIndex } from '../../src/artifact/manifest.ts';
import { readExhibit } from '../../src/artifact/readExhibit.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface SiteInfo {
  /** e.g. http://127.0.0.1:41234 — the site is at `${origin}${base}/`. */
  origin: string;
  /** The same build on another origin (http://localhost:PORT). */
  otherOrigin: string;
  base: string;
  exhibitsDir: string;
  /** Exhibit prose folder the site was built with ({id}.md). */
  contentDir: string;
  distDir: string;
  wsEndpoint: string;
}

export async function readGallery(site: SiteInfo): Promise<GalleryIndex> {
  return JSON.parse(await readFile(path.join(site.exhibitsDir, GALLERY_FILE), 'utf8')) as GalleryIndex;
}

export async function readPointsOf(site: SiteInfo, id: string, file = 'points.bin'): Promise<ExhibitPoints> {
  return readExhibit(await readFile(path.join(site.exhibitsDir, id, file)));
}

/** A page that records console errors, page errors and dialogs. */
export interface WatchedPage {
  page: Page;
  errors: string[];
  dialogs: string[];
}

export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  return { page, errors, dialogs };
}

export async function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1100, height: 800 }, ...options });
}

/** Waits until the viewer has drawn its first frame (or failed); returns the state. */
export async function waitForMap(target: Page | Frame, timeout = 30_000): Promise<string> {
  const handle = await target.waitForSelector('[data-tokenscape][data-state=ready], [data-tokenscape][data-state=error]', { timeout });
  return (await handle.getAttribute('data-state')) ?? '';
}

/** Screen positions (viewport CSS px) of the given token ids in the current view. */
export async function screenPositions(target: Page | Frame, ids: number[]): Promise<({ x: number; y: number } | null)[]> {
  return target.evaluate((list) => list.map((id) => window.__tokenscape!.screenPosition(id)), ids);
}

/**
 * A token whose point is on screen with no other point within `clearance` px; `prefer` ids are
 * tried first. Returns the token id and its screen position.
 */
export async function findIsolatedPoint(
  target: Page | Frame,
  points: ExhibitPoints,
  options: { clearance?: number; prefer?: number[]; margin?: number } = {},
): Promise<{ id: number; x: number; y: number } | null> {
  const clearance = options.clearance ?? 14;
  const margin = options.margin ?? 60;
  const ids = Array.from(points.ids);
  const pos = await screenPositions(target, ids);
  const viewport = await target.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('.map-canvas:not([hidden])')!.getBoundingClientRect();
    return { left: c.left, top: c.top, right: c.right, bottom: c.bottom };
  });
  // Grid for neighbour lookups.
  const cell = clearance;
  const grid = new Map<string, number[]>();
  pos.forEach((p, i) => {
    if (!p) return;
    const key = `${Math.floor(p.x / cell)},${Math.floor(p.y / cell)}`;
    (grid.get(key) ?? grid.set(key, []).get(key)!).push(i);
  });
  const isolated = (i: number) => {
    const p = pos[i];
    if (!p) return false;
    // Keep clear of the toolbar (top) and legend (bottom-left) overlays.
    if (p.x < viewport.left + margin || p.x > viewport.right - margin || p.y < viewport.top + margin || p.y > viewport.bottom - margin * 2) return false;
    const gx = Math.floor(p.x / cell);
    const gy = Math.floor(p.y / cell);
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (const j of grid.get(`${gx + dx},${gy + dy}`) ?? []) {
          if (j === i) continue;
          const q = pos[j]!;
          if (Math.hypot(q.x - p.x, q.y - p.y) < clearance) return false;
        }
    return true;
  };
  const order = [...(options.prefer ?? []).map((id) => ids.indexOf(id)).filter((i) => i >= 0), ...ids.keys()];
  for (const i of order) if (isolated(i)) return { id: ids[i], x: pos[i]!.x, y: pos[i]!.y };
  return null;
}

/**
 * Pixels that differ from the map background in the middle of the visible map canvas (the
 * central half in each direction, clear of the toolbar and legend overlays).
 */
export async function countDrawnPixels(target: Page | Frame, background = [0x11, 0x13, 0x18]): Promise<{ drawn: number; total: number }> {
  const p: Page = 'page' in target ? target.page() : target;
  const handle = await target.waitForSelector('.map-canvas:not([hidden])');
  const box = (await handle.boundingBox())!;
  const png = await p.screenshot({
    type: 'png',
    clip: { x: box.x + box.width / 4, y: box.y + box.height / 4, width: box.width / 2, height: box.height / 2 },
  });
  // Decode via the browser (no image library in Node): draw the PNG into a 2D canvas.
  return p.evaluate(
    async ({ b64, bg }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let drawn = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 30) drawn++;
      }
      return { drawn, total: d.length / 4 };
    },
    { b64: png.toString('base64'), bg: background },
  );
}

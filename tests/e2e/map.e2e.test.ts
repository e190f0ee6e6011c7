/**
 * Reading the map in Chromium (issue 8): nearest neighbours of a selection, token labels, "Colour by"
 * with legend toggles, the tokenizer's split of a search, the tokens at the ends of each axis — on the
 * gallery the real pipeline built (tests/support/siteSetup.ts). What to expect is read from the
 * exhibit files (neighbors.bin through the project's reader, tokenizer.json through tokenizers.js in
 * Node), never written into the test.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Tokenizer } from '@huggingface/tokenizers';
import type { ExhibitPoints } from '../../src/artifact/format.ts';
import type { ExhibitManifest, GalleryIndex } from '../../src/artifact/manifest.ts';
import { readNeighbors, type ExhibitNeighbors } from '../../src/artifact/readNeighbors.ts';
import { visibleText } from '../../src/viewer/display.ts';
import { labelText } from '../../src/viewer/labelPlacement.ts';
import { neighborsOf } from '../../src/viewer/neighbors.ts';
import { newContext, readGallery, readPointsOf, waitForMap, watchedPage, type SiteInfo, type WatchedPage } from '../support/browser.ts';

const site = inject('site') as SiteInfo | null;
/** Polls long enough for software WebGL on a busy machine. */
const poll = <T>(fn: () => Promise<T> | T, message?: string) => expect.poll(fn, { timeout: 20_000, message });

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const overlap = (a: Box, b: Box) => a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;

/** Bounding rectangles and text of the labels on screen. */
async function shownLabels(page: Page): Promise<{ text: string; pinned: boolean; box: Box }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.map-labels .map-label-token')]
      .filter((el) => !el.hidden && getComputedStyle(el).visibility !== 'hidden')
      .map((el) => {
        const r = el.getBoundingClientRect();
        return { text: el.textContent ?? '', pinned: el.classList.contains('is-pinned'), box: { x: r.x, y: r.y, width: r.width, height: r.height } };
      }),
  );
}

/** The map canvas as RGB pixels (screenshot decoded in the page, sent back as base64: arrays of millions of numbers are slow). */
async function mapPixels(page: Page): Promise<{ width: number; height: number; data: Buffer }> {
  const box = (await page.locator('.map-canvas:not([hidden])').boundingBox())!;
  // Labels and overlays off the picture (through the CSSOM, which the CSP allows): only the points count.
  const bare = (on: boolean) =>
    page.evaluate((hide) => {
      for (const el of document.querySelectorAll<HTMLElement>('.map > :not(canvas)')) el.style.visibility = hide ? 'hidden' : '';
    }, on);
  await bare(true);
  const png = await page.screenshot({ clip: box });
  await bare(false);
  const decoded = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const parts: string[] = [];
    for (let i = 0; i < d.length; i += 4 * 4096) {
      let chunk = '';
      for (let j = i; j < Math.min(d.length, i + 4 * 4096); j += 4) chunk += String.fromCharCode(d[j], d[j + 1], d[j + 2]);
      parts.push(chunk);
    }
    return { width: c.width, height: c.height, rgb: btoa(parts.join('')) };
  }, png.toString('base64'));
  return { width: decoded.width, height: decoded.height, data: Buffer.from(decoded.rgb, 'base64') };
}

function differingPixels(a: { data: Buffer }, b: { data: Buffer }): number {
  let n = 0;
  for (let i = 0; i < Math.min(a.data.length, b.data.length); i += 3) {
    if (Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]) > 40) n++;
  }
  return n;
}

describe.skipIf(!site)('reading the map in Chromium', () => {
  const s = site!;
  let browser: Browser;
  let context: BrowserContext;
  let gallery: GalleryIndex;
  let corpus: ExhibitManifest;
  let points: ExhibitPoints;
  let neighbors: ExhibitNeighbors;
  const opened: WatchedPage[] = [];

  const url = (p: string) => `${s.origin}${s.base}${p}`;
  const open = async (p: string): Promise<WatchedPage> => {
    const w = await watchedPage(context);
    opened.push(w);
    await w.page.goto(url(p));
    expect(await waitForMap(w.page)).toBe('ready');
    return w;
  };
  const quoted = (t: string) => `“${visibleText(t)}”`;
  /** A frequent token with at least two neighbours on the map. */
  const pickSelection = (): number => {
    const order = [...points.counts.keys()].sort((a, b) => points.counts[b] - points.counts[a]);
    for (const i of order) if (neighborsOf(neighbors, points, i).filter((nb) => nb.index >= 0).length >= 2) return i;
    throw new Error('no token with neighbours on the map');
  };

  beforeAll(async () => {
    browser = await chromium.connect(s.wsEndpoint);
    context = await newContext(browser);
    gallery = await readGallery(s);
    corpus = gallery.exhibits.find((e) => e.id === 'llama2-commedia') ?? gallery.exhibits.find((e) => e.corpus.kind !== 'vocabulary')!;
    expect(corpus.files.neighbors, 'the pipeline wrote neighbors.bin').toBeTruthy();
    points = await readPointsOf(s, corpus.id, corpus.files.points);
    neighbors = readNeighbors(await readFile(path.join(s.exhibitsDir, corpus.id, corpus.files.neighbors!)), points.count);
  });

  // Each page keeps drawing with software WebGL; close them as tests end (their errors stay counted).
  afterEach(async () => {
    for (const w of opened) if (!w.page.isClosed()) await w.page.close();
  });

  afterAll(async () => {
    const errors = opened.flatMap((w) => w.errors);
    await context?.close();
    await browser?.close();
    expect(errors).toEqual([]);
  });

  it('selecting a token lists its neighbours (fetched on the first select only), rings them, and a click on one moves the selection', async () => {
    const w = await watchedPage(context);
    opened.push(w);
    const requested: string[] = [];
    w.page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await w.page.goto(url(`/${corpus.id}/`));
    expect(await waitForMap(w.page)).toBe('ready');
    // First paint: no neighbour, facet or tokenizer file.
    expect(requested.filter((p) => /neighbors\.bin|facets\.bin|tokenizer/.test(p))).toEqual([]);

    const i = pickSelection();
    const expected = neighborsOf(neighbors, points, i);
    const input = w.page.getByRole('combobox', { name: 'Find a token' });
    await input.fill(`#${points.ids[i]}`);
    await input.press('Enter');
    await poll(() => w.page.evaluate(() => window.__tokenscape!.selectedId())).toBe(points.ids[i]);
    const items = w.page.locator('.details-neighbors .neighbor');
    await poll(() => items.count()).toBe(expected.length);
    expect(requested.filter((p) => p.endsWith('/neighbors.bin'))).toHaveLength(1);
    for (let r = 0; r < expected.length; r++) {
      const nb = expected[r];
      const item = items.nth(r);
      await expect(item.locator('.neighbor-text').textContent()).resolves.toBe(quoted(nb.text));
      const meta = (await item.locator('.neighbor-meta').textContent()) ?? '';
      expect(meta).toContain(nb.similarity.toFixed(3));
      expect(meta).toContain(`#${nb.id}`);
      expect(meta.includes('not on this map')).toBe(nb.index < 0);
    }
    const onMap = expected.filter((nb) => nb.index >= 0);
    await poll(() => w.page.evaluate(() => window.__tokenscape!.neighborIds())).toEqual(onMap.map((nb) => nb.id));

    // Ringed in 3D: the neighbour ring colour shows around each neighbour on screen.
    await w.page.waitForTimeout(400);
    const pixels = await mapPixels(w.page);
    const canvasBox = (await w.page.locator('.map-canvas:not([hidden])').boundingBox())!;
    const ringed = async (id: number) => {
      const p = await w.page.evaluate((t) => window.__tokenscape!.screenPosition(t), id);
      if (!p) return null;
      const scale = pixels.width / canvasBox.width;
      const cx = Math.round((p.x - canvasBox.x) * scale);
      const cy = Math.round((p.y - canvasBox.y) * scale);
      const r = Math.ceil(12 * scale);
      for (let y = cy - r; y <= cy + r; y++)
        for (let x = cx - r; x <= cx + r; x++) {
          if (x < 0 || y < 0 || x >= pixels.width || y >= pixels.height) continue;
          const o = (y * pixels.width + x) * 3;
          // HIGHLIGHT.neighbor in app.ts: (1, 0.72, 0.2).
          if (pixels.data[o] > 230 && Math.abs(pixels.data[o + 1] - 184) < 30 && pixels.data[o + 2] < 90) return true;
        }
      return false;
    };
    const seen = (await Promise.all(onMap.map((nb) => ringed(nb.id)))).filter((v) => v !== null);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter(Boolean).length).toBeGreaterThanOrEqual(Math.ceil(seen.length / 2));

    // A click on a neighbour selects it and flies to it; the URL follows.
    const target = onMap[0];
    await items.nth(target.rank - 1).locator('button').click();
    await poll(() => w.page.evaluate(() => window.__tokenscape!.selectedId())).toBe(target.id);
    await poll(() => new URL(w.page.url()).searchParams.get('id')).toBe(String(target.id));
    await expect(w.page.locator('.details-text').textContent()).resolves.toBe(quoted(target.text));
    const centre = await w.page.evaluate((t) => window.__tokenscape!.screenPosition(t), target.id);
    expect(centre).not.toBeNull();
    expect(Math.abs(centre!.x - (canvasBox.x + canvasBox.width / 2))).toBeLessThan(canvasBox.width / 4);
    // Still one download of neighbors.bin.
    expect(requested.filter((p) => p.endsWith('/neighbors.bin'))).toHaveLength(1);

    // 2D: the selection and its neighbours are regl-scatterplot's selected points.
    await w.page.locator('[data-view=xy]').click();
    await poll(() => w.page.evaluate(() => window.__tokenscape!.view())).toBe('xy');
    await poll(() => w.page.evaluate(() => window.__tokenscape!.neighborIds().length)).toBeGreaterThan(0);
    const after = neighborsOf(neighbors, points, target.index).filter((nb) => nb.index >= 0);
    const onScreen: string[] = [];
    for (const nb of after) if (await w.page.evaluate((t) => window.__tokenscape!.screenPosition(t), nb.id)) onScreen.push(labelText(visibleText(nb.text)));
    expect(onScreen.length).toBeGreaterThan(0);
    // The neighbours are always labelled (pinned), in 2D as in 3D.
    await poll(async () => {
        const texts = (await shownLabels(w.page)).filter((l) => l.pinned).map((l) => l.text);
        return onScreen.filter((t) => !texts.includes(t));
      }).toEqual([]);
  });

  it('labels appear without overlapping, zooming in shows others, and the toggle (keyboard) turns them off', async () => {
    for (const e of gallery.exhibits) {
      const w = await open(`/${e.id}/`);
      await w.page.waitForTimeout(400);
      const labels = await shownLabels(w.page);
      expect(labels.length, e.id).toBeGreaterThan(Math.min(5, e.tokens.shown - 1));
      for (let a = 0; a < labels.length; a++)
        for (let b = a + 1; b < labels.length; b++) expect(overlap(labels[a].box, labels[b].box), `${e.id}: “${labels[a].text}” and “${labels[b].text}”`).toBe(false);
      if (e.tokens.shown < 1000) continue;
      const before = new Set(await w.page.evaluate(() => window.__tokenscape!.labelIds()));
      for (let k = 0; k < 4; k++) await w.page.locator('[data-action=zoom-in]').click();
      await w.page.waitForTimeout(500);
      const zoomed = await w.page.evaluate(() => window.__tokenscape!.labelIds());
      expect(zoomed.filter((id) => !before.has(id)).length, `${e.id}: zooming in labels other tokens`).toBeGreaterThan(0);
    }
    const w = await open(`/${corpus.id}/`);
    const toggle = w.page.locator('[data-action=labels]');
    await toggle.focus();
    await w.page.keyboard.press('Enter');
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    await poll(async () => (await shownLabels(w.page)).length).toBe(0);
    await poll(() => new URL(w.page.url()).searchParams.get('labels')).toBe('off');
    // Off, the selection's neighbours still get their labels.
    const i = pickSelection();
    await w.page.goto(url(`/${corpus.id}/?labels=off&id=${points.ids[i]}`));
    expect(await waitForMap(w.page)).toBe('ready');
    await poll(async () => (await shownLabels(w.page)).filter((l) => l.pinned).length).toBeGreaterThan(0);
    expect((await shownLabels(w.page)).every((l) => l.pinned)).toBe(true);
  });

  it('"Colour by" (keyboard) recolours the map, fetches facets.bin then, goes into the URL, and legend entries hide their points', async () => {
    const w = await watchedPage(context);
    opened.push(w);
    const requested: string[] = [];
    w.page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await w.page.goto(url(`/${corpus.id}/?labels=off`));
    expect(await waitForMap(w.page)).toBe('ready');
    const before = await mapPixels(w.page);
    const select = w.page.locator('select[data-action=color-by]');
    await select.focus();
    // Keyboard only: the option after "Corpus count" is a facet from facets.bin (length).
    await w.page.keyboard.press('ArrowDown');
    await poll(() => new URL(w.page.url()).searchParams.get('color')).toBe('length');
    expect(requested.filter((p) => p.endsWith('/facets.bin'))).toHaveLength(1);
    await select.selectOption('script');
    await poll(() => new URL(w.page.url()).searchParams.get('color')).toBe('script');
    await w.page.waitForTimeout(300);
    const script = await mapPixels(w.page);
    expect(differingPixels(before, script)).toBeGreaterThan(200);
    const entries = w.page.locator('.legend-category');
    expect(await entries.count()).toBeGreaterThan(0);
    // The biggest category off: its points go.
    const first = entries.first();
    await first.focus();
    await w.page.keyboard.press('Enter');
    await expect(w.page.locator('.legend-category').first().getAttribute('aria-pressed')).resolves.toBe('false');
    await poll(() => new URL(w.page.url()).searchParams.get('hide')).toBe(await w.page.locator('.legend-category').first().getAttribute('data-category'));
    await w.page.waitForTimeout(300);
    const hidden = await mapPixels(w.page);
    expect(differingPixels(script, hidden)).toBeGreaterThan(200);
    // The URL reopens the same picture.
    const reopened = await watchedPage(context);
    opened.push(reopened);
    await reopened.page.goto(w.page.url());
    expect(await waitForMap(reopened.page)).toBe('ready');
    await poll(() => reopened.page.locator('.legend-category[aria-pressed=false]').count()).toBe(1);
    await reopened.page.waitForTimeout(300);
    expect(differingPixels(hidden, await mapPixels(reopened.page))).toBeLessThan(50);
  });

  it('a word that is not one token shows how the exhibit’s tokenizer splits it, and labels its pieces on the map', async () => {
    const e = gallery.exhibits.find((x) => x.id === 'llama2-commedia' && x.files.tokenizer);
    expect(e, 'the Divine Comedy exhibit with its tokenizer').toBeDefined();
    const dir = path.join(s.exhibitsDir, e!.id);
    const tokenizer = new Tokenizer(
      JSON.parse(await readFile(path.join(dir, e!.files.tokenizer!), 'utf8')),
      JSON.parse(await readFile(path.join(dir, e!.files.tokenizerConfig!), 'utf8')),
    );
    const encoding = tokenizer.encode('mezzo', { add_special_tokens: false });
    // The example: LLaMA-2 splits it in two.
    expect(encoding.tokens).toEqual(['▁mez', 'zo']);
    const w = await open(`/${e!.id}/`);
    const input = w.page.getByRole('combobox', { name: 'Find a token' });
    await input.fill('mezzo');
    const pieces = w.page.locator('[data-tks-split] .split-piece');
    await poll(() => pieces.count()).toBe(encoding.ids.length);
    const p = await readPointsOf(s, e!.id, e!.files.points);
    for (let k = 0; k < encoding.ids.length; k++) {
      await expect(pieces.nth(k).locator('.piece-text').textContent()).resolves.toBe(encoding.tokens[k]);
      const meta = (await pieces.nth(k).locator('.piece-meta').textContent()) ?? '';
      expect(meta).toContain(`#${encoding.ids[k]}`);
      expect(meta.includes('not on this map')).toBe(!p.ids.includes(encoding.ids[k]));
    }
    await expect(w.page.locator('[data-tks-split]').textContent()).resolves.toContain('is not one token');
    // The pieces on the map are highlighted: ringed, and always labelled.
    const onMap = encoding.ids.map((id) => p.ids.indexOf(id)).filter((i) => i >= 0);
    for (const i of onMap) {
      if (!(await w.page.evaluate((t) => window.__tokenscape!.screenPosition(t), p.ids[i]))) continue;
      await poll(async () => (await shownLabels(w.page)).filter((l) => l.pinned).map((l) => l.text)).toContain(labelText(visibleText(p.texts[i])));
    }
  });

  it('text that nothing on the map matches says so', async () => {
    // The hostile exhibit's WordLevel tokenizer makes <unk> (a special token, not on the map) of an unknown word.
    const e = gallery.exhibits.find((x) => x.id === 'hostile-tokens' && x.files.tokenizer);
    expect(e, 'the hostile exhibit with its tokenizer').toBeDefined();
    const w = await open(`/${e!.id}/`);
    await w.page.getByRole('combobox', { name: 'Find a token' }).fill('qqqq');
    await poll(() => w.page.locator('[data-tks-split] .split-summary').textContent()).toMatch(/^Nothing on this map matches “qqqq”/);
    await expect(w.page.locator('[data-tks-split] .split-piece.off-map').count()).resolves.toBe(1);
  });

  it('the ends of each axis list their tokens; a click selects one', async () => {
    const w = await open(`/${corpus.id}/`);
    const rows = w.page.locator('[data-tks-axis-ends] .axis-ends-row');
    await poll(() => rows.count()).toBe(3);
    const ends = corpus.projection.axisEnds!;
    for (let a = 0; a < 3; a++) {
      const ids = await rows.nth(a).locator('.axis-end-positive .axis-token').evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.tokenId)));
      expect(ids).toEqual(ends[a].positive);
    }
    const button = rows.nth(1).locator('.axis-end-negative .axis-token').first();
    const id = Number(await button.getAttribute('data-token-id'));
    await button.click();
    await poll(() => w.page.evaluate(() => window.__tokenscape!.selectedId())).toBe(id);
    await expect(button.textContent()).resolves.toBe(visibleText(points.texts[points.ids.indexOf(id)]));
  });

  it('keyboard only: Tab reaches the neighbour list and Enter selects a neighbour', async () => {
    const i = pickSelection();
    const w = await open(`/${corpus.id}/?id=${points.ids[i]}`);
    const first = neighborsOf(neighbors, points, i).find((nb) => nb.index >= 0)!;
    const button = w.page.locator('.details-neighbors .neighbor.on-map button').first();
    await poll(() => button.count()).toBe(1);
    // Walk the focus there with Tab (at most 200 stops).
    for (let k = 0; k < 200; k++) {
      await w.page.keyboard.press('Tab');
      if (await button.evaluate((el) => el === document.activeElement)) break;
    }
    await expect(button.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await w.page.keyboard.press('Enter');
    await poll(() => w.page.evaluate(() => window.__tokenscape!.selectedId())).toBe(first.id);
  });

  it('the embed page lists and rings the neighbours of its token too', async () => {
    const i = pickSelection();
    const w = await open(`/${corpus.id}/embed/?id=${points.ids[i]}`);
    const list = w.page.locator('.map-neighbors .neighbor');
    await poll(() => list.count()).toBe(neighborsOf(neighbors, points, i).length);
    await poll(() => w.page.evaluate(() => window.__tokenscape!.neighborIds().length)).toBeGreaterThan(0);
    await w.page.locator('.map-neighbors .neighbor.on-map button').first().click();
    await poll(() => w.page.evaluate(() => window.__tokenscape!.selectedId())).not.toBe(points.ids[i]);
  });
});

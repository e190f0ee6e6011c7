/**
 * The built gallery site in headless Chromium (SwiftShader WebGL), served under /gallery/ like a
 * GitHub Pages project site. The site is built once by tests/support/siteSetup.ts from a gallery
 * the real pipeline made (tests/support/testGallery.ts); what to expect comes from gallery.json and
 * the exhibit files. Hostile token text has its own file, hostile.e2e.test.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ExhibitPoints } from '../../src/artifact/format.ts';
import type { ExhibitManifest, GalleryIndex } from '../../src/artifact/manifest.ts';
import { visibleText } from '../../src/viewer/display.ts';
import { buildSearchIndex, resolveToken } from '../../src/viewer/search.ts';
import {
  countDrawnPixels,
  findIsolatedPoint,
  newContext,
  readGallery,
  readPointsOf,
  waitForMap,
  watchedPage,
  type SiteInfo,
  type WatchedPage,
} from '../support/browser.ts';

const site = inject('site') as SiteInfo | null;
if (!site) console.warn(`[e2e] skipped: ${inject('siteSkipReason')}`);

describe.skipIf(!site)('gallery site in Chromium', () => {
  const s = site!;
  let browser: Browser;
  let context: BrowserContext;
  let gallery: GalleryIndex;
  /** The corpus exhibit (with counts) that has the most points. */
  let corpus: ExhibitManifest;
  /** The biggest exhibit (the 32 000-token vocabulary of the LLaMA-2 stand-in). */
  let large: ExhibitManifest;
  let corpusPoints: ExhibitPoints;
  const opened: WatchedPage[] = [];

  const url = (path: string, origin = s.origin) => `${origin}${s.base}${path}`;
  const open = async (path: string, ctx = context): Promise<WatchedPage> => {
    const w = await watchedPage(ctx);
    opened.push(w);
    await w.page.goto(url(path));
    return w;
  };
  /**
   * A token to search for and link to: `Switzerland` when the exhibit has it, else a plain word
   * that a `?token=` link resolves to unambiguously.
   */
  const namedToken = (points: ExhibitPoints): { index: number; text: string; id: number } => {
    const index = buildSearchIndex(points);
    const candidates = [points.texts.indexOf('Switzerland'), ...points.texts.map((t, i) => (/^[A-Za-z]{5,}$/.test(t) ? i : -1))];
    for (const i of candidates) {
      if (i >= 0 && resolveToken(index, points.texts[i]) === i) return { index: i, text: points.texts[i], id: points.ids[i] };
    }
    throw new Error('no plain-word token in the exhibit');
  };

  beforeAll(async () => {
    browser = await chromium.connect(s.wsEndpoint);
    context = await newContext(browser);
    gallery = await readGallery(s);
    const withCounts = gallery.exhibits.filter((e) => e.corpus.kind !== 'vocabulary');
    corpus = [...withCounts].sort((a, b) => b.tokens.shown - a.tokens.shown)[0] ?? gallery.exhibits[0];
    large = [...gallery.exhibits].sort((a, b) => b.tokens.shown - a.tokens.shown)[0];
    corpusPoints = await readPointsOf(s, corpus.id, corpus.files.points);
  });

  afterAll(async () => {
    // No page the suite opened logged an error or raised a dialog.
    const errors = opened.flatMap((w) => w.errors);
    await context?.close();
    await browser?.close();
    expect(errors).toEqual([]);
  });

  it('index lists every exhibit, with a preview image that loads', async () => {
    const { page, errors } = await open('/');
    const cards = page.locator('.card');
    await expect(cards.count()).resolves.toBe(gallery.exhibits.length);
    for (const [k, e] of gallery.exhibits.entries()) {
      const card = cards.nth(k);
      await expect(card.locator('.card-title').textContent()).resolves.toBe(e.title);
      const text = (await card.textContent()) ?? '';
      expect(text).toContain(e.model.id);
      expect(text).toContain(e.corpus.label);
      await expect(card.locator('[data-tokens-shown]').getAttribute('data-tokens-shown')).resolves.toBe(String(e.tokens.shown));
      await expect(card.locator('a.card-link').getAttribute('href')).resolves.toBe(`${s.base}/${e.id}/`);
      const img = card.locator('img.card-preview');
      await img.scrollIntoViewIfNeeded();
      await expect
        .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 10_000 })
        .toBeGreaterThan(0);
    }
    const res = await page.request.get(url(`/${gallery.exhibits[0].id}/preview.png`));
    expect(res.headers()['content-type']).toBe('image/png');
    expect((await res.body()).subarray(1, 4).toString()).toBe('PNG');
    expect(errors).toEqual([]);
  });

  it('shows the author markdown: gallery and exhibit descriptions, and content/{id}.md prose', async () => {
    const plain = (md: string) => md.replace(/[*_#`]/g, '').replace(/\s+/g, ' ').trim();
    const squash = (t: string | null) => (t ?? '').replace(/\s+/g, ' ').trim();
    const { page } = await open('/');
    const galleryDescription = (gallery as GalleryIndex & { description?: string }).description;
    if (galleryDescription) expect(squash(await page.locator('.site-header .description').textContent())).toContain(plain(galleryDescription));
    for (const e of gallery.exhibits) {
      await page.goto(url(`/${e.id}/`));
      const d = (e as ExhibitManifest & { description?: string }).description;
      if (d) expect(squash(await page.locator('.exhibit-header .description').textContent())).toContain(plain(d));
      else await expect(page.locator('.exhibit-header .description').count()).resolves.toBe(0);
      const prose = await readFile(path.join(s.contentDir, `${e.id}.md`), 'utf8').catch(() => null);
      if (prose) {
        const html = await page.locator('[data-tks-prose]').innerHTML();
        expect(html).toMatch(/<h2[^>]*>Reading this map<\/h2>/);
        expect(html).toContain('<strong>embeddings</strong>');
      } else await expect(page.locator('[data-tks-prose]').count()).resolves.toBe(0);
    }
  });

  it('every link, script, stylesheet and data URL stays under the base path', async () => {
    const { page } = await open(`/${corpus.id}/`);
    await waitForMap(page);
    const refs = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('[href], [src], [data-points-url]')]
        .map((el) => el.getAttribute('href') ?? el.getAttribute('src') ?? el.getAttribute('data-points-url') ?? '')
        .filter((v) => v.startsWith('/')),
    );
    expect(refs.length).toBeGreaterThan(3);
    for (const r of refs) expect(r.startsWith(`${s.base}/`), r).toBe(true);
    // The published data files are where the page fetches them.
    for (const f of [corpus.files.points, corpus.files.csv, 'manifest.json']) {
      expect((await page.request.get(url(`/exhibits/${corpus.id}/${f}`))).status(), f).toBe(200);
    }
    await expect(page.locator('meta[http-equiv="Content-Security-Policy"]').count()).resolves.toBe(1);
  });

  it('the exhibit page draws the points and shows what the map is', async () => {
    const { page } = await open(`/${corpus.id}/`);
    await expect(waitForMap(page)).resolves.toBe('ready');
    const { drawn, total } = await countDrawnPixels(page);
    expect(drawn).toBeGreaterThan(200);
    expect(drawn).toBeLessThan(total);
    const about = (await page.locator('.facts').textContent()) ?? '';
    expect(about).toContain(corpus.model.id);
    if (corpus.model.commit) expect(about).toContain(corpus.model.commit.slice(0, 10));
    expect(about).toContain(corpus.corpus.label);
    for (const v of corpus.projection.explainedVarianceRatio) expect(about).toContain(`${(v * 100).toFixed(v < 0.01 ? 2 : 1)}%`);
    // Which matrix: the LLaMA-2 stand-in's input embedding, untied from its lm_head.
    expect(corpus.model).toMatchObject({ tensorRole: 'input', tied: false });
    expect(about).toContain('the input embedding');
    expect(about).not.toContain('tied');
    await expect(page.locator(`a[href$="/exhibits/${corpus.id}/${corpus.files.csv}"]`).count()).resolves.toBe(1);
    await expect(page.locator('.legend-title').textContent()).resolves.toContain(String(corpus.color.clip));
  });

  async function expectHoverShows(page: Page, points: ExhibitPoints) {
    const target = await findIsolatedPoint(page, points);
    expect(target, 'an isolated point on screen').not.toBeNull();
    const { id, x, y } = target!;
    const i = Array.from(points.ids).indexOf(id);
    await page.mouse.move(x - 30, y - 30);
    await page.mouse.move(x, y, { steps: 3 });
    const tooltip = page.locator('.map-tooltip');
    await expect.poll(() => tooltip.isVisible(), { timeout: 10_000 }).toBe(true);
    const text = (await tooltip.textContent()) ?? '';
    expect(text).toContain(visibleText(points.texts[i]));
    expect(text).toContain(`id ${id}`);
    await expect(page.evaluate(() => window.__tokenscape!.hoveredId())).resolves.toBe(id);
    return id;
  }

  it('hovering a point shows its token in the 3D view and in a 2D view', async () => {
    const { page } = await open(`/${corpus.id}/`);
    await waitForMap(page);
    await expectHoverShows(page, corpusPoints);
    await page.locator('[data-view=xy]').click();
    // The 2D view's library loads on this first switch (software WebGL, a shared machine: seconds).
    await expect.poll(() => page.evaluate(() => window.__tokenscape!.view()), { timeout: 20_000 }).toBe('xy');
    await page.waitForFunction(() => !document.querySelector('.map-2d')!.hasAttribute('hidden'));
    await expect.poll(async () => (await countDrawnPixels(page)).drawn).toBeGreaterThan(200);
    await expectHoverShows(page, corpusPoints);
  });

  it('search finds a token (keyboard only), selects it, and the URL state round-trips', async () => {
    const { page } = await open(`/${corpus.id}/`);
    await waitForMap(page);
    const named = namedToken(corpusPoints);
    const target = named.index;
    const wanted = named.text;
    const input = page.getByRole('combobox', { name: 'Find a token' });
    await input.focus();
    await page.keyboard.type(wanted);
    const listbox = page.getByRole('listbox');
    await expect.poll(() => listbox.isVisible()).toBe(true);
    const first = listbox.getByRole('option').first();
    // The list follows the typing (debounced); wait for the full query's results.
    await expect.poll(() => first.textContent()).toContain(wanted);
    await page.keyboard.press('ArrowDown');
    await expect(input.getAttribute('aria-activedescendant')).resolves.toBe(await first.getAttribute('id'));
    await page.keyboard.press('Enter');
    const id = corpusPoints.ids[target];
    await expect.poll(() => page.evaluate(() => window.__tokenscape!.selectedId())).toBe(id);
    await expect(page.locator('[data-tks-details]').textContent()).resolves.toContain(wanted);
    await expect(page.locator('.map-label').textContent()).resolves.toContain(wanted);

    // Change view and camera, then reload the URL: same token, view and camera.
    await page.locator('[data-view=xz]').click();
    await expect.poll(() => page.evaluate(() => window.__tokenscape!.view())).toBe('xz');
    // The URL follows within a moment (debounced): view=xz and a 2D camera (x,y,distance).
    const urlView = () => {
      const p = new URL(page.url()).searchParams;
      return { view: p.get('view'), cam: p.get('cam') };
    };
    await expect.poll(() => urlView().view).toBe('xz');
    await page.waitForTimeout(400);
    const camBefore = urlView().cam;
    await page.locator('[data-action=zoom-in]').click();
    await expect.poll(() => urlView().cam).not.toBe(camBefore);
    expect(urlView().cam?.split(',')).toHaveLength(3);
    const shared = page.url();
    const params = new URL(shared).searchParams;
    expect(params.get('id')).toBe(String(id));
    expect(params.get('view')).toBe('xz');
    const before = await page.evaluate((i) => window.__tokenscape!.screenPosition(i), id);

    const again = await open('/');
    await again.page.goto(shared);
    await waitForMap(again.page);
    await expect.poll(() => again.page.evaluate(() => window.__tokenscape!.view())).toBe('xz');
    await expect(again.page.evaluate(() => window.__tokenscape!.selectedId())).resolves.toBe(id);
    await expect(again.page.locator('[data-view=xz]').getAttribute('aria-pressed')).resolves.toBe('true');
    const after = await again.page.evaluate((i) => window.__tokenscape!.screenPosition(i), id);
    expect(after).not.toBeNull();
    expect(Math.abs(after!.x - before!.x)).toBeLessThan(3);
    expect(Math.abs(after!.y - before!.y)).toBeLessThan(3);
    expect(again.page.url()).toBe(shared);
  });

  it('a hand-written ?token= link selects the token; a 3D camera round-trips', async () => {
    const { text: token, id: expected } = namedToken(corpusPoints);
    const { page } = await open(`/${corpus.id}/?token=${encodeURIComponent(token)}&cam=30,20,2.5,0.1,0,0`);
    await waitForMap(page);
    await expect(page.evaluate(() => window.__tokenscape!.selectedId())).resolves.toBe(expected);
    // Rotate by dragging, then the URL's camera reproduces the same projection after a reload.
    const box = (await page.locator('canvas.map-3d').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 20, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get('cam')).not.toBe('30,20,2.5,0.1,0,0');
    await page.waitForTimeout(300);
    const shared = page.url();
    const before = await page.evaluate((id) => window.__tokenscape!.screenPosition(id), expected);
    await page.goto(shared);
    await waitForMap(page);
    const after = await page.evaluate((id) => window.__tokenscape!.screenPosition(id), expected);
    expect(before && after).toBeTruthy();
    expect(Math.abs(after!.x - before!.x)).toBeLessThan(2);
    expect(Math.abs(after!.y - before!.y)).toBeLessThan(2);
  });

  it('the embed page works inside a cross-origin iframe and fills it without scrollbars', async () => {
    const { text: token, id: expected } = namedToken(corpusPoints);
    const src = `${url(`/${corpus.id}/embed/`, s.otherOrigin)}?token=${encodeURIComponent(token)}&view=xy`;
    const embedResponse = await context.request.get(src);
    expect(embedResponse.headers()['x-frame-options']).toBeUndefined();
    const w = await watchedPage(context);
    opened.push(w);
    await w.page.goto(`${s.origin}/embed-host.html?src=${encodeURIComponent(src)}`);
    const frame = await (await w.page.waitForSelector('iframe')).contentFrame();
    expect(frame).not.toBeNull();
    // The element can exist before its frame has navigated (its URL is empty until then).
    await frame!.waitForURL(/\/embed\//);
    expect(new URL(frame!.url()).origin).not.toBe(new URL(w.page.url()).origin);
    // Cross-origin: the host page cannot reach into the frame.
    await expect(w.page.evaluate(() => {
      try {
        return Boolean(document.querySelector('iframe')!.contentWindow!.document);
      } catch {
        return 'blocked';
      }
    })).resolves.toBe('blocked');
    await expect(waitForMap(frame!)).resolves.toBe('ready');
    await expect.poll(() => frame!.evaluate(() => window.__tokenscape!.view())).toBe('xy');
    await expect(frame!.evaluate(() => window.__tokenscape!.selectedId())).resolves.toBe(expected);
    await expect(frame!.locator('.map-label').textContent()).resolves.toContain(token);
    await expect.poll(async () => (await countDrawnPixels(frame!)).drawn).toBeGreaterThan(100);
    const fit = await frame!.evaluate(() => {
      const e = document.scrollingElement!;
      const map = document.querySelector('.map')!.getBoundingClientRect();
      return { sw: e.scrollWidth, cw: e.clientWidth, sh: e.scrollHeight, ch: e.clientHeight, mapH: map.height, innerH: window.innerHeight };
    });
    expect(fit.sw).toBeLessThanOrEqual(fit.cw);
    expect(fit.sh).toBeLessThanOrEqual(fit.ch);
    expect(Math.abs(fit.mapH - fit.innerH)).toBeLessThan(2);
    const attribution = frame!.locator('a.map-attribution');
    await expect(attribution.getAttribute('href')).resolves.toBe(`${s.base}/${corpus.id}/`);
    await expect(attribution.getAttribute('target')).resolves.toBe('_blank');
  });

  it('"Copy embed code" gives an absolute iframe snippet', async () => {
    const { page } = await open(`/${corpus.id}/`);
    await waitForMap(page);
    await page.getByRole('button', { name: 'Copy embed code' }).click();
    const code = await page.locator('[data-tks-embed-text]').inputValue();
    expect(code).toMatch(
      new RegExp(`^<iframe src="${url(`/${corpus.id}/embed/`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" width="100%" height="600" loading="lazy" title="[^"]+"></iframe>$`),
    );
  });

  it(`the ${'large'} exhibit transfers well under 1 MB in total, and draws`, async () => {
    const ctx = await newContext(browser);
    const w = await watchedPage(ctx);
    opened.push(w);
    const responses: Promise<number>[] = [];
    const perType: Record<string, number> = {};
    w.page.on('requestfinished', (req) => {
      responses.push(
        req.sizes().then((sz) => {
          const bytes = sz.responseBodySize + sz.responseHeadersSize;
          perType[req.resourceType()] = (perType[req.resourceType()] ?? 0) + bytes;
          return bytes;
        }),
      );
    });
    const started = Date.now();
    await w.page.goto(url(`/${large.id}/`));
    await expect(waitForMap(w.page)).resolves.toBe('ready');
    const readyMs = Date.now() - started;
    await w.page.waitForLoadState('networkidle');
    const total = (await Promise.all(responses)).reduce((a, b) => a + b, 0);
    const timings = await w.page.evaluate(() => window.__tokenscape!.timings);
    console.log(
      `[e2e] ${large.id} (${large.tokens.shown} points): ${total} bytes transferred ${JSON.stringify(perType)}; ` +
        `ready ${readyMs} ms after navigation; data loaded ${Math.round(timings.dataLoaded! - timings.start)} ms and first draw ` +
        `${Math.round(timings.firstDraw! - timings.start)} ms after the viewer started`,
    );
    expect(total).toBeLessThan(800_000);
    expect((await countDrawnPixels(w.page)).drawn).toBeGreaterThan(1000);
    await ctx.close();
  });

  it('a truncated, corrupted or missing data file gives a clear message, not a blank page or an exception', async () => {
    const ctx = await newContext(browser);
    const pointsUrl = `**/exhibits/${corpus.id}/${corpus.files.points}`;
    const original = await readFile(path.join(s.exhibitsDir, corpus.id, corpus.files.points));
    const damaged: { name: string; page: string; body?: Buffer; status?: number; message: RegExp }[] = [
      { name: 'truncated to half', page: `/${corpus.id}/`, body: original.subarray(0, original.length >> 1), message: /damaged|truncated/i },
      { name: 'cut inside the header', page: `/${corpus.id}/embed/`, body: original.subarray(0, 20), message: /damaged|truncated/i },
      { name: 'empty', page: `/${corpus.id}/`, body: Buffer.alloc(0), message: /damaged|truncated|empty/i },
      {
        name: 'one byte flipped',
        page: `/${corpus.id}/`,
        body: (() => {
          const b = Buffer.from(original);
          b[b.length - 10] ^= 0xff; // the checksum catches it
          return b;
        })(),
        message: /damaged/i,
      },
      { name: 'an HTML error page instead', page: `/${corpus.id}/`, body: Buffer.from('<!doctype html><title>502</title>Bad gateway'), message: /damaged|not a|format/i },
      { name: 'missing (404)', page: `/${corpus.id}/embed/`, status: 404, message: /could not be downloaded.*404/i },
    ];
    for (const d of damaged) {
      const w = await watchedPage(ctx);
      await w.page.route(pointsUrl, (route) =>
        route.fulfill({ status: d.status ?? 200, contentType: 'application/octet-stream', body: d.body ?? Buffer.from('not found') }),
      );
      await w.page.goto(url(d.page));
      await expect(waitForMap(w.page), d.name).resolves.toBe('error');
      const status = w.page.locator('.map-status');
      await expect(status.isVisible(), d.name).resolves.toBe(true);
      const message = (await status.textContent()) ?? '';
      expect(message, d.name).toMatch(d.message);
      expect(message.length, d.name).toBeGreaterThan(20);
      await expect(w.page.locator('canvas.map-3d').isVisible(), d.name).resolves.toBe(false);
      // No uncaught exception, and the rest of the page is there.
      expect(w.errors.filter((e) => e.startsWith('pageerror')), d.name).toEqual([]);
      await expect(w.page.locator('.map-toolbar button').first().isDisabled(), d.name).resolves.toBe(true);
      if (d.page.endsWith('/embed/')) await expect(w.page.locator('a.map-attribution').isVisible()).resolves.toBe(true);
      else await expect(w.page.locator('h1').textContent()).resolves.toBe(corpus.title);
      await w.page.close();
    }
    await ctx.close();
  });

  it('without WebGL the page says so', async () => {
    const ctx = await newContext(browser);
    await ctx.addInitScript(() => {
      const original = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, type: string, ...rest: unknown[]) {
        if (/webgl/i.test(type)) return null;
        return (original as (...a: unknown[]) => unknown).call(this, type, ...rest);
      } as typeof original;
    });
    const w = await watchedPage(ctx);
    opened.push(w);
    await w.page.goto(url(`/${corpus.id}/`));
    await expect(waitForMap(w.page)).resolves.toBe('error');
    await expect(w.page.locator('.map-status').textContent()).resolves.toMatch(/WebGL is not available/);
    await ctx.close();
  });

  it('is usable on a narrow phone screen and in dark mode', async () => {
    const ctx = await newContext(browser, { viewport: { width: 360, height: 740 }, colorScheme: 'dark', hasTouch: true, isMobile: true });
    const w = await watchedPage(ctx);
    opened.push(w);
    await w.page.goto(url(`/${corpus.id}/`));
    await expect(waitForMap(w.page)).resolves.toBe('ready');
    const layout = await w.page.evaluate(() => {
      const e = document.scrollingElement!;
      const map = document.querySelector('.map')!.getBoundingClientRect();
      const bg = getComputedStyle(document.body).backgroundColor;
      const fg = getComputedStyle(document.body).color;
      return { sw: e.scrollWidth, cw: e.clientWidth, mapW: map.width, bg, fg };
    });
    expect(layout.sw).toBeLessThanOrEqual(layout.cw);
    expect(layout.mapW).toBeGreaterThan(300);
    const lum = (rgb: string) => {
      const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    expect(lum(layout.bg)).toBeLessThan(60);
    expect(lum(layout.fg)).toBeGreaterThan(180);
    expect((await countDrawnPixels(w.page)).drawn).toBeGreaterThan(100);
    // Every control has an accessible name.
    const unnamed = await w.page.evaluate(() =>
      [...document.querySelectorAll('button, input, [role=combobox]')].filter((el) => {
        const label = el.getAttribute('aria-label') || el.textContent?.trim() || (el as HTMLInputElement).labels?.[0]?.textContent?.trim();
        return !label;
      }).length,
    );
    expect(unnamed).toBe(0);
    await ctx.close();
  });
});

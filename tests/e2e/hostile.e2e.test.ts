/**
 * Hostile token text in the browser. The test gallery's `hostile-tokens` exhibit was built by the
 * real pipeline from a local model whose vocabulary holds script payloads, markup, a bidi override,
 * control characters, a zero-width joiner and a 400-character token (tests/support/testGallery.ts).
 * Every payload token is hovered, searched and selected; the tooltip, the search list, the pinned
 * label and the details panel must show its text literally (invisible characters made visible as
 * `visibleText` does), and nothing may run: no dialog, no `window.__pwned` sentinel, no element
 * made from token text. The page's Content-Security-Policy would stop inline handlers anyway, so
 * these checks run with CSP bypassed, where an injection would actually execute (a positive
 * control shows that it would be caught); a second check shows the CSP blocking one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ExhibitPoints } from '../../src/artifact/format.ts';
import type { ExhibitManifest } from '../../src/artifact/manifest.ts';
import { formatCount, visibleText } from '../../src/viewer/display.ts';
import { normalizePositions } from '../../src/viewer/data.ts';
import { readNeighbors } from '../../src/artifact/readNeighbors.ts';
import { labelText } from '../../src/viewer/labelPlacement.ts';
import { neighborsOf } from '../../src/viewer/neighbors.ts';
import { parseCsv } from '../support/hostileFiles.ts';
import { findIsolatedPoint, newContext, readGallery, readPointsOf, waitForMap, watchedPage, type SiteInfo, type WatchedPage } from '../support/browser.ts';
import { HOSTILE_EXHIBIT_DESCRIPTION, HOSTILE_EXHIBIT_ID, HOSTILE_EXHIBIT_TITLE, HOSTILE_TOKENS } from '../support/testGallery.ts';

const site = inject('site') as SiteInfo | null;

declare global {
  interface Window {
    __pwned?: unknown;
    __injected?: string[];
  }
}

/**
 * Installed before any page script: records every element added to the document after it has
 * been parsed that could run or load something (script, img, svg, iframe, object, embed, a
 * `javascript:` link) or that carries an `on…` handler attribute.
 */
function watchForInjection() {
  const found: string[] = [];
  window.__injected = found;
  const risky = new Set(['SCRIPT', 'IMG', 'SVG', 'IFRAME', 'OBJECT', 'EMBED', 'IMAGE', 'VIDEO', 'AUDIO', 'FORM', 'BASE', 'META', 'LINK', 'STYLE']);
  const check = (el: Element) => {
    const handlers = [...el.attributes].filter((a) => /^on/i.test(a.name));
    const url = el.getAttribute('href') ?? el.getAttribute('src') ?? el.getAttribute('xlink:href') ?? '';
    if (risky.has(el.tagName.toUpperCase()) || handlers.length > 0 || /^\s*javascript:/i.test(url)) found.push(el.outerHTML.slice(0, 200));
  };
  const start = () =>
    new MutationObserver((records) => {
      for (const r of records) {
        for (const node of r.addedNodes) {
          if (node.nodeType !== 1) continue;
          check(node as Element);
          (node as Element).querySelectorAll('*').forEach(check);
        }
        if (r.type === 'attributes' && r.attributeName && /^on/i.test(r.attributeName)) check(r.target as Element);
      }
    }).observe(document, { childList: true, subtree: true, attributes: true });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}

describe.skipIf(!site)('hostile token text in Chromium', () => {
  const s = site!;
  let browser: Browser;
  /** CSP bypassed, injection watcher installed. */
  let context: BrowserContext;
  let exhibit: ExhibitManifest;
  let points: ExhibitPoints;
  const opened: WatchedPage[] = [];

  const url = (p: string) => `${s.origin}${s.base}${p}`;
  const quoted = (t: string) => `“${visibleText(t)}”`;
  const open = async (p: string): Promise<WatchedPage> => {
    const w = await watchedPage(context);
    opened.push(w);
    await w.page.goto(url(p));
    return w;
  };
  /** Nothing ran and nothing was injected on this page so far. */
  const expectClean = async (w: WatchedPage, what: string) => {
    const state = await w.page.evaluate(() => ({ pwned: window.__pwned ?? null, injected: window.__injected ?? null }));
    expect(state, what).toEqual({ pwned: null, injected: [] });
    expect(w.dialogs, what).toEqual([]);
  };
  const indexOfText = (t: string) => points.texts.indexOf(t);

  beforeAll(async () => {
    browser = await chromium.connect(s.wsEndpoint);
    context = await newContext(browser, { bypassCSP: true });
    await context.addInitScript(watchForInjection);
    const gallery = await readGallery(s);
    const found = gallery.exhibits.find((e) => e.id === HOSTILE_EXHIBIT_ID);
    expect(found, `the test gallery has the ${HOSTILE_EXHIBIT_ID} exhibit`).toBeDefined();
    exhibit = found!;
    points = await readPointsOf(s, exhibit.id, exhibit.files.points);
  });

  afterAll(async () => {
    const errors = opened.flatMap((w) => w.errors);
    const dialogs = opened.flatMap((w) => w.dialogs);
    await context?.close();
    await browser?.close();
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it('the pipeline kept every payload token whole, with its corpus count', () => {
    expect(exhibit.corpus.kind).toBe('file');
    expect(exhibit.title).toBe(HOSTILE_EXHIBIT_TITLE);
    for (const t of HOSTILE_TOKENS) {
      const i = indexOfText(t.text);
      expect(i, t.name).toBeGreaterThanOrEqual(0);
      expect(points.pieces[i], t.name).toBe(t.text);
      expect(points.counts[i], t.name).toBe(t.occurrences);
    }
  });

  it('the watchers catch an injection when the CSP is bypassed (positive control)', async () => {
    const page = await context.newPage();
    await page.goto(url(`/${exhibit.id}/`));
    await waitForMap(page);
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=window.__pwned=1>'));
    await expect.poll(() => page.evaluate(() => window.__pwned ?? null)).toBe(1);
    await expect(page.evaluate(() => window.__injected!.length)).resolves.toBeGreaterThan(0);
    await page.close();
  });

  it('with its CSP, the page would not run an inline handler even if markup got in', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(url(`/${exhibit.id}/`));
    await waitForMap(page);
    const result = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=window.__pwned=1>');
      await new Promise((r) => setTimeout(r, 500));
      return { pwned: window.__pwned ?? null, violations };
    });
    expect(result.pwned).toBeNull();
    expect(result.violations.join(' ')).toMatch(/script-src/);
    await ctx.close();
  });

  it('titles and descriptions with markup are text on the index and exhibit pages', async () => {
    const w = await open('/');
    const card = w.page.locator('.card', { has: w.page.locator(`a.card-link[href="${s.base}/${exhibit.id}/"]`) });
    await expect(card.locator('.card-title').textContent()).resolves.toBe(HOSTILE_EXHIBIT_TITLE);
    await w.page.goto(url(`/${exhibit.id}/`));
    await waitForMap(w.page);
    await expect(w.page.locator('h1').textContent()).resolves.toBe(HOSTILE_EXHIBIT_TITLE);
    await expect(w.page.title()).resolves.toContain(HOSTILE_EXHIBIT_TITLE);
    await expect(w.page.locator('.exhibit-header .description em').textContent()).resolves.toBe('script payloads');
    expect((await w.page.locator('.exhibit-header .description').textContent())?.replace(/\s+/g, ' ').trim()).toBe(HOSTILE_EXHIBIT_DESCRIPTION.replaceAll('*', ''));
    // The embed code's title attribute holds the title, escaped: parsed back, one iframe with it.
    await w.page.getByRole('button', { name: 'Copy embed code' }).click();
    const code = await w.page.locator('[data-tks-embed-text]').inputValue();
    const parsed = await w.page.evaluate((html) => {
      const doc = new DOMParser().parseFromString(html, 'text/html');
      const frames = doc.body.querySelectorAll('iframe');
      return {
        count: doc.body.children.length,
        frames: frames.length,
        title: frames[0]?.getAttribute('title'),
        attributes: frames[0] ? [...frames[0].attributes].map((a) => a.name) : [],
      };
    }, code);
    expect(parsed).toEqual({
      count: 1,
      frames: 1,
      title: `${HOSTILE_EXHIBIT_TITLE} (Tokenscape)`,
      attributes: ['src', 'width', 'height', 'loading', 'title'],
    });
    await expectClean(w, 'index and exhibit page');
  });

  /**
   * A camera (`cam=` link parameter) looking at token `i` from close by, so that its neighbours
   * spread out around it, from the direction `yaw` (degrees).
   */
  const closeUp = (i: number, yaw: number) => {
    const norm = normalizePositions(points.positions, points.min, points.max);
    const p = Array.from(norm.positions.subarray(i * 3, i * 3 + 3), (v) => v.toFixed(4));
    return `${yaw},25,0.35,${p.join(',')}`;
  };

  async function hoverToken(page: Page, i: number, name: string): Promise<void> {
    const id = points.ids[i];
    let spot: { x: number; y: number } | null = null;
    for (const yaw of [-40, 50, 140, 230, 320]) {
      await page.goto(url(`/${exhibit.id}/?cam=${closeUp(i, yaw)}`));
      await expect(waitForMap(page)).resolves.toBe('ready');
      const found = await findIsolatedPoint(page, points, { prefer: [id], clearance: 16 });
      if (found?.id === id) {
        spot = found;
        break;
      }
    }
    expect(spot, `${name}: on screen with no other point close by`).not.toBeNull();
    await page.mouse.move(spot!.x - 40, spot!.y - 40);
    await page.mouse.move(spot!.x, spot!.y, { steps: 3 });
    await expect.poll(() => page.evaluate(() => window.__tokenscape!.hoveredId()), { timeout: 10_000 }).toBe(id);
    const tooltip = page.locator('.map-tooltip');
    await expect(tooltip.isVisible(), name).resolves.toBe(true);
    await expect(tooltip.locator('.tt-text').textContent(), name).resolves.toBe(quoted(points.texts[i]));
    await expect(tooltip.locator('.tt-piece').textContent(), name).resolves.toBe(visibleText(points.pieces[i]));
    const meta = (await tooltip.textContent()) ?? '';
    expect(meta, name).toContain(`id ${id}`);
    expect(meta, name).toContain(`${formatCount(points.counts[i])} in corpus`);
    // Away from the map again: the tooltip goes.
    await page.mouse.move(2, 2);
    await expect.poll(() => page.evaluate(() => window.__tokenscape!.hoveredId())).toBeNull();
  }

  async function searchAndSelect(page: Page, i: number, name: string): Promise<void> {
    const id = points.ids[i];
    const text = points.texts[i];
    const input = page.getByRole('combobox', { name: 'Find a token' });
    await input.fill(text);
    const first = page.getByRole('listbox').getByRole('option').first();
    await expect.poll(() => first.locator('.opt-text').textContent(), { message: name }).toBe(quoted(text));
    await expect(first.getAttribute('data-index')).resolves.toBe(String(i));
    await expect(first.locator('.opt-meta').textContent()).resolves.toBe(`#${id} · ${formatCount(points.counts[i])}`);
    await input.press('Enter');
    await expect.poll(() => page.evaluate(() => window.__tokenscape!.selectedId())).toBe(id);
    await expect(page.locator('.details-text').textContent(), name).resolves.toBe(quoted(text));
    await expect(page.locator('[data-tks-details] dd code').first().textContent(), name).resolves.toBe(visibleText(points.pieces[i]));
    await expect(page.locator('.map-label .label-text').textContent(), name).resolves.toBe(quoted(text));
    await expect.poll(() => new URL(page.url()).searchParams.get('id'), { message: name }).toBe(String(id));
    // Long or odd text does not push the page sideways.
    const overflow = await page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth);
    expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
  }

  it('every payload token shows literally when hovered, searched for and selected, and nothing runs', async () => {
    const w = await watchedPage(context);
    opened.push(w);
    for (const t of HOSTILE_TOKENS) {
      const i = indexOfText(t.text);
      expect(i, t.name).toBeGreaterThanOrEqual(0);
      const shown = visibleText(t.text);
      // Control, bidi and zero-width characters are made visible, not passed through.
      expect(shown, t.name).not.toMatch(/[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
      await hoverToken(w.page, i, t.name);
      await searchAndSelect(w.page, i, t.name);
      await expectClean(w, t.name);
    }
    expect(w.errors).toEqual([]);
  });

  it('a ?token= link with a payload selects it on the embed page and shows it literally', async () => {
    const w = await watchedPage(context);
    opened.push(w);
    for (const t of HOSTILE_TOKENS.filter((h) => /[<>"'{$]/.test(h.text))) {
      await w.page.goto(`${url(`/${exhibit.id}/embed/`)}?token=${encodeURIComponent(t.text)}`);
      await expect(waitForMap(w.page)).resolves.toBe('ready');
      await expect(w.page.evaluate(() => window.__tokenscape!.selectedId()), t.name).resolves.toBe(points.ids[indexOfText(t.text)]);
      await expect(w.page.locator('.map-label .label-text').textContent(), t.name).resolves.toBe(quoted(t.text));
      await expectClean(w, t.name);
    }
  });

  it('payload tokens stay text in the map labels, the neighbour lists and the axis ends, and nothing runs', async () => {
    expect(exhibit.files.neighbors, 'the pipeline wrote neighbors.bin').toBeTruthy();
    const neighbors = readNeighbors(await readFile(path.join(s.exhibitsDir, exhibit.id, exhibit.files.neighbors!)), points.count);
    const w = await watchedPage(context);
    opened.push(w);
    const labelsAreLiteral = async (what: string) => {
      const shown = await w.page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('.map-labels .map-label-token')].map((el) => ({ index: Number(el.dataset.index), text: el.textContent, children: el.children.length })),
      );
      expect(shown.length, what).toBeGreaterThan(0);
      for (const l of shown) expect(l, what).toEqual({ index: l.index, text: labelText(visibleText(points.texts[l.index])), children: 0 });
      return shown;
    };
    await w.page.goto(url(`/${exhibit.id}/`));
    await expect(waitForMap(w.page)).resolves.toBe('ready');
    await w.page.waitForTimeout(300);
    const labelled = await labelsAreLiteral('labels');
    // Payloads are among the labelled tokens (the corpus uses them; the exhibit is small).
    expect(labelled.filter((l) => HOSTILE_TOKENS.some((t) => t.text === points.texts[l.index])).length).toBeGreaterThan(0);
    for (const b of await w.page.locator('[data-tks-axis-ends] .axis-token').all()) {
      const id = Number(await b.getAttribute('data-token-id'));
      await expect(b.textContent()).resolves.toBe(visibleText(points.texts[points.ids.indexOf(id)]));
    }
    for (const t of HOSTILE_TOKENS) {
      const i = indexOfText(t.text);
      await w.page.goto(url(`/${exhibit.id}/?id=${points.ids[i]}`));
      await expect(waitForMap(w.page)).resolves.toBe('ready');
      const expected = neighborsOf(neighbors, points, i);
      const items = w.page.locator('.details-neighbors .neighbor-text');
      await expect.poll(() => items.count(), { timeout: 20_000, message: t.name }).toBe(expected.length);
      await expect(items.allTextContents(), t.name).resolves.toEqual(expected.map((nb) => quoted(nb.text)));
      await expect(w.page.locator('.details-neighbors *').evaluateAll((els) => els.filter((el) => !['H3', 'OL', 'LI', 'BUTTON', 'SPAN', 'P'].includes(el.tagName)).length)).resolves.toBe(0);
      await labelsAreLiteral(t.name);
      await expectClean(w, t.name);
    }
  });

  it('points.csv downloads with every payload literal and quoted', async () => {
    const w = await open(`/${exhibit.id}/`);
    await waitForMap(w.page);
    const [download] = await Promise.all([w.page.waitForEvent('download'), w.page.locator(`a[href$="/exhibits/${exhibit.id}/${exhibit.files.csv}"]`).click()]);
    const chunks: Buffer[] = [];
    for await (const chunk of (await download.createReadStream())!) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.equals(await readFile(path.join(s.exhibitsDir, exhibit.id, exhibit.files.csv)))).toBe(true);
    const csv = bytes.toString('utf8');
    const rows = parseCsv(csv);
    expect(rows[0].slice(0, 7)).toEqual(['token_id', 'token', 'piece', 'count', 'x', 'y', 'z']);
    expect(rows.length - 1).toBe(exhibit.tokens.shown);
    for (const t of HOSTILE_TOKENS) {
      const i = indexOfText(t.text);
      const row = rows.find((r) => r[0] === String(points.ids[i]));
      expect(row?.slice(0, 7), t.name).toEqual([String(points.ids[i]), t.text, t.text, String(t.occurrences), expect.any(String), expect.any(String), expect.any(String)]);
      const field = `"${t.text.replaceAll('"', '""')}"`;
      expect(csv, t.name).toContain(`${points.ids[i]},${field},${field},${t.occurrences},`);
    }
    await expectClean(w, 'CSV download');
  });
});

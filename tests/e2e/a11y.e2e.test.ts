/**
 * Accessibility of the built site: axe-core (through @axe-core/playwright) on the index, an
 * exhibit page and the embed page, in light and dark colour schemes, and the map's existing
 * controls (search, views, zoom, the map itself) used with the keyboard alone.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ExhibitManifest } from '../../src/artifact/manifest.ts';
import type { ExhibitPoints } from '../../src/artifact/format.ts';
import { buildSearchIndex, resolveToken } from '../../src/viewer/search.ts';
import { newContext, readGallery, readPointsOf, waitForMap, type SiteInfo } from '../support/browser.ts';

const site = inject('site') as SiteInfo | null;

/** What a violation looks like in a failure message: rule, impact, where. */
function describeViolations(results: Awaited<ReturnType<AxeBuilder['analyze']>>): string[] {
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n    ')}`);
}

describe.skipIf(!site)('accessibility', () => {
  const s = site!;
  let browser: Browser;
  let corpus: ExhibitManifest;
  let points: ExhibitPoints;
  const url = (p: string) => `${s.origin}${s.base}${p}`;

  beforeAll(async () => {
    browser = await chromium.connect(s.wsEndpoint);
    const gallery = await readGallery(s);
    const withCounts = gallery.exhibits.filter((e) => e.corpus.kind !== 'vocabulary');
    corpus = [...withCounts].sort((a, b) => b.tokens.shown - a.tokens.shown)[0] ?? gallery.exhibits[0];
    points = await readPointsOf(s, corpus.id, corpus.files.points);
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`axe-core finds no serious or critical violations on the index, an exhibit and its embed page (${colorScheme})`, async () => {
      const context = await newContext(browser, { colorScheme });
      const found: Record<string, string[]> = {};
      try {
        for (const p of ['/', `/${corpus.id}/`, `/${corpus.id}/embed/`]) {
          const page = await context.newPage();
          await page.goto(url(p));
          if (p !== '/') expect(await waitForMap(page)).toBe('ready');
          const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
          // The rules really ran on the page (a broken injection would pass silently otherwise).
          expect(results.passes.length, p).toBeGreaterThan(10);
          found[p] = describeViolations(results);
          const minor = results.violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
          if (minor.length) console.info(`[a11y] ${p} (${colorScheme}): ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
          if (p === '/') {
            // The check can fail: a picture without a text alternative is reported as critical.
            await page.evaluate(() => document.querySelector('main')!.append(Object.assign(document.createElement('img'), { src: 'data:,' })));
            const planted = await new AxeBuilder({ page }).withRules(['image-alt']).analyze();
            expect(describeViolations(planted).join('\n')).toMatch(/^image-alt \(critical\)/);
          }
          await page.close();
        }
      } finally {
        await context.close();
      }
      expect(found).toEqual({ '/': [], [`/${corpus.id}/`]: [], [`/${corpus.id}/embed/`]: [] });
    });
  }

  describe('keyboard only', () => {
    let page: Page;
    const activeMatches = (selector: string) => page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
    /** Presses Tab until the focused element matches `selector` (as a keyboard user would). */
    const tabTo = async (selector: string, { back = false, limit = 200 } = {}) => {
      for (let i = 0; i < limit; i++) {
        if (await activeMatches(selector)) return;
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
      }
      throw new Error(`Tab never reached ${selector}`);
    };
    const cam = () => new URL(page.url()).searchParams.get('cam');
    const word = () => {
      const index = buildSearchIndex(points);
      for (const [i, t] of points.texts.entries()) if (/^[A-Za-z]{5,}$/.test(t) && resolveToken(index, t) === i) return { text: t, id: points.ids[i] };
      throw new Error('no plain-word token');
    };

    beforeAll(async () => {
      const context = await newContext(browser);
      page = await context.newPage();
      await page.goto(url(`/${corpus.id}/`));
      expect(await waitForMap(page)).toBe('ready');
    });
    afterAll(async () => {
      await page?.context().close();
    });

    it('Tab reaches the search box; typing, arrow keys and Enter select a token; Escape on the map clears it', async () => {
      const { text, id } = word();
      await page.keyboard.press('Tab');
      await tabTo('[data-tks-search-input]');
      await page.keyboard.type(text);
      const first = page.getByRole('listbox').getByRole('option').first();
      await expect.poll(() => first.textContent(), { timeout: 10_000 }).toContain(text);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => window.__tokenscape!.selectedId()), { timeout: 10_000 }).toBe(id);
      await expect(page.locator('[data-tks-details]').textContent()).resolves.toContain(text);
      await tabTo('canvas.map-3d');
      await page.keyboard.press('Escape');
      await expect.poll(() => page.evaluate(() => window.__tokenscape!.selectedId()), { timeout: 10_000 }).toBeNull();
    });

    it('the map takes focus with Tab; arrow keys rotate, + and − zoom, 0 resets', async () => {
      await tabTo('canvas.map-3d');
      await page.keyboard.press('0');
      await page.waitForTimeout(400);
      const start = cam();
      await page.keyboard.press('ArrowLeft');
      await expect.poll(cam, { timeout: 5_000 }).not.toBe(start);
      const rotated = cam();
      await page.keyboard.press('+');
      await expect.poll(cam, { timeout: 5_000 }).not.toBe(rotated);
      const [, , distanceIn] = cam()!.split(',').map(Number);
      const [, , distanceBefore] = rotated!.split(',').map(Number);
      expect(distanceIn).toBeLessThan(distanceBefore);
      await page.keyboard.press('-');
      await expect.poll(() => Number(cam()!.split(',')[2])).toBeGreaterThan(distanceIn);
      await page.keyboard.press('0');
      await expect.poll(() => page.evaluate(() => document.activeElement?.matches('canvas.map-3d'))).toBe(true);
    });

    it('the view buttons and zoom buttons work from the keyboard (Tab, Enter, Space)', async () => {
      await tabTo('[data-view=xy]');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => window.__tokenscape!.view()), { timeout: 20_000 }).toBe('xy');
      await expect(page.locator('[data-view=xy]').getAttribute('aria-pressed')).resolves.toBe('true');
      // Once the 2D view has drawn, focus is still on the button that was pressed.
      // (view() is the view on screen, so the 2D view has drawn here.)
      expect(await activeMatches('[data-view=xy]')).toBe(true);
      await page.keyboard.press('Tab');
      expect(await activeMatches('[data-view=xz]')).toBe(true);
      await page.keyboard.press('Space');
      await expect.poll(() => page.evaluate(() => window.__tokenscape!.view()), { timeout: 20_000 }).toBe('xz');
      await page.waitForTimeout(400);
      const before = cam();
      await tabTo('[data-action=zoom-in]');
      await page.keyboard.press('Enter');
      await expect.poll(cam, { timeout: 5_000 }).not.toBe(before);
      const zoomed = cam();
      await page.keyboard.press('Tab');
      expect(await activeMatches('[data-action=zoom-out]')).toBe(true);
      await page.keyboard.press('Space');
      await expect.poll(cam, { timeout: 5_000 }).not.toBe(zoomed);
      await tabTo('[data-view="3d"]', { back: true });
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => window.__tokenscape!.view()), { timeout: 20_000 }).toBe('3d');
    });

    it('the embed code\'s size choice works with the keyboard: arrow keys pick the responsive snippet', async () => {
      const code = () => page.locator('[data-tks-embed-text]').inputValue();
      await tabTo('[data-tks-embed-variant][value=fixed]');
      expect(await code()).toMatch(/^<iframe src="[^"]+\/embed\/" width="100%" height="600" loading="lazy"/);
      await page.keyboard.press('ArrowRight');
      expect(await activeMatches('[data-tks-embed-variant][value=responsive]:checked')).toBe(true);
      expect(await code()).toMatch(/^<div style="position:relative;width:100%;aspect-ratio:16 \/ 10"><iframe src="http:\/\/[^"]+\/embed\/" style="position:absolute;inset:0;width:100%;height:100%;border:0"/);
      await tabTo('[data-tks-embed-copy]');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('[data-tks-embed-status]').textContent()).toMatch(/Copied|Select the code/);
    });
  });
});

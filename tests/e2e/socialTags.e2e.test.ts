/**
 * Link cards: the pages of a build with SITE_URL and BASE_PATH carry Open Graph / Twitter tags
 * with absolute addresses, and the picture they name is the exhibit's preview PNG. This file
 * builds the gallery of the global setup once more, as GitHub Pages would (SITE_URL set), and
 * reads the tags from the built HTML in Chromium's parser.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { GalleryIndex } from '../../src/artifact/manifest.ts';
import { astroBuild } from '../../scripts/astroBuild.ts';
import { readGallery, type SiteInfo } from '../support/browser.ts';
import { startStaticServer } from '../support/staticServer.ts';

const site = inject('site') as SiteInfo | null;
const SITE_URL = 'https://tokenscape-test.github.io';
const BASE = '/my-gallery';

describe.skipIf(!site)('link cards (Open Graph / Twitter) in the built pages', () => {
  let work: string;
  let dist: string;
  let gallery: GalleryIndex;
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof startStaticServer>>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tokenscape-cards-'));
    dist = path.join(work, 'dist');
    await astroBuild({
      TOKENSCAPE_EXHIBITS: site!.exhibitsDir,
      TOKENSCAPE_DIST: dist,
      TOKENSCAPE_CONTENT: site!.contentDir,
      BASE_PATH: BASE,
      SITE_URL,
    });
    gallery = await readGallery(site!);
    server = await startStaticServer({ root: dist, base: BASE });
    browser = await chromium.connect(site!.wsEndpoint);
    page = await browser.newPage();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The head's tags of a built page, parsed by the browser from the file's bytes. */
  const tagsOf = async (file: string) => {
    await page.setContent(await readFile(path.join(dist, file), 'utf8'), { waitUntil: 'domcontentloaded' });
    return page.evaluate(() => {
      const meta: Record<string, string> = {};
      for (const m of document.head.querySelectorAll('meta[property], meta[name]')) meta[m.getAttribute('property') ?? m.getAttribute('name')!] = m.getAttribute('content') ?? '';
      return { meta, canonical: document.head.querySelector('link[rel=canonical]')?.getAttribute('href') ?? null, title: document.title };
    });
  };
  /** The built site serves what an absolute address under SITE_URL + BASE_PATH names. */
  const fetchPublished = (absolute: string) => {
    expect(absolute.startsWith(`${SITE_URL}${BASE}/`)).toBe(true);
    return page.request.get(`${server.origin}${absolute.slice(SITE_URL.length)}`);
  };

  it('each exhibit page: title, description, type article, canonical URL and its preview picture', async () => {
    expect(gallery.exhibits.length).toBeGreaterThan(0);
    for (const e of gallery.exhibits) {
      const { meta, canonical, title } = await tagsOf(path.join(e.id, 'index.html'));
      const pageUrl = `${SITE_URL}${BASE}/${e.id}/`;
      expect(canonical, e.id).toBe(pageUrl);
      expect(meta['og:url']).toBe(pageUrl);
      expect(meta['og:type']).toBe('article');
      expect(meta['og:title']).toBe(title);
      expect(meta['og:title']).toContain(e.title);
      expect(meta['twitter:title']).toBe(meta['og:title']);
      expect(meta['og:description']).toBe(meta.description);
      expect(meta['og:description']).toContain(e.model.id);
      expect(meta['og:site_name']).toBe(gallery.title);
      expect(meta['og:image']).toBe(`${SITE_URL}${BASE}/${e.id}/preview.png`);
      expect(meta['twitter:image']).toBe(meta['og:image']);
      expect(meta['twitter:card']).toBe('summary_large_image');
      expect([meta['og:image:width'], meta['og:image:height']]).toEqual(['480', '300']);
      const image = await fetchPublished(meta['og:image']);
      expect(image.status()).toBe(200);
      const png = await image.body();
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([480, 300]);
      expect((await fetchPublished(meta['og:url'])).status()).toBe(200);
    }
  });

  it('the index: type website, canonical gallery URL, the first exhibit\'s picture', async () => {
    const { meta, canonical } = await tagsOf('index.html');
    expect(canonical).toBe(`${SITE_URL}${BASE}/`);
    expect(meta['og:url']).toBe(`${SITE_URL}${BASE}/`);
    expect(meta['og:type']).toBe('website');
    expect(meta['og:title']).toBe(gallery.title);
    expect(meta['og:description']).toContain(gallery.exhibits[0].title);
    expect(meta['og:image']).toBe(`${SITE_URL}${BASE}/${gallery.exhibits[0].id}/preview.png`);
    expect((await fetchPublished(meta['og:image'])).status()).toBe(200);
  });

  it('without SITE_URL (the suite\'s main build) the cards carry text but no relative image or URL', async () => {
    await page.setContent(await readFile(path.join(site!.distDir, 'index.html'), 'utf8'), { waitUntil: 'domcontentloaded' });
    const keys = await page.evaluate(() => Array.from(document.head.querySelectorAll('meta[property]'), (m) => m.getAttribute('property')));
    expect(keys).toContain('og:title');
    expect(keys).not.toContain('og:image');
    expect(keys).not.toContain('og:url');
  });
});

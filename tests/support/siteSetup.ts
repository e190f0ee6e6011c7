/**
 * Global setup of the browser suite (vitest project `e2e`), run once:
 *  1. `buildTestGallery` (tests/support/testGallery.ts) runs the real precompute pipeline into a temp
 *     exhibits folder: the repository's gallery.config.yaml against the loopback Hub serving
 *     ../shared/fixtures, plus a local model whose vocabulary holds hostile tokens;
 *  2. `astro build` (child process) with TOKENSCAPE_EXHIBITS / TOKENSCAPE_DIST pointing there and
 *     BASE_PATH=/gallery, like a GitHub Pages project site;
 *  3. two static servers on different loopback origins serve the build under /gallery/
 *     (the second one is where the embed test's iframe comes from);
 *  4. one headless Chromium (SwiftShader WebGL) that the test files connect to.
 * Without /usr/bin/chromium or the shared fixtures nothing is built and the browser tests skip with
 * a printed reason.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH, CHROMIUM_ARGS, type SiteInfo } from './browser.ts';
import { startStaticServer } from './staticServer.ts';
import { FIXTURES, hasFixtures } from './fixtures.ts';
import { buildTestGallery } from './testGallery.ts';
import { astroBuild } from '../../scripts/astroBuild.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    site: SiteInfo | null;
    siteSkipReason: string;
  }
}


export default async function setup(project: TestProject) {
  const skip = (reason: string) => {
    console.warn(`\n[e2e] ${reason}\n`);
    project.provide('site', null);
    project.provide('siteSkipReason', reason);
  };
  if (!existsSync(CHROMIUM_PATH)) {
    return skip(`${CHROMIUM_PATH} is missing: skipping the browser tests (install Debian's chromium package to run them).`);
  }
  if (!hasFixtures) {
    return skip(`${FIXTURES} (TOKENSCAPE_FIXTURES) has no fixtures: skipping the browser tests, whose gallery the pipeline builds from them.`);
  }
  const work = await mkdtemp(path.join(tmpdir(), 'tokenscape-site-'));
  const exhibitsDir = path.join(work, 'exhibits');
  const distDir = path.join(work, 'dist');
  const contentDir = path.join(work, 'content');
  const base = '/gallery';
  const started = Date.now();
  let gallery;
  try {
    gallery = await buildTestGallery(exhibitsDir, path.join(work, 'config'));
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  console.log(`[e2e] pipeline test gallery: ${gallery.exhibits.map((e) => `${e.id} (${e.tokens.shown})`).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Prose for the first exhibit only (the others show that a missing file is fine).
  await mkdir(contentDir, { recursive: true });
  if (gallery.exhibits[0]) {
    await writeFile(
      path.join(contentDir, `${gallery.exhibits[0].id}.md`),
      '## Reading this map\n\nNearby points are tokens whose **embeddings** are similar.\n',
    );
  }
  const buildSeconds = await astroBuild({
    TOKENSCAPE_EXHIBITS: exhibitsDir,
    TOKENSCAPE_DIST: distDir,
    TOKENSCAPE_CONTENT: contentDir,
    BASE_PATH: base,
    SITE_URL: '',
  });
  console.log(`[e2e] astro build: ${buildSeconds.toFixed(1)} s`);

  const site = await startStaticServer({ root: distDir, base });
  const other = await startStaticServer({ root: distDir, base });
  const browser = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });

  project.provide('site', {
    origin: site.origin,
    // Same files, another origin (other host name and port): for the cross-origin embed test.
    otherOrigin: `http://localhost:${other.port}`,
    base,
    exhibitsDir,
    contentDir,
    distDir,
    wsEndpoint: browser.wsEndpoint(),
  });
  project.provide('siteSkipReason', '');

  return async () => {
    await browser.close().catch(() => {});
    await site.close();
    await other.close();
    await rm(work, { recursive: true, force: true });
  };
}

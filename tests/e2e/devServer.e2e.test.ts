/**
 * The live preview (`npm run dev`, scripts/dev.ts) as an author uses it: start it against a config
 * of one exhibit (the local tiny LLaMA-2 stand-in and a small corpus file), open the gallery in
 * Chromium, then edit the config, break it, fix it and edit the prose, watching the open page
 * follow each change by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { newContext, waitForMap, type SiteInfo } from '../support/browser.ts';
import { fixture } from '../support/fixtures.ts';

const site = inject('site') as SiteInfo | null;
const repoRoot = path.resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function saveByRename(file: string, text: string): Promise<void> {
  await writeFile(`${file}.swp`, text);
  await rename(`${file}.swp`, file);
}

const CORPUS_A = 'The river flows past the old mill.\nThe miller sings while the wheel turns.\n'.repeat(20);
const CORPUS_B = 'Nel mezzo del cammin di nostra vita\nmi ritrovai per una selva oscura,\nché la diritta via era smarrita.\n'.repeat(20);

function configText(exhibits: { id: string; title: string; corpus: string; extra?: string }[]): string {
  const model = fixture('models/tiny-random-llama');
  return [
    'title: Preview gallery',
    'exhibits:',
    ...exhibits.flatMap((e) => [
      `  - id: ${e.id}`,
      `    title: ${e.title}`,
      `    model: { path: ${model} }`,
      `    corpus: { file: ./${e.corpus} }`,
      ...(e.extra ? [`    ${e.extra}`] : []),
    ]),
    '',
  ].join('\n');
}

describe.skipIf(!site)('live preview: npm run dev', () => {
  let work: string;
  let configFile: string;
  let child: ChildProcess;
  let output = '';
  let address = '';
  let browser: Browser;
  let page: Page;

  const waitForOutput = async (pattern: RegExp, from: number, timeout = 90_000) => {
    const deadline = Date.now() + timeout;
    while (!pattern.test(output.slice(from))) {
      if (child.exitCode !== null) throw new Error(`npm run dev exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${output.slice(from)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const cardTitles = () => page.locator('.card-title').allTextContents();

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tokenscape-dev-'));
    configFile = path.join(work, 'gallery.yaml');
    await writeFile(path.join(work, 'river.txt'), CORPUS_A);
    await writeFile(path.join(work, 'dante.txt'), CORPUS_B);
    await mkdir(path.join(work, 'content'));
    await writeFile(configFile, configText([{ id: 'river', title: 'River text', corpus: 'river.txt' }]));
    const port = await freePort();
    // Vitest's own variables (MODE, NODE_ENV=test, BASE_URL, ...) would change how Astro runs.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^(BASE_URL|MODE|DEV|PROD|SSR|NODE_ENV|TEST|VITEST.*)$/.test(k)),
    ) as Record<string, string>;
    child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/dev.ts', '--port', String(port)], {
      cwd: repoRoot,
      env: {
        ...env,
        GALLERY_CONFIG: configFile,
        TOKENSCAPE_EXHIBITS: path.join(work, 'exhibits'),
        TOKENSCAPE_CACHE: path.join(work, 'cache'),
        TOKENSCAPE_CONTENT: path.join(work, 'content'),
        BASE_PATH: '/preview',
        SITE_URL: '',
        HF_HUB_OFFLINE: '1',
        ASTRO_TELEMETRY_DISABLED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitForOutput(/Tokenscape preview: (http:\/\/\S+)/, 0);
    address = /Tokenscape preview: (http:\/\/\S+)/.exec(output)![1];
    browser = await chromium.connect(site!.wsEndpoint);
    page = await (await newContext(browser)).newPage();
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('serves the gallery under the base path, with the exhibit built from the config', async () => {
    expect(address).toMatch(/\/preview\/$/);
    expect(output).toMatch(/river: River text/);
    await page.goto(address);
    expect(await cardTitles()).toEqual(['River text']);
    await page.goto(`${address}river/`);
    expect(await waitForMap(page, 60_000)).toBe('ready');
  });

  it('a config edit rebuilds and the open page reloads by itself with the new exhibit', async () => {
    await page.goto(address);
    await page.evaluate(() => ((window as unknown as { __beforeEdit: boolean }).__beforeEdit = true));
    const from = output.length;
    await writeFile(
      configFile,
      configText([
        { id: 'river', title: 'River text, renamed', corpus: 'river.txt' },
        { id: 'dante', title: 'Dante opening', corpus: 'dante.txt' },
      ]),
    );
    await waitForOutput(/changed: rebuilding[\s\S]*Gallery ready/, from);
    await page.waitForFunction(() => document.querySelectorAll('.card-title').length === 2, undefined, { timeout: 30_000 });
    // A reload, not an edit in place: the flag set before the edit is gone.
    expect(await page.evaluate(() => (window as unknown as { __beforeEdit?: boolean }).__beforeEdit)).toBeUndefined();
    expect(await cardTitles()).toEqual(['River text, renamed', 'Dante opening']);
    await page.goto(`${address}dante/`);
    expect(await waitForMap(page, 60_000)).toBe('ready');
    expect(await page.locator('h1').textContent()).toBe('Dante opening');
  });

  it('a config mistake is shown in the terminal and on the page with file, line and key; the last good gallery stays', async () => {
    await page.goto(address);
    const from = output.length;
    const broken = configText([
      { id: 'river', title: 'River text, renamed', corpus: 'river.txt' },
      { id: 'dante', title: 'Dante broken', corpus: 'dante.txt', extra: 'colour: { clip: 5 }' },
    ]);
    await writeFile(configFile, broken);
    // file:line:column of the `colour:` key (1-based; column 5 after the list indent).
    const where = `${configFile}:${broken.split('\n').findIndex((l) => l.includes('colour:')) + 1}:5`;
    await waitForOutput(/error: .*colour/, from);
    const terminal = output.slice(from);
    expect(terminal).toContain(where);
    expect(terminal).toMatch(/exhibits\[1\]\.colour: unknown key "colour" \(did you mean "color"\?\)/);
    expect(terminal).toMatch(/still serving the last good gallery/);

    const banner = page.locator('[data-tks-dev-error]');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.getAttribute('role')).toBe('alert');
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain(where);
    expect(text).toContain('exhibits[1].colour');
    expect(await cardTitles()).toEqual(['River text, renamed', 'Dante opening']);
    // The banner is announced and readable (no serious or critical axe-core findings).
    const axe = await new AxeBuilder({ page }).include('[data-tks-dev-error]').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    // The exhibit pages still work with the last good data.
    await page.goto(`${address}dante/`);
    expect(await waitForMap(page, 60_000)).toBe('ready');
    expect(await page.locator('h1').textContent()).toBe('Dante opening');
    await expect(page.locator('[data-tks-dev-error]').count()).resolves.toBe(1);

    // Fixed, saved the way many editors save (a new file renamed over the old one): the banner goes
    // and the change shows.
    const fixedFrom = output.length;
    await saveByRename(
      configFile,
      configText([
        { id: 'river', title: 'River text, renamed', corpus: 'river.txt' },
        { id: 'dante', title: 'Dante fixed', corpus: 'dante.txt', extra: 'color: { clip: 5 }' },
      ]),
    );
    await waitForOutput(/Gallery ready/, fixedFrom);
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Dante fixed', undefined, { timeout: 30_000 });
    await expect(page.locator('[data-tks-dev-error]').count()).resolves.toBe(0);

    // The renamed-over file is still watched.
    await writeFile(
      configFile,
      configText([
        { id: 'river', title: 'River text, renamed', corpus: 'river.txt' },
        { id: 'dante', title: 'Dante again', corpus: 'dante.txt' },
      ]),
    );
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Dante again', undefined, { timeout: 30_000 });
  });

  it('a new or edited content/{id}.md shows on the open exhibit page', async () => {
    await page.goto(`${address}river/`);
    await expect(page.locator('[data-tks-prose]').count()).resolves.toBe(0);
    await writeFile(path.join(work, 'content', 'river.md'), '## About the river\n\nWords near **water**.\n');
    await page.waitForFunction(() => document.querySelector('[data-tks-prose] h2')?.textContent === 'About the river', undefined, { timeout: 30_000 });
    expect(await page.locator('[data-tks-prose] strong').textContent()).toBe('water');
    await writeFile(path.join(work, 'content', 'river.md'), '## About the river, again\n');
    await page.waitForFunction(() => document.querySelector('[data-tks-prose] h2')?.textContent === 'About the river, again', undefined, { timeout: 30_000 });
  });
});

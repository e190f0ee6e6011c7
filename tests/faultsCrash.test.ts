/**
 * `kill -9` in the middle of a build, then run it again: the rerun completes and writes exhibits
 * byte-identical to those of a build that was never interrupted, and nothing a killed run left half-written
 * is trusted: temp files are swept and fetched again, and an interrupted embedding download is resumed only
 * from bytes that match the hashes journalled as they arrived. The precompute command runs as a child process against a
 * loopback Hub that holds the transfer open at the chosen moment, so each kill lands where it should.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRequest } from '../scripts/loopback-hub/server.ts';
import { CORPUS_URL, rangeStart, startFaultyHub, type FaultyHub } from './support/faultyHub.ts';

let root: string;
let hub: FaultyHub;
let configFile: string;

/** Runs are told apart at the hub by their token, so the reference build is never faulted. */
const REFERENCE = 'hf_reference';
const CRASHING = 'hf_crashing';

function startPrecompute(dir: string, token: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN_PATH']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/precompute.ts'], {
    env: {
      ...env,
      GALLERY_CONFIG: configFile,
      TOKENSCAPE_CACHE: join(dir, 'cache'),
      TOKENSCAPE_EXHIBITS: join(dir, 'exhibits'),
      HF_HOME: join(dir, 'hf'),
      HF_ENDPOINT: hub.url,
      HF_TOKEN: token,
      TOKENSCAPE_URL_MIRROR: `${hub.url}/urls`,
      // The killed runs must still be waiting when the kill comes, not recovering on their own.
      TOKENSCAPE_STALL_TIMEOUT_MS: '120000',
      TOKENSCAPE_RETRY_DELAY_MS: '10',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, exit, stderr: () => stderr };
}

async function waitFor(what: string, condition: () => boolean, run: { exit: Promise<unknown>; stderr: () => string }, ms = 45_000) {
  let exited = false;
  void run.exit.then(() => (exited = true));
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (exited) throw new Error(`the build ended before ${what}:\n${run.stderr()}`);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function kill(run: { child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }) {
  run.child.kill('SIGKILL');
  expect((await run.exit).signal).toBe('SIGKILL');
}

const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : []);
const leftovers = (dir: string) => listing(dir).filter((p) => /\.partial-|\.incomplete$|\.tmp$/.test(p));
const sized = (dir: string, pattern: RegExp) => listing(dir).filter((p) => pattern.test(p) && statSync(join(dir, p)).isFile() && statSync(join(dir, p)).size > 0);
const exhibitFiles = (dir: string) =>
  Object.fromEntries(
    listing(join(dir, 'exhibits'))
      .filter((p) => statSync(join(dir, 'exhibits', p)).isFile())
      .map((p) => [p, readFileSync(join(dir, 'exhibits', p)).toString('base64')]),
  );

const crashing = (r: FaultRequest) => r.headers.authorization === `Bearer ${CRASHING}`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tks-crash-'));
  hub = await startFaultyHub(join(root, 'mirror'));
  configFile = join(root, 'gallery.yaml');
  writeFileSync(
    configFile,
    [
      'title: Crashes',
      'exhibits:',
      '  - { id: vocab, title: Vocabulary, model: test-org/tiny, corpus: vocabulary }',
      `  - { id: web, title: Web, model: test-org/tiny, corpus: { url: "${CORPUS_URL}" } }`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await hub?.close();
});

describe('kill -9, then run again', () => {
  it('completes with exhibits byte-identical to an uninterrupted build, trusting nothing half-written', async () => {
    const reference = join(root, 'reference');
    const crashed = join(root, 'crashed');
    const blobs = join(crashed, 'hf', 'hub', 'models--test-org--tiny', 'blobs');
    const embeddings = join(crashed, 'cache', 'embeddings');

    // 1. Killed while tokenizer.json streams into the hub cache (as <blob>.incomplete).
    hub.reset((r) => (crashing(r) && r.path.endsWith('/tokenizer.json') && r.headers.range !== 'bytes=0-0' ? { afterBytes: 300, then: 'stall' } : undefined));
    const referenceRun = startPrecompute(reference, REFERENCE); // in parallel: it is never faulted
    let run = startPrecompute(crashed, CRASHING);
    const tokenizer = Buffer.from(hub.modelFiles['tokenizer.json'] as string);
    const tokenizerBlob = createHash('sha1').update(`blob ${tokenizer.length}\0`).update(tokenizer).digest('hex');
    // Wait for tokenizer.json's own partial blob: smaller files (tokenizer_config.json) may be read first.
    await waitFor('a partial tokenizer.json', () => sized(blobs, new RegExp(`^${tokenizerBlob}\\.incomplete$`)).length > 0, run);
    await kill(run);
    expect(leftovers(blobs)).toEqual([`${tokenizerBlob}.incomplete`]);

    // 2. Killed in the middle of the embedding download.
    hub.reset((r) => (crashing(r) && r.path.endsWith('/model.safetensors') && (rangeStart(r) ?? -1) >= hub.embedding.begin && r.headers.range !== `bytes=${hub.embedding.end - 1}-${hub.embedding.end - 1}` ? { afterBytes: 64 * 1024, then: 'stall' } : undefined));
    run = startPrecompute(crashed, CRASHING);
    // The slice goes to a stable <key>.bin.incomplete with a journal of block hashes (src/hub/resumableRange.ts);
    // the kill comes once the 64 KiB the hub sent are journalled.
    const delivered = 64 * 1024;
    const journalled = () => {
      const journal = listing(embeddings).find((p) => p.endsWith('.incomplete.json'));
      if (!journal) return 0;
      try {
        const j = JSON.parse(readFileSync(join(embeddings, journal), 'utf8')) as { blocks: string[]; blockBytes: number };
        return j.blocks.length * j.blockBytes;
      } catch {
        return 0;
      }
    };
    await waitFor('64 KiB of the embedding slice, journalled', () => journalled() >= delivered, run);
    await kill(run);
    expect(listing(embeddings).filter((p) => p.endsWith('.bin'))).toEqual([]);

    // Corpus downloads carry no token, so the reference build must be done before they are faulted.
    expect((await referenceRun.exit).code, referenceRun.stderr()).toBe(0);

    // 3. Killed between exhibits: the first is written, the second waits on its corpus.
    hub.reset((r) => (r.path.startsWith('/urls/') ? { afterBytes: 1000, then: 'stall' } : undefined));
    run = startPrecompute(crashed, CRASHING);
    await waitFor('the first exhibit and a partial corpus', () => existsSync(join(crashed, 'exhibits', 'vocab', 'manifest.json')) && sized(join(crashed, 'cache', 'urls'), /\.partial-/).length > 0, run);
    await kill(run);
    expect(existsSync(join(crashed, 'exhibits', 'gallery.json'))).toBe(false);
    // The slice killed in step 2 was resumed, not fetched again: after re-hashing the 64 KiB on disk against
    // the journal, the rerun asked only for the rest of the slice.
    const sliceRequests = hub.seen.filter((r) => r.path.endsWith('/model.safetensors') && (rangeStart(r) ?? -1) >= hub.embedding.begin && r.range !== `bytes=${hub.embedding.end - 1}-${hub.embedding.end - 1}`);
    expect(sliceRequests.map((r) => r.range)).toEqual([`bytes=${hub.embedding.begin + delivered}-${hub.embedding.end - 1}`]);
    const fetchedByRerun = hub.embedding.end - (hub.embedding.begin + delivered);
    expect(fetchedByRerun).toBeLessThan(hub.embedding.end - hub.embedding.begin);

    // 4. The rerun: everything left behind is swept, what was never finished is fetched again.
    hub.reset();
    run = startPrecompute(crashed, CRASHING);
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/vocab[\s\S]*up to date[\s\S]*web[\s\S]*built/);
    expect(hub.seen.filter((r) => r.path.startsWith('/urls/') && r.range === null)).toHaveLength(1);

    const perExhibit = ['facets.bin', 'manifest.json', 'neighbors.bin', 'points.bin', 'points.csv', 'tokenizer.json', 'tokenizer_config.json'];
    expect(Object.keys(exhibitFiles(crashed)).sort()).toEqual(['gallery.json', ...perExhibit.map((f) => `vocab/${f}`), ...perExhibit.map((f) => `web/${f}`)]);
    expect(exhibitFiles(crashed)).toEqual(exhibitFiles(reference));
    expect(leftovers(join(crashed, 'cache'))).toEqual([]);
    expect(leftovers(join(crashed, 'exhibits'))).toEqual([]);
    expect(leftovers(join(crashed, 'hf'))).toEqual([]);
  }, 120_000);
});

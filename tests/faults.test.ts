/**
 * Downloads over a network that misbehaves on purpose: a loopback Hub that resets connections mid-body,
 * answers 5xx and 429, stalls, closes early behind an honest Content-Length, sends wrong bytes, or swaps
 * the file mid-download. Transfers must resume from where they stopped, never splice two versions, never
 * cache a wrong or partial file, and fail with one clear message when retrying cannot help.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRequest } from '../scripts/loopback-hub/server.ts';
import { parseGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { HubRepo } from '../src/hub/hubRepo.ts';
import { backoffDelay, createRetryingFetch, retryAfterMs } from '../src/hub/retryingFetch.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { CORPUS_URL, DATASET_ID, faultOnce, faultPlan, MODEL_ID, rangeStart, startFaultyHub, type FaultyHub } from './support/faultyHub.ts';

const STALL_MS = 300;
let root: string;
let hub: FaultyHub;
let counter = 0;

function env(overrides: Partial<HubEnvironment['network']> = {}): HubEnvironment {
  return {
    endpoint: hub.url,
    token: null,
    cacheDir: join(root, `hf-${++counter}`, 'hub'),
    offline: false,
    urlMirror: `${hub.url}/urls`,
    network: { retries: 3, retryDelayMs: 10, maxRetryDelayMs: 40, maxRetryAfterMs: 2000, stallTimeoutMs: STALL_MS, ...overrides },
  };
}

const isEmbedding = (r: FaultRequest) => r.path.endsWith('/model.safetensors') && (rangeStart(r) ?? -1) >= hub.embedding.begin && r.headers.range !== `bytes=${hub.embedding.end - 1}-${hub.embedding.end - 1}`;
const embeddingRequests = () => hub.seen.filter((r) => r.path.endsWith('/model.safetensors') && (rangeStart(r) ?? -1) >= hub.embedding.begin && r.range !== `bytes=${hub.embedding.end - 1}-${hub.embedding.end - 1}`);

async function downloadEmbedding(e = env()) {
  const repo = await HubRepo.open(e, 'model', MODEL_ID);
  const dest = join(root, `slice-${++counter}.bin`);
  const started = performance.now();
  const error = await repo.streamRange('model.safetensors', hub.embedding.begin, hub.embedding.end, dest, 'embedding').then(() => null, (x: unknown) => x);
  return { dest, error: error as TokenscapeError | null, ms: performance.now() - started, repo };
}

function expectSlice(dest: string) {
  const got = readFileSync(dest);
  expect(got.length).toBe(hub.embedding.bytes.length);
  expect(Buffer.compare(got, Buffer.from(hub.embedding.bytes))).toBe(0);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tks-faults-'));
  hub = await startFaultyHub(join(root, 'mirror'));
});

afterAll(async () => {
  await hub?.close();
});

describe('backoff and Retry-After', () => {
  it('spreads backoff over the upper half of an exponential, capped', () => {
    const s = { retryDelayMs: 100, maxRetryDelayMs: 1000 };
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, s, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, s, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('reads Retry-After in seconds or as a date, and caps it', () => {
    const after = (v: string) => retryAfterMs(new Response(null, { status: 429, headers: { 'Retry-After': v } }), 60_000);
    expect(after('2')).toBe(2000);
    expect(after('86400')).toBe(60_000);
    expect(after(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThan(25_000);
    expect(after('soon')).toBeNull();
  });

  it('waits as long as a 429 asks before trying again', async () => {
    hub.reset(faultOnce(isEmbedding, { status: 429, headers: { 'Retry-After': '1' } }));
    const { dest, error } = await downloadEmbedding();
    expect(error).toBeNull();
    expectSlice(dest);
    const [first, second] = embeddingRequests();
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('retries 500 and 503 answers', async () => {
    hub.reset(faultPlan(faultOnce(isEmbedding, { status: 500 }), faultOnce(isEmbedding, { status: 503 })));
    const { dest, error } = await downloadEmbedding();
    expect(error).toBeNull();
    expectSlice(dest);
    expect(embeddingRequests()).toHaveLength(3);
  });

  it('retries API calls that fail, stall or are cut short', async () => {
    const api = (r: FaultRequest) => r.path.startsWith('/api/models/');
    hub.reset(faultPlan(faultOnce(api, { status: 502 }), faultOnce(api, { afterBytes: 20, then: 'close' }), faultOnce(api, { afterBytes: 0, then: 'stall' })));
    const repo = await HubRepo.open(env(), 'model', MODEL_ID);
    expect(repo.has('model.safetensors')).toBe(true);
    expect(hub.seen.filter((r) => r.path.startsWith('/api/models/'))).toHaveLength(4);
  });
});

describe('a transfer that breaks resumes from where it stopped', () => {
  for (const [what, fault] of [
    ['a connection reset', { afterBytes: 100_000, then: 'reset' }],
    ['a body cut short behind an honest Content-Length', { afterBytes: 100_000, then: 'close' }],
    ['a stalled server', { afterBytes: 100_000, then: 'stall' }],
  ] as const) {
    it(`after ${what}`, async () => {
      hub.reset(faultOnce(isEmbedding, fault));
      const { dest, error, ms } = await downloadEmbedding();
      expect(error).toBeNull();
      expectSlice(dest);
      const [first, resume, ...more] = embeddingRequests();
      expect(more).toEqual([]);
      expect(first.range).toBe(`bytes=${hub.embedding.begin}-${hub.embedding.end - 1}`);
      // The resume starts inside what the first answer sent, and asks for the same version. (After a RST
      // the kernel may drop bytes the client had not read yet, so there it may start a little earlier.)
      const from = rangeStart(resume)! - hub.embedding.begin;
      if (fault.then === 'reset') expect(from).toBeGreaterThanOrEqual(0);
      else expect(from).toBe(100_000);
      expect(from).toBeLessThanOrEqual(100_000);
      expect(resume.range).toBe(`bytes=${hub.embedding.begin + from}-${hub.embedding.end - 1}`);
      if (from > 0) expect(resume.ifRange).toMatch(/^"[0-9a-f]{64}"$/);
      if (fault.then === 'stall') {
        expect(ms).toBeGreaterThanOrEqual(STALL_MS);
        expect(ms).toBeLessThan(STALL_MS + 5000);
      }
    });
  }

  it('keeps going through many interruptions as long as each one makes progress', async () => {
    hub.reset(faultOnce(isEmbedding, { afterBytes: 40_000, then: 'close' }, 8));
    const { dest, error } = await downloadEmbedding(env({ retries: 2 }));
    expect(error).toBeNull();
    expectSlice(dest);
    expect(embeddingRequests()).toHaveLength(9);
  });

  it('reads a safetensors header through a reset', async () => {
    hub.reset(faultOnce((r) => r.path.endsWith('/model.safetensors') && rangeStart(r) === 8, { afterBytes: 10, then: 'reset' }));
    const repo = await HubRepo.open(env(), 'model', MODEL_ID);
    const safetensors = hub.modelFiles['model.safetensors'] as Uint8Array;
    const length = Number(new DataView(safetensors.buffer, safetensors.byteOffset, 8).getBigUint64(0, true));
    expect(Buffer.from(await repo.readRange('model.safetensors', 8, 8 + length)).equals(Buffer.from(safetensors.subarray(8, 8 + length)))).toBe(true);
  });
});

describe('a file that changes during the download', () => {
  it('is downloaded again from the start, never spliced (server honours If-Range)', async () => {
    hub.reset(faultPlan(faultOnce(isEmbedding, { afterBytes: 100_000, then: 'close' }), faultOnce(isEmbedding, { etag: 'f'.repeat(64), corruptAt: [0, 1, 2, 3] })));
    const { dest, error } = await downloadEmbedding();
    expect(error).toBeNull();
    expectSlice(dest);
    const ranges = embeddingRequests().map((r) => rangeStart(r)! - hub.embedding.begin);
    expect(ranges).toHaveLength(3);
    expect(ranges[1]).toBeGreaterThan(0);
    expect(ranges[2]).toBe(0);
  });

  it('is downloaded again from the start when a server ignores If-Range and sends another ETag', async () => {
    hub.reset(
      faultPlan(faultOnce(isEmbedding, { afterBytes: 100_000, then: 'close' }), (r) => {
        if (!isEmbedding(r) || !r.headers['if-range']) return undefined;
        delete r.headers['if-range'];
        return hub.seen.filter((s) => s.ifRange).length === 1 ? { etag: 'e'.repeat(64), corruptAt: [0] } : undefined;
      }),
    );
    const { dest, error } = await downloadEmbedding();
    expect(error).toBeNull();
    expectSlice(dest);
    expect(embeddingRequests().map((r) => rangeStart(r)! - hub.embedding.begin).at(-1)).toBe(0);
  });
});

describe('giving up', () => {
  it('says how often it tried and what went wrong, and keeps nothing', async () => {
    hub.reset((r) => (isEmbedding(r) ? { status: 503 } : undefined));
    const { dest, error } = await downloadEmbedding();
    expect(error).toBeInstanceOf(TokenscapeError);
    expect(error!.format()).toMatch(
      new RegExp(`Could not download bytes ${hub.embedding.begin}-${hub.embedding.end - 1} of ${MODEL_ID}/model\\.safetensors from http://127\\.0\\.0\\.1:\\d+: gave up after 4 attempts \\(0 of ${hub.embedding.end - hub.embedding.begin} bytes received\\): HTTP 503`),
    );
    expect(error!.format()).toMatch(/run the build again/);
    expect(existsSync(dest)).toBe(false);
    expect(embeddingRequests()).toHaveLength(4);
  });

  it('names the network error when every connection is reset', async () => {
    hub.reset((r) => (isEmbedding(r) ? { afterBytes: 0, then: 'reset' } : undefined));
    const { error } = await downloadEmbedding();
    expect(error!.format()).toMatch(/gave up after 4 attempts \(0 of \d+ bytes received\): .*(fetch failed|terminated|ECONNRESET|socket)/i);
  });

  it('says the Hub kept failing when an API call never succeeds', async () => {
    hub.reset((r) => (r.path.startsWith('/api/') ? { status: 503 } : undefined));
    const error = await HubRepo.open(env(), 'model', MODEL_ID).then(() => null, (e: unknown) => e);
    expect((error as TokenscapeError).format()).toMatch(/The Hub answered HTTP 503 for model test-org\/tiny, also on every retry/);
  });

  it('gives up on a server that keeps stalling, within the retries × stall timeout', async () => {
    hub.reset((r) => (isEmbedding(r) ? { afterBytes: 0, then: 'stall' } : undefined));
    const { error, ms } = await downloadEmbedding(env({ retries: 1 }));
    expect(error!.format()).toMatch(/gave up after 2 attempts .*no data for 300 ms \(stalled\)/);
    expect(ms).toBeLessThan(2 * STALL_MS + 3000);
  });
});

describe('wrong bytes never enter the hub cache', () => {
  const blobs = (e: HubEnvironment) => {
    const dir = join(e.cacheDir, `models--${MODEL_ID.replace('/', '--')}`, 'blobs');
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it('downloads a corrupted small file again and keeps only the verified one', async () => {
    const e = env();
    hub.reset(faultOnce((r) => r.path.endsWith('/tokenizer.json') && r.headers.range !== 'bytes=0-0', { corruptAt: [5] }));
    const repo = await HubRepo.open(e, 'model', MODEL_ID);
    const path = await repo.fetchFile('tokenizer.json');
    expect(readFileSync(path, 'utf8')).toBe(hub.modelFiles['tokenizer.json']);
    const content = Buffer.from(hub.modelFiles['tokenizer.json'] as string);
    const gitSha = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    expect(readlinkSync(path)).toMatch(new RegExp(`blobs/${gitSha}$`));
    expect(hub.seen.filter((r) => r.path.endsWith('/tokenizer.json') && r.range !== 'bytes=0-0')).toHaveLength(2);
  });

  it('refuses a file that keeps arriving corrupted, with the hashes, and caches nothing', async () => {
    for (const [file, kind] of [['tokenizer.json', 'git blob sha1'], ['model.safetensors', 'sha256']] as const) {
      const e = env();
      hub.reset((r) => (r.path.endsWith(`/${file}`) && r.headers.range !== 'bytes=0-0' ? { corruptAt: [100] } : undefined));
      const repo = await HubRepo.open(e, 'model', MODEL_ID);
      const error = await repo.fetchFile(file).then(() => null, (x: unknown) => x);
      expect((error as TokenscapeError).format()).toMatch(new RegExp(`Download of ${MODEL_ID}/${file} is corrupted: ${kind} [0-9a-f]+, expected [0-9a-f]+\\.`));
      expect(blobs(e)).toEqual([]);
      expect(repo.cachedFile(file)).toBeNull();
    }
  });
});

describe('precompute over a faulty network', () => {
  const config = () =>
    parseGalleryConfig(
      [
        'title: Faults',
        'exhibits:',
        '  - { id: vocab, title: Vocabulary, model: test-org/tiny, corpus: vocabulary }',
        `  - { id: web, title: Web, model: test-org/tiny, corpus: { url: "${CORPUS_URL}" } }`,
        `  - { id: data, title: Data, model: test-org/tiny, corpus: { dataset: ${DATASET_ID}, config: default, split: "train[:50%]" } }`,
      ].join('\n'),
      join(root, 'gallery.yaml'),
    );
  const build = async (e: HubEnvironment) => {
    const workspace = { cacheDir: join(e.cacheDir, '..', 'cache'), exhibitsDir: join(e.cacheDir, '..', 'exhibits') };
    await precompute({ config: config(), env: e, workspace });
    return workspace;
  };
  const files = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((p) => p.includes('.'))
        .sort()
        .map((p) => [p, readFileSync(join(dir, p)).toString('base64')]),
    );

  it('builds the same exhibits as over a good network, with every first request of each kind failing', async () => {
    hub.reset();
    const clean = await build(env());

    const faults = [
      { status: 503 },
      { afterBytes: 7, then: 'reset' as const },
      { status: 429, headers: { 'Retry-After': '0' } },
      { afterBytes: 11, then: 'close' as const },
      { afterBytes: 3, then: 'stall' as const },
    ];
    const hit = new Set<string>();
    let n = 0;
    hub.reset((r) => {
      const key = `${r.method} ${r.path} ${r.headers.range ?? ''}`;
      if (hit.has(key)) return undefined;
      hit.add(key);
      const wholeFile = !r.path.includes('.safetensors') && r.path.includes('/resolve/') && r.headers.range !== 'bytes=0-0';
      // Whole files can also be corrupted in transit: their hash catches it. A slice has no hash to check.
      if (wholeFile && n % 3 === 0) return (n++, { corruptAt: [0] });
      return faults[n++ % faults.length];
    });
    const faulty = await build(env());
    expect(n).toBeGreaterThan(10);
    expect(files(faulty.exhibitsDir)).toEqual(files(clean.exhibitsDir));
    const leftovers = readdirSync(join(faulty.cacheDir, '..'), { recursive: true, encoding: 'utf8' }).filter((p) => /\.partial-|\.incomplete$|\.tmp$/.test(p));
    expect(leftovers).toEqual([]);
  }, 60_000);
});

it('fetch with a stall timeout aborts a silent server instead of waiting forever', async () => {
  hub.reset(faultOnce((r) => r.path.startsWith('/urls/'), { afterBytes: 0, then: 'stall' }, 99));
  const fetchOnce = createRetryingFetch({ retries: 0, stallTimeoutMs: 200 });
  const started = performance.now();
  const response = await fetchOnce(`${hub.url}/urls/example.org/texts/corpus.txt`);
  const error = await response.arrayBuffer().then(() => null, (e: unknown) => e);
  expect(String((error as Error)?.message)).toMatch(/no data for 200 ms \(stalled\)/);
  expect(performance.now() - started).toBeLessThan(3000);
});

/**
 * The loopback Hub must behave like huggingface.co where our download code can tell the
 * difference: headers, ranges, error codes, gating, listing APIs; and the fixture mirror must
 * hold what it claims (valid F16 shards, the WikiText rows, the web text).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { downloadFile, fileDownloadInfo, listFiles, pathsInfo } from '@huggingface/hub';
import { asyncBufferFromFile, asyncBufferFromUrl, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  buildFixtureMirror,
  buildSyntheticModel,
  COMMEDIA_URL_PATH,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  parseSafetensorsHeader,
  resolveFixtures,
  wikitextRows,
} from '../scripts/loopback-hub/fixtureMirror.ts';
import { startLoopbackHub, type LoopbackHub } from '../scripts/loopback-hub/server.ts';

const FIXTURES = resolveFixtures();
const haveFixtures = fs.existsSync(path.join(FIXTURES, 'SOURCES.md'));
if (!haveFixtures) {
  console.warn(`[loopbackHub.test] skipped: fixtures folder not found at ${FIXTURES} (set TOKENSCAPE_FIXTURES)`);
}

const LLAMA = 'meta-llama/Llama-2-7b-hf';
const GATED = 'gated-org/gated-model';
const TOKEN = 'hf_loopback_test_token';
const sha1 = (s: string | Buffer): string => crypto.createHash('sha1').update(s).digest('hex');
const sha256 = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/** Raw request, so the path reaches the server exactly as written (fetch would normalize `..`). */
function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!haveFixtures)('loopback hub over the fixture mirror', () => {
  let root: string;
  let hub: LoopbackHub;
  let llamaDir: string;

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tokenscape-loopback-'));
    await buildFixtureMirror(root, FIXTURES);
    llamaDir = path.join(root, 'models', LLAMA);
    hub = await startLoopbackHub({ root, gated: [GATED], token: TOKEN });
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  describe('mirror contents', () => {
    it('is idempotent: a second build rewrites nothing', async () => {
      const file = path.join(llamaDir, 'model-00002-of-00002.safetensors');
      const before = (await fsp.stat(file)).mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      await buildFixtureMirror(root, FIXTURES);
      expect((await fsp.stat(file)).mtimeMs).toBe(before);
    });

    it('has the real LLaMA-2 tokenizer files and the tiny config', async () => {
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model']) {
        const a = await fsp.readFile(path.join(llamaDir, f));
        const b = await fsp.readFile(path.join(FIXTURES, 'tokenizers/llama2', f));
        expect(a.equals(b), f).toBe(true);
      }
      const config = JSON.parse(await fsp.readFile(path.join(llamaDir, 'config.json'), 'utf8'));
      expect(config).toMatchObject({ vocab_size: 32000, hidden_size: 16, model_type: 'llama' });
    });

    it('shards the weights as F16 like the real repo, with a consistent index', async () => {
      const index = JSON.parse(await fsp.readFile(path.join(llamaDir, 'model.safetensors.index.json'), 'utf8'));
      expect(index.weight_map['model.embed_tokens.weight']).toBe('model-00002-of-00002.safetensors');
      expect(index.weight_map['model.norm.weight']).toBe('model-00002-of-00002.safetensors');
      expect(index.weight_map['lm_head.weight']).toBe('model-00001-of-00002.safetensors');
      expect(index.weight_map['model.layers.1.mlp.down_proj.weight']).toBe('model-00001-of-00002.safetensors');

      const src = new Uint8Array(await fsp.readFile(path.join(FIXTURES, 'models/tiny-random-llama/model.safetensors')));
      const srcHeader = parseSafetensorsHeader(src);
      let total = 0;
      const seen = new Set<string>();
      for (const file of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
        const buf = new Uint8Array(await fsp.readFile(path.join(llamaDir, file)));
        const h = parseSafetensorsHeader(buf);
        expect(h.headerLength % 8).toBe(0);
        expect(h.metadata).toEqual({ format: 'pt' });
        // packed contiguously from 0 to the end of the file
        const spans = Object.values(h.tensors)
          .map((t) => t.data_offsets)
          .sort((a, b) => a[0] - b[0]);
        let pos = 0;
        for (const [b, e] of spans) {
          expect(b).toBe(pos);
          pos = e;
        }
        expect(h.dataStart + pos).toBe(buf.length);
        for (const [name, t] of Object.entries(h.tensors)) {
          expect(t.dtype).toBe('F16');
          expect(t.shape).toEqual(srcHeader.tensors[name]!.shape);
          expect(index.weight_map[name]).toBe(file);
          total += t.data_offsets[1] - t.data_offsets[0];
          seen.add(name);
        }
      }
      expect([...seen].sort()).toEqual(Object.keys(srcHeader.tensors).sort());
      expect(index.metadata.total_size).toBe(total);
    });

    it('wikitextRows keeps newlines and maps blank lines to ""', () => {
      expect(wikitextRows(' \n = A = \n \n text\n')).toEqual(['', ' = A = \n', '', ' text\n']);
    });

    it('the parquet file round-trips the 4358 test rows', async () => {
      const file = path.join(root, 'datasets/Salesforce/wikitext/wikitext-2-raw-v1/test-00000-of-00001.parquet');
      const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as { text: string }[];
      expect(rows.length).toBe(4358);
      expect(rows[0]!.text).toBe('');
      expect(rows[1]!.text).toBe(' = Robert Boulter = \n');
      expect(rows.filter((r) => r.text === '').length).toBe(1467);
      const raw = await fsp.readFile(path.join(FIXTURES, 'corpora/wikitext-2-raw/wiki.test.raw'), 'utf8');
      expect(rows.map((r) => r.text || ' \n').join('')).toBe(raw);
    });
  });

  describe('resolve', () => {
    const commit = sha1(`models/${LLAMA}`);

    it('serves a small file with X-Repo-Commit and the git blob etag', async () => {
      const res = await fetch(`${hub.url}/${LLAMA}/resolve/main/config.json`);
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(await fsp.readFile(path.join(llamaDir, 'config.json')))).toBe(true);
      expect(res.headers.get('x-repo-commit')).toBe(commit);
      expect(res.headers.get('etag')).toBe(`"${sha1(Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]))}"`);
      expect(res.headers.get('x-linked-etag')).toBeNull();
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-length')).toBe(String(body.length));
    });

    it('serves LFS files with sha256 etag, X-Linked-Etag and X-Linked-Size, also at the commit sha', async () => {
      const file = await fsp.readFile(path.join(llamaDir, 'model-00002-of-00002.safetensors'));
      const res = await fetch(`${hub.url}/${LLAMA}/resolve/${commit}/model-00002-of-00002.safetensors`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(file)).toBe(true);
      expect(res.headers.get('etag')).toBe(`"${sha256(file)}"`);
      expect(res.headers.get('x-linked-etag')).toBe(`"${sha256(file)}"`);
      expect(res.headers.get('x-linked-size')).toBe(String(file.length));
      expect(res.headers.get('x-repo-commit')).toBe(commit);
    });

    it('answers Range requests with exactly those bytes', async () => {
      const file = await fsp.readFile(path.join(llamaDir, 'model-00002-of-00002.safetensors'));
      const url = `${hub.url}/${LLAMA}/resolve/main/model-00002-of-00002.safetensors`;
      const cases: [string, number, number][] = [
        ['bytes=0-7', 0, 7],
        ['bytes=100-1099', 100, 1099],
        [`bytes=${file.length - 10}-`, file.length - 10, file.length - 1],
        ['bytes=-16', file.length - 16, file.length - 1],
        [`bytes=5-${file.length + 1000}`, 5, file.length - 1],
      ];
      for (const [range, a, b] of cases) {
        const res = await fetch(url, { headers: { Range: range } });
        expect(res.status, range).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${a}-${b}/${file.length}`);
        expect(res.headers.get('content-length')).toBe(String(b - a + 1));
        expect(Buffer.from(await res.arrayBuffer()).equals(file.subarray(a, b + 1)), range).toBe(true);
      }
      const bad = await fetch(url, { headers: { Range: `bytes=${file.length}-` } });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe(`bytes */${file.length}`);
      await bad.arrayBuffer();
    });

    it('sends no body for HEAD, but the full headers', async () => {
      hub.clearLog();
      const res = await fetch(`${hub.url}/${LLAMA}/resolve/main/model-00001-of-00002.safetensors`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      const size = (await fsp.stat(path.join(llamaDir, 'model-00001-of-00002.safetensors'))).size;
      expect(res.headers.get('content-length')).toBe(String(size));
      expect(res.headers.get('x-linked-size')).toBe(String(size));
      expect((await res.arrayBuffer()).byteLength).toBe(0);
      expect(hub.requests).toEqual([expect.objectContaining({ method: 'HEAD', status: 200, bodyBytes: 0 })]);
    });

    it('reports missing file, repo and revision with the Hub error codes', async () => {
      const cases: [string, string][] = [
        [`/${LLAMA}/resolve/main/nope.json`, 'EntryNotFound'],
        ['/meta-llama/Llama-9-hf/resolve/main/config.json', 'RepositoryNotFound'],
        [`/${LLAMA}/resolve/v2.0/config.json`, 'RevisionNotFound'],
        ['/datasets/Salesforce/wikitext/resolve/main/nope.parquet', 'EntryNotFound'],
        ['/datasets/Salesforce/nope/resolve/main/README.md', 'RepositoryNotFound'],
      ];
      for (const [p, code] of cases) {
        const res = await fetch(hub.url + p);
        expect(res.status, p).toBe(404);
        expect(res.headers.get('x-error-code'), p).toBe(code);
        expect(typeof ((await res.json()) as { error: string }).error).toBe('string');
      }
    });

    it('serves dataset files under /datasets/', async () => {
      const p = 'wikitext-2-raw-v1/validation-00000-of-00001.parquet';
      const res = await fetch(`${hub.url}/datasets/Salesforce/wikitext/resolve/main/${p}`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-repo-commit')).toBe(sha1('datasets/Salesforce/wikitext'));
      expect(res.headers.get('x-linked-etag')).toMatch(/^"[0-9a-f]{64}"$/);
    });

    it('reads the parquet over HTTP ranges without downloading the whole file', async () => {
      hub.clearLog();
      const url = `${hub.url}/datasets/Salesforce/wikitext/resolve/main/wikitext-2-raw-v1/test-00000-of-00001.parquet`;
      const file = await asyncBufferFromUrl({ url });
      const rows = (await parquetReadObjects({ file, columns: ['text'], rowStart: 0, rowEnd: 3 })) as { text: string }[];
      expect(rows.map((r) => r.text)).toEqual(['', ' = Robert Boulter = \n', '']);
      const gets = hub.requests.filter((r) => r.method === 'GET');
      expect(gets.length).toBeGreaterThan(0);
      expect(gets.every((r) => r.status === 206 && r.range !== null)).toBe(true);
      const sent = gets.reduce((a, r) => a + r.bodyBytes, 0);
      expect(sent).toBeLessThan(file.byteLength);
    });
  });

  describe('the embedding tensor, fetched the way a client would', () => {
    it('matches the F32 fixture within F16 precision', async () => {
      const base = `${hub.url}/${LLAMA}/resolve/main`;
      const index = (await (await fetch(`${base}/model.safetensors.index.json`)).json()) as {
        weight_map: Record<string, string>;
      };
      const shard = index.weight_map['model.embed_tokens.weight']!;
      hub.clearLog();
      const lenBuf = Buffer.from(await (await fetch(`${base}/${shard}`, { headers: { Range: 'bytes=0-7' } })).arrayBuffer());
      const n = Number(lenBuf.readBigUInt64LE(0));
      const headBuf = Buffer.from(
        await (await fetch(`${base}/${shard}`, { headers: { Range: `bytes=0-${7 + n}` } })).arrayBuffer(),
      );
      const header = parseSafetensorsHeader(new Uint8Array(headBuf));
      const t = header.tensors['model.embed_tokens.weight']!;
      expect(t).toMatchObject({ dtype: 'F16', shape: [32000, 16] });
      const [b, e] = t.data_offsets;
      const res = await fetch(`${base}/${shard}`, { headers: { Range: `bytes=${8 + n + b}-${8 + n + e - 1}` } });
      expect(res.status).toBe(206);
      const data = Buffer.from(await res.arrayBuffer());
      expect(data.length).toBe(32000 * 16 * 2);
      // Only what was asked for crossed the wire.
      expect(hub.requests.reduce((a, r) => a + r.bodyBytes, 0)).toBe(8 + (8 + n) + (e - b));

      const src = new Uint8Array(await fsp.readFile(path.join(FIXTURES, 'models/tiny-random-llama/model.safetensors')));
      const sh = parseSafetensorsHeader(src);
      const [sb] = sh.tensors['model.embed_tokens.weight']!.data_offsets;
      const view = new DataView(src.buffer, src.byteOffset + sh.dataStart + sb);
      let worst = 0;
      let exact = 0;
      for (let i = 0; i < 32000 * 16; i++) {
        const want = view.getFloat32(i * 4, true);
        const got = f16BitsToF32(data.readUInt16LE(i * 2));
        // in units of half an ulp: 2^-11 relative for normals, 2^-25 absolute for subnormals
        worst = Math.max(worst, Math.abs(got - want) / Math.max(Math.abs(want) * 2 ** -11, 2 ** -25));
        if (got === want) exact++;
      }
      expect(worst).toBeLessThanOrEqual(1);
      // The fixture's F32 weights all happen to be F16 values (the tiny model was saved from half
      // precision), so the conversion is lossless here and clients may compare exactly.
      expect(exact).toBe(32000 * 16);
    });
  });

  describe('gated repos', () => {
    const url = () => `${hub.url}/${GATED}/resolve/main/config.json`;

    it('401 GatedRepo without a token', async () => {
      const res = await fetch(url());
      expect(res.status).toBe(401);
      expect(res.headers.get('x-error-code')).toBe('GatedRepo');
      expect(((await res.json()) as { error: string }).error).toMatch(/Access to model gated-org\/gated-model is restricted/);
    });

    it('403 GatedRepo with the wrong token', async () => {
      const res = await fetch(url(), { headers: { Authorization: 'Bearer hf_wrong' } });
      expect(res.status).toBe(403);
      expect(res.headers.get('x-error-code')).toBe('GatedRepo');
      await res.arrayBuffer();
    });

    it('200 with the right token, and the log records it', async () => {
      hub.clearLog();
      const res = await fetch(url(), { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-repo-commit')).toBe(sha1(`models/${GATED}`));
      await res.arrayBuffer();
      expect(hub.requests[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    });

    it('also gates the API endpoints', async () => {
      const a = await fetch(`${hub.url}/api/models/${GATED}/tree/main`);
      expect(a.status).toBe(401);
      await a.arrayBuffer();
      const b = await fetch(`${hub.url}/api/models/${GATED}/revision/main`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect(b.status).toBe(200);
      expect(((await b.json()) as { gated: unknown }).gated).toBe('manual');
    });

    it('leaves the non-gated copy open', async () => {
      const res = await fetch(`${hub.url}/${LLAMA}/resolve/main/config.json`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    });
  });

  describe('API', () => {
    it('revision info lists siblings and the commit sha', async () => {
      const res = await fetch(`${hub.url}/api/models/${LLAMA}/revision/main`);
      const info = (await res.json()) as { id: string; sha: string; siblings: { rfilename: string }[] };
      expect(info.id).toBe(LLAMA);
      expect(info.sha).toBe(sha1(`models/${LLAMA}`));
      const names = info.siblings.map((s) => s.rfilename);
      expect(names).toContain('model-00002-of-00002.safetensors');
      expect(names).toContain('pytorch_model-00001-of-00002.bin');
      const ds = await fetch(`${hub.url}/api/datasets/Salesforce/wikitext/revision/main`);
      const dinfo = (await ds.json()) as { siblings: { rfilename: string }[] };
      expect(dinfo.siblings.map((s) => s.rfilename)).toContain('wikitext-2-raw-v1/test-00000-of-00001.parquet');
    });

    it('tree lists the parquet files with LFS info, recursively or by folder', async () => {
      const rec = (await (
        await fetch(`${hub.url}/api/datasets/Salesforce/wikitext/tree/main?recursive=true`)
      ).json()) as TreeEntry[];
      const parquets = rec.filter((e) => e.path.endsWith('.parquet'));
      expect(parquets.map((e) => e.path).sort()).toEqual([
        'wikitext-2-raw-v1/test-00000-of-00001.parquet',
        'wikitext-2-raw-v1/train-00000-of-00001.parquet',
        'wikitext-2-raw-v1/validation-00000-of-00001.parquet',
      ]);
      const file = await fsp.readFile(path.join(root, 'datasets/Salesforce/wikitext/wikitext-2-raw-v1/test-00000-of-00001.parquet'));
      const test = parquets.find((e) => e.path.includes('test'))!;
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(file)}\nsize ${file.length}\n`;
      expect(test).toEqual({
        type: 'file',
        path: 'wikitext-2-raw-v1/test-00000-of-00001.parquet',
        size: file.length,
        oid: sha1(`blob ${pointer.length}\0${pointer}`),
        lfs: { oid: sha256(file), size: file.length, pointerSize: pointer.length },
      });

      const top = (await (await fetch(`${hub.url}/api/datasets/Salesforce/wikitext/tree/main`)).json()) as TreeEntry[];
      expect(top.find((e) => e.path === 'wikitext-2-raw-v1')?.type).toBe('directory');
      expect(top.some((e) => e.path.endsWith('.parquet'))).toBe(false);
      const sub = (await (
        await fetch(`${hub.url}/api/datasets/Salesforce/wikitext/tree/main/wikitext-2-raw-v1?recursive=false`)
      ).json()) as TreeEntry[];
      expect(sub.length).toBe(3);

      const readme = top.find((e) => e.path === 'README.md')!;
      const rb = await fsp.readFile(path.join(root, 'datasets/Salesforce/wikitext/README.md'));
      expect(readme.lfs).toBeUndefined();
      expect(readme.oid).toBe(sha1(Buffer.concat([Buffer.from(`blob ${rb.length}\0`), rb])));
    });

    it('paths-info answers JSON and form bodies, skipping missing paths', async () => {
      const url = `${hub.url}/api/models/${LLAMA}/paths-info/main`;
      const j = (await (
        await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ paths: ['config.json', 'model-00002-of-00002.safetensors', 'missing.txt'], expand: false }),
        })
      ).json()) as TreeEntry[];
      expect(j.map((e) => e.path)).toEqual(['config.json', 'model-00002-of-00002.safetensors']);
      expect(j[1]!.lfs?.oid).toMatch(/^[0-9a-f]{64}$/);

      const form = new URLSearchParams();
      form.append('paths', 'tokenizer.json');
      form.append('paths', 'generation_config.json');
      form.append('expand', 'True');
      const f = (await (await fetch(url, { method: 'POST', body: form })).json()) as (TreeEntry & {
        lastCommit?: { id: string };
      })[];
      expect(f.map((e) => e.path)).toEqual(['tokenizer.json', 'generation_config.json']);
      expect(f[0]!.lastCommit?.id).toBe(sha1(`models/${LLAMA}`));
    });

    it('unknown routes are 404 JSON', async () => {
      for (const p of ['/api/spaces/x/y', '/api/whoami-v2', '/nothing/here']) {
        const res = await fetch(hub.url + p);
        expect(res.status, p).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/json/);
        await res.arrayBuffer();
      }
    });
  });

  describe('@huggingface/hub against it', () => {
    it('lists, inspects and downloads like it would from huggingface.co', async () => {
      const hubUrl = hub.url;
      const files: string[] = [];
      for await (const f of listFiles({ repo: LLAMA, hubUrl, recursive: true })) files.push(f.path);
      expect(files).toContain('model-00002-of-00002.safetensors');
      const [info] = await pathsInfo({ repo: LLAMA, hubUrl, paths: ['model-00002-of-00002.safetensors'] });
      const dl = await fileDownloadInfo({ repo: LLAMA, hubUrl, path: 'model-00002-of-00002.safetensors' });
      expect(dl?.etag).toBe(`"${info!.lfs!.oid}"`);
      expect(dl?.size).toBe(info!.size);
      expect(await fileDownloadInfo({ repo: LLAMA, hubUrl, path: 'missing.json' })).toBeNull();
      const blob = await downloadFile({ repo: LLAMA, hubUrl, path: 'model-00002-of-00002.safetensors' });
      const first8 = Buffer.from(await blob!.slice(0, 8).arrayBuffer());
      expect(first8.readBigUInt64LE(0) % 8n).toBe(0n);
      await expect(downloadFile({ repo: GATED, hubUrl, path: 'config.json' })).rejects.toThrow(/restricted/);
      const ok = await downloadFile({ repo: GATED, hubUrl, path: 'config.json', accessToken: TOKEN });
      expect(ok).toBeTruthy();
    });
  });

  describe('web files and safety', () => {
    it('serves /urls/<host>/<path> with Range and ETag, without a commit header', async () => {
      const file = await fsp.readFile(path.join(FIXTURES, 'corpora/commedia.txt'));
      const url = `${hub.url}/urls/${COMMEDIA_URL_PATH}`;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(file)).toBe(true);
      expect(res.headers.get('etag')).toBe(`"${sha256(file)}"`);
      expect(res.headers.get('x-repo-commit')).toBeNull();
      const part = await fetch(url, { headers: { Range: 'bytes=0-17' } });
      expect(part.status).toBe(206);
      expect(await part.text()).toBe('LA DIVINA COMMEDIA');
      const missing = await fetch(`${hub.url}/urls/dmf.unicatt.it/nope.txt`);
      expect(missing.status).toBe(404);
      await missing.arrayBuffer();
    });

    it('refuses path traversal, encoded or not', async () => {
      for (const p of [
        '/urls/..%2f..%2fetc/passwd',
        '/urls/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '/urls/../../../../etc/passwd',
        `/${LLAMA}/resolve/main/..%2f..%2f..%2fdatasets/Salesforce/wikitext/README.md`,
        '/urls/dmf.unicatt.it/..%5c..%5cetc%5cpasswd',
      ]) {
        const res = await rawGet(hub.url, p);
        expect([400, 404], p).toContain(res.status);
        expect(res.body).not.toMatch(/root:/);
      }
    });

    it('does not follow symlinks out of root', async () => {
      const outside = await fsp.mkdtemp(path.join(os.tmpdir(), 'tokenscape-outside-'));
      await fsp.writeFile(path.join(outside, 'secret.txt'), 'secret');
      const linkDir = path.join(root, 'urls', 'evil.example');
      await fsp.mkdir(linkDir, { recursive: true });
      await fsp.symlink(path.join(outside, 'secret.txt'), path.join(linkDir, 'secret.txt'));
      await fsp.symlink(outside, path.join(llamaDir, 'escape'));
      try {
        const a = await rawGet(hub.url, '/urls/evil.example/secret.txt');
        expect(a.status).toBe(404);
        const b = await rawGet(hub.url, `/${LLAMA}/resolve/main/escape/secret.txt`);
        expect(b.status).toBe(404);
        const tree = (await (await fetch(`${hub.url}/api/models/${LLAMA}/tree/main?recursive=true`)).json()) as TreeEntry[];
        expect(tree.some((e) => e.path.startsWith('escape'))).toBe(false);
      } finally {
        await fsp.rm(path.join(llamaDir, 'escape'));
        await fsp.rm(linkDir, { recursive: true });
        await fsp.rm(outside, { recursive: true });
      }
    });

    it('logs method, decoded path, range, status and the bytes actually sent', async () => {
      hub.clearLog();
      const url = `${hub.url}/urls/${COMMEDIA_URL_PATH.replace('~', '%7E')}?x=1`;
      const res = await fetch(url, { headers: { Range: 'bytes=10-109' } });
      await res.arrayBuffer();
      const size = (await fsp.stat(path.join(FIXTURES, 'corpora/commedia.txt'))).size;
      const full = await fetch(url);
      await full.arrayBuffer();
      expect(hub.requests).toEqual([
        {
          method: 'GET',
          path: `/urls/${COMMEDIA_URL_PATH}?x=1`,
          range: 'bytes=10-109',
          status: 206,
          bodyBytes: 100,
          authorization: null,
        },
        expect.objectContaining({ status: 200, bodyBytes: size, range: null }),
      ]);
    });

    it('the bulky .bin files exist, so a client test can assert they are never fetched', async () => {
      const res = await fetch(`${hub.url}/${LLAMA}/resolve/main/pytorch_model-00001-of-00002.bin`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('content-length'))).toBeGreaterThanOrEqual(2 * 1024 * 1024);
      expect(res.headers.get('x-linked-etag')).toMatch(/^"[0-9a-f]{64}"$/);
    });
  });
});

describe('number formats', () => {
  it('F32 -> F16 rounds to nearest even and handles subnormals, inf and NaN', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65519, 0x7bff], // just under the rounding boundary
      [65520, 0x7c00], // ties to even -> overflow to inf
      [1e10, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie -> even (zero)
      [1.5 * 2 ** -24, 0x0002], // tie -> even (2)
      [2 ** -26, 0x0000],
      [1 + 2 ** -11, 0x3c00], // tie -> even
      [1 + 3 * 2 ** -11, 0x3c02], // tie -> even
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
      [0.1, 0x2e66],
      [(2 ** -14) * (1 - 2 ** -11), 0x0400], // rounds up from subnormal into the smallest normal
    ];
    for (const [x, bits] of cases) expect(f32ToF16Bits(x).toString(16), String(x)).toBe(bits.toString(16));
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 7) expect(f32ToF16Bits(f16BitsToF32(h))).toBe(h);
  });

  it('F32 -> BF16 rounds to nearest even', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(bf16BitsToF32(f32ToBf16Bits(1 + 2 ** -8))).toBe(1); // tie -> even
    expect(bf16BitsToF32(f32ToBf16Bits(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN)))).toBe(true);
  });
});

describe.skipIf(!haveFixtures)('buildSyntheticModel', () => {
  let root: string;
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tokenscape-synth-'));
  });
  afterAll(async () => {
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  /** Eigenvalues of a small symmetric matrix (cyclic Jacobi). */
  function eigenvalues(a: Float64Array, n: number): number[] {
    const m = Float64Array.from(a);
    for (let sweep = 0; sweep < 100; sweep++) {
      let off = 0;
      for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
      if (off < 1e-30) break;
      for (let p = 0; p < n; p++) {
        for (let q = p + 1; q < n; q++) {
          const apq = m[p * n + q]!;
          if (Math.abs(apq) < 1e-300) continue;
          const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
          const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          const c = 1 / Math.sqrt(t * t + 1);
          const s = t * c;
          for (let k = 0; k < n; k++) {
            const akp = m[k * n + p]!;
            const akq = m[k * n + q]!;
            m[k * n + p] = c * akp - s * akq;
            m[k * n + q] = s * akp + c * akq;
          }
          for (let k = 0; k < n; k++) {
            const apk = m[p * n + k]!;
            const aqk = m[q * n + k]!;
            m[p * n + k] = c * apk - s * aqk;
            m[q * n + k] = s * apk + c * aqk;
          }
        }
      }
    }
    return Array.from({ length: n }, (_, i) => m[i * n + i]!).sort((x, y) => y - x);
  }

  for (const dtype of ['F16', 'BF16', 'F32'] as const) {
    it(`writes a parseable ${dtype} model whose embedding has the intended decaying spectrum`, async () => {
      const vocab = 3000;
      const hidden = 24; // 8 x 3: exercises both the Hadamard and the dense odd part of the mixer
      const info = await buildSyntheticModel(root, `synthetic/${dtype}`, { vocab, hidden, dtype, seed: 7, fixtures: FIXTURES });
      const buf = new Uint8Array(await fsp.readFile(info.file));
      expect(buf.length).toBe(info.fileBytes);
      const h = parseSafetensorsHeader(buf);
      expect(Object.keys(h.tensors).sort()).toEqual(['lm_head.weight', 'model.embed_tokens.weight', 'model.norm.weight']);
      const t = h.tensors['model.embed_tokens.weight']!;
      expect(t).toMatchObject({ dtype, shape: [vocab, hidden] });
      expect(h.dataStart + t.data_offsets[0]).toBe(info.embeddingOffset);
      expect(t.data_offsets[0]).toBeGreaterThan(0); // lm_head comes first, as in the real layout

      const view = new DataView(buf.buffer, buf.byteOffset + info.embeddingOffset);
      const read = (i: number): number =>
        dtype === 'F32'
          ? view.getFloat32(i * 4, true)
          : dtype === 'F16'
            ? f16BitsToF32(view.getUint16(i * 2, true))
            : bf16BitsToF32(view.getUint16(i * 2, true));
      const cov = new Float64Array(hidden * hidden);
      let offDiag = 0;
      let diag = 0;
      for (let r = 0; r < vocab; r++) {
        for (let i = 0; i < hidden; i++) {
          const xi = read(r * hidden + i);
          expect(Number.isFinite(xi)).toBe(true);
          for (let j = 0; j < hidden; j++) cov[i * hidden + j]! += (xi * read(r * hidden + j)) / vocab;
        }
      }
      for (let i = 0; i < hidden; i++) {
        for (let j = 0; j < hidden; j++) (i === j ? (diag += cov[i * hidden + j]!) : (offDiag += Math.abs(cov[i * hidden + j]!)));
      }
      // Dense principal axes: the covariance is far from diagonal.
      expect(offDiag / diag).toBeGreaterThan(0.5);
      const ev = eigenvalues(cov, hidden);
      for (let i = 0; i < hidden; i++) {
        const want = info.principalStd[i]! ** 2;
        expect(Math.abs(ev[i]! - want) / want, `eigenvalue ${i}`).toBeLessThan(0.25);
      }
      // A second call finds the file complete and leaves it alone.
      const mtime = (await fsp.stat(info.file)).mtimeMs;
      await buildSyntheticModel(root, `synthetic/${dtype}`, { vocab, hidden, dtype, seed: 7, fixtures: FIXTURES });
      expect((await fsp.stat(info.file)).mtimeMs).toBe(mtime);
    }, 30_000);
  }
});

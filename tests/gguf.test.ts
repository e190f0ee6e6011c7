/**
 * GGUF models through the real precompute: the quantised TinyStories-656K file maps like the BF16 safetensors
 * of the same model, stories260K's output.weight is mapped from its own bytes, and from a Hub repo holding
 * several quantisations only the header and the embedding's byte range of the one file are fetched — and a
 * rerun, offline, fetches nothing.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32ToF16Bits } from '../scripts/loopback-hub/fixtureMirror.ts';
import { startLoopbackHub, type LoopbackHub } from '../scripts/loopback-hub/server.ts';
import { CSV_FILE, MANIFEST_FILE, type ExhibitManifest } from '../src/artifact/manifest.ts';
import { parseGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import { parseGgufHeader } from '../src/gguf/ggufHeader.ts';
import { openGgufModel } from '../src/gguf/openGgufModel.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';
import { tinyLlamaGguf } from './support/ggufFile.ts';
import { parseCsv } from './support/hostileFiles.ts';

const network = { retries: 1, retryDelayMs: 5, maxRetryDelayMs: 5, maxRetryAfterMs: 5, stallTimeoutMs: 5000 };
const offlineEnv = (dir: string): HubEnvironment => ({ endpoint: 'http://127.0.0.1:9', token: null, cacheDir: join(dir, 'hf'), offline: true, urlMirror: null, network });

/** x, y, z per token id, from the exhibit's full-precision CSV (columns 5–7; neighbours and facets follow). */
function coordinates(exhibitsDir: string, id: string): Map<number, number[]> {
  const [header, ...rows] = parseCsv(readFileSync(join(exhibitsDir, id, CSV_FILE), 'utf8'));
  return new Map(rows.filter((r) => r.length === header.length).map((r) => [Number(r[0]), r.slice(4, 7).map(Number)]));
}

function correlation(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

async function build(dir: string, exhibits: string, env: HubEnvironment) {
  const config = parseGalleryConfig(`title: gguf\nexhibits:\n${exhibits}`, join(dir, 'gallery.yaml'));
  const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
  await precompute({ config, env, workspace });
  const manifest = async (id: string) => JSON.parse(await readFile(join(workspace.exhibitsDir, id, MANIFEST_FILE), 'utf8')) as ExhibitManifest;
  return { workspace, manifest };
}

describe.skipIf(!hasFixtures)('GGUF models', () => {
  it('maps TinyStories-656K from its Q8_0 GGUF like the BF16 safetensors of the same model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-gguf-q8-'));
    const { workspace, manifest } = await build(
      dir,
      [
        `  - { id: q8, title: Q8_0, model: { gguf: "${fixture('gguf', 'TinyStories-656K-Q8_0.gguf')}" }, corpus: vocabulary }`,
        `  - { id: bf16, title: BF16, model: { path: "${fixture('models', 'tinystories-656k')}" }, corpus: vocabulary }`,
      ].join('\n') + '\n',
      offlineEnv(dir),
    );
    const q8 = await manifest('q8');
    expect(q8.model).toMatchObject({ tensor: 'token_embd.weight', dtype: 'Q8_0', vocabSize: 2048, hiddenSize: 128, tied: true, tensorRole: 'input' });
    expect(q8.tokens.shown).toBe(2048);
    const a = coordinates(workspace.exhibitsDir, 'q8');
    const b = coordinates(workspace.exhibitsDir, 'bf16');
    expect(a.size).toBe(2048);
    expect([...a.keys()].sort((x, y) => x - y)).toEqual([...b.keys()].sort((x, y) => x - y));
    const ids = [...a.keys()];
    for (let axis = 0; axis < 3; axis++) {
      const r = correlation(ids.map((id) => a.get(id)![axis]), ids.map((id) => b.get(id)![axis]));
      expect(Math.abs(r), `axis ${axis + 1}`).toBeGreaterThanOrEqual(0.99);
    }
    // The GGUF's own tokenizer shows the same pieces as the model's tokenizer.json.
    const pieces = (id: string) => parseCsv(readFileSync(join(workspace.exhibitsDir, id, CSV_FILE), 'utf8')).slice(1).map((r) => `${r[0]}:${r[2]}`).sort();
    expect(pieces('q8')).toEqual(pieces('bf16'));
  }, 180_000);

  it('maps stories260K output.weight from its own bytes, and says the model is not tied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-gguf-260k-'));
    const file = fixture('gguf', 'stories260K.gguf');
    const { workspace, manifest } = await build(
      dir,
      ['input', 'output'].map((role) => `  - { id: ${role}, title: ${role}, model: { gguf: "${file}" }, tensor: ${role}, corpus: vocabulary }`).join('\n') + '\n',
      offlineEnv(dir),
    );
    expect((await manifest('input')).model).toMatchObject({ tensor: 'token_embd.weight', tensorRole: 'input', tied: false, dtype: 'F32', vocabSize: 512, hiddenSize: 64 });
    expect((await manifest('output')).model).toMatchObject({ tensor: 'output.weight', tensorRole: 'output', tied: false });
    // The file's two matrices are byte-identical (a tied llama2.c checkpoint exported untied): the maps agree.
    const input = coordinates(workspace.exhibitsDir, 'input');
    const output = coordinates(workspace.exhibitsDir, 'output');
    expect([...output.entries()]).toEqual([...input.entries()]);
  }, 120_000);

  it('caches an F16 embedding as stored, and maps it like the float32 one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-gguf-f16-'));
    const pieces = ['<unk>', '<s>', '</s>', ...Array.from({ length: 61 }, (_, i) => `\u2581w${i}`)];
    const cols = 16;
    const values = Float32Array.from({ length: pieces.length * cols }, (_, i) => Math.sin(i * 1.3) * (1 + (i % cols)) + Math.cos(i * 0.11));
    const halves = Uint16Array.from(values, f32ToF16Bits);
    writeFileSync(join(dir, 'f32.gguf'), tinyLlamaGguf(pieces, values, cols));
    writeFileSync(join(dir, 'f16.gguf'), tinyLlamaGguf(pieces, values, cols, { tensors: [{ name: 'token_embd.weight', dims: [cols, pieces.length], type: 1, data: new Uint8Array(halves.buffer) }] }));
    const { workspace, manifest } = await build(
      dir,
      ['f32', 'f16'].map((id) => `  - { id: ${id}, title: ${id}, model: { gguf: ./${id}.gguf }, corpus: vocabulary }`).join('\n') + '\n',
      offlineEnv(dir),
    );
    expect((await manifest('f16')).model).toMatchObject({ dtype: 'F16', hiddenSize: 16, vocabSize: pieces.length });
    const a = coordinates(workspace.exhibitsDir, 'f32');
    const b = coordinates(workspace.exhibitsDir, 'f16');
    for (let axis = 0; axis < 3; axis++) {
      const ids = [...a.keys()];
      expect(Math.abs(correlation(ids.map((id) => a.get(id)![axis]), ids.map((id) => b.get(id)![axis])))).toBeGreaterThan(0.999);
    }
  });

  it('uses the tokenizer the config names instead of the metadata one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-gguf-override-'));
    // stories260K has 512 rows; TinyStories-656K's tokenizer has 2048 tokens: the override is what is checked.
    const exhibit = `  - { id: o, title: o, model: { gguf: "${fixture('gguf', 'stories260K.gguf')}", tokenizer: "${fixture('models', 'tinystories-656k')}" }, corpus: vocabulary }\n`;
    const error = await build(dir, exhibit, offlineEnv(dir)).catch((e: unknown) => e);
    expect((error as TokenscapeError).format()).toMatch(/token_embd\.weight of .*stories260K\.gguf has 512 rows, fewer than the tokenizer's 2048 tokens[\s\S]*check `tokenizer:`/);
  });

  it('reads tiny-llama-f32 token_embd.weight, dims (8, 16), as 16 rows of 8 values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-gguf-tiny-'));
    const path = fixture('gguf', 'tiny-llama-f32.gguf');
    const bytes = new Uint8Array(readFileSync(path));
    const header = parseGgufHeader(bytes, path);
    const tensor = header.tensors.find((t) => t.name === 'token_embd.weight')!;
    const model = await openGgufModel({ kind: 'gguf', path, display: path }, offlineEnv(dir), join(dir, 'cache'));
    const at = await model.embeddings.locate('input', model.tokenizer);
    expect(at).toMatchObject({ rows: 16, cols: 8, storedDtype: 'F32', dtype: 'F32', tied: false });
    const dest = join(dir, 'slice.bin');
    await model.embeddings.materialise(at, dest);
    expect(new Uint8Array(readFileSync(dest))).toEqual(bytes.subarray(tensor.begin, tensor.end));
    expect(model.tokenizer.pieces.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '\u2581']);
  });
});

describe.skipIf(!hasFixtures)('a GGUF file of a Hub repo', () => {
  let hub: LoopbackHub;
  let root: string;
  const REPO = 'test-org/TinyStories-656K-GGUF';
  const FILE = 'TinyStories-656K-Q8_0.gguf';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tks-gguf-hub-'));
    const repo = join(root, 'mirror', 'models', ...REPO.split('/'));
    mkdirSync(repo, { recursive: true });
    copyFileSync(fixture('gguf', FILE), join(repo, FILE));
    // Other quantisations in the same repo, which must not be touched.
    copyFileSync(fixture('gguf', 'stories260K.gguf'), join(repo, 'TinyStories-656K-F32.gguf'));
    writeFileSync(join(repo, 'README.md'), '# GGUF quantisations\n');
    hub = await startLoopbackHub({ root: join(root, 'mirror') });
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('fetches only the header and the token_embd.weight range of the named file, and nothing on an offline rerun', async () => {
    const env: HubEnvironment = { endpoint: hub.url, token: null, cacheDir: join(root, 'hf'), offline: false, urlMirror: null, network };
    const exhibit = `  - { id: hub-q8, title: Q8_0 from the Hub, model: { hub: ${REPO}, file: ${FILE} }, corpus: vocabulary }\n`;
    const { manifest } = await build(root, exhibit, env);
    expect((await manifest('hub-q8')).model).toMatchObject({ id: REPO, source: 'hub', tensor: 'token_embd.weight', dtype: 'Q8_0' });

    const gets = hub.requests.filter((r) => r.method === 'GET' && r.path.includes('.gguf'));
    expect(gets.every((r) => r.path.includes(FILE))).toBe(true);
    expect(gets.every((r) => r.range !== null)).toBe(true);
    const header = parseGgufHeader(new Uint8Array(readFileSync(fixture('gguf', FILE))), FILE);
    const embd = header.tensors.find((t) => t.name === 'token_embd.weight')!;
    const fetched = gets.reduce((n, r) => n + r.bodyBytes, 0);
    // The header (a first read of 256 KiB holds its 50 kB) plus the 278 kB embedding, of a 750 kB file.
    expect(fetched, JSON.stringify(gets)).toBeLessThanOrEqual(256 * 1024 + (embd.end - embd.begin) + 16);
    expect(fetched).toBeLessThan(header.fileSize);
    expect(gets.some((r) => r.range === `bytes=${embd.begin}-${embd.end - 1}`)).toBe(true);

    hub.clearLog();
    await build(root, exhibit, { ...env, offline: true });
    expect(hub.requests.filter((r) => r.path.includes('.gguf'))).toEqual([]);
  }, 120_000);
});

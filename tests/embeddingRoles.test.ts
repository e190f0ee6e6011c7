/**
 * Which matrix a map shows: the input embedding, found under whichever name a tied model stores it; the
 * unembedding (`tensor: output`) from its own bytes; and models whose hidden size is below 3. Every
 * exhibit is read back with the page's own reader before it is published.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FACETS_FILE, MANIFEST_FILE, POINTS_FILE, type ExhibitManifest } from '../src/artifact/manifest.ts';
import { readFacets } from '../src/artifact/readFacets.ts';
import { readExhibit } from '../src/artifact/readExhibit.ts';
import { encodeExhibit } from '../src/artifact/writeExhibit.ts';
import { parseGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { writeExhibitFolder } from '../src/pipeline/exhibitFiles.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { TINY_CORPUS, TINY_VOCAB, tinyEmbedding, writeTinyModel, type TinyModelOptions } from './support/tinyModel.ts';
import { encodeSafetensors } from './support/safetensors.ts';

const V = TINY_VOCAB.length;
const offlineEnv = (dir: string): HubEnvironment => ({
  endpoint: 'http://127.0.0.1:9',
  token: null,
  cacheDir: join(dir, 'hf'),
  offline: true,
  urlMirror: null,
  network: { retries: 0, retryDelayMs: 1, maxRetryDelayMs: 1, maxRetryAfterMs: 1, stallTimeoutMs: 1000 },
});

interface Built {
  manifest: ExhibitManifest;
  points: ReturnType<typeof readExhibit>;
}

/** Builds one exhibit per tensor role of a tiny local model and reads back what the page would load. */
async function build(model: TinyModelOptions, roles: ('input' | 'output')[] = ['input', 'output']): Promise<Record<string, Built>> {
  const dir = mkdtempSync(join(tmpdir(), 'tks-roles-'));
  writeTinyModel(join(dir, 'model'), model);
  writeFileSync(join(dir, 'corpus.txt'), TINY_CORPUS);
  const exhibits = roles.map((role) => `  - { id: ${role}, title: ${role}, model: { path: ./model }, tensor: ${role}, corpus: vocabulary }`).join('\n');
  const config = parseGalleryConfig(`title: roles\nexhibits:\n${exhibits}\n`, join(dir, 'gallery.yaml'));
  const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
  await precompute({ config, env: offlineEnv(dir), workspace });
  const out: Record<string, Built> = {};
  for (const role of roles) {
    out[role] = {
      manifest: JSON.parse(await readFile(join(workspace.exhibitsDir, role, MANIFEST_FILE), 'utf8')),
      points: readExhibit(await readFile(join(workspace.exhibitsDir, role, POINTS_FILE))),
    };
  }
  return out;
}

const embedding = (rows = V, cols = 8) => ({ dtype: 'F32' as const, shape: [rows, cols], values: tinyEmbedding(rows, cols) });
const config = (extra: Record<string, unknown> = {}) => JSON.stringify({ model_type: 'llama', hidden_size: 8, vocab_size: V, ...extra });

describe('tied embeddings', () => {
  it('finds the input embedding stored only as lm_head.weight, as safetensors.torch.save_model writes a tied model', async () => {
    const weights = encodeSafetensors({ 'lm_head.weight': embedding() }, { format: 'pt', 'model.embed_tokens.weight': 'lm_head.weight' });
    const { input, output } = await build({ files: { 'model.safetensors': weights } });
    expect(input.manifest.model).toMatchObject({ tensor: 'lm_head.weight', tensorRole: 'input', tied: true });
    // Tied: the output embedding is the same matrix, so the same map.
    expect(output.manifest.model).toMatchObject({ tensor: 'lm_head.weight', tensorRole: 'output', tied: true });
    expect(Array.from(output.points.positions)).toEqual(Array.from(input.points.positions));
  });

  it('finds it under lm_head.weight when config.json says tie_word_embeddings: true, without any alias', async () => {
    const weights = encodeSafetensors({ 'lm_head.weight': embedding() });
    const { input } = await build({ files: { 'model.safetensors': weights, 'config.json': config({ tie_word_embeddings: true }) } }, ['input']);
    expect(input.manifest.model).toMatchObject({ tensor: 'lm_head.weight', tied: true });
  });

  it('maps one matrix for both roles when tie_word_embeddings is true and both names are stored', async () => {
    const { input, output } = await build({ files: { 'config.json': config({ tie_word_embeddings: true }) } });
    expect(input.manifest.model).toMatchObject({ tensor: 'model.embed_tokens.weight', tied: true });
    expect(output.manifest.model).toMatchObject({ tensor: 'model.embed_tokens.weight', tensorRole: 'output', tied: true });
  });
});

describe('tensor: output', () => {
  it('maps the unembedding of an untied model from its own bytes', async () => {
    // lm_head row r is embedding row r+1: the output map puts token r where the input map puts token r+1.
    const e = tinyEmbedding(V, 8);
    const shifted = Float32Array.from({ length: V * 8 }, (_, i) => e[(i + 8) % (V * 8)]);
    const weights = encodeSafetensors({ 'model.embed_tokens.weight': embedding(), 'lm_head.weight': { dtype: 'F32', shape: [V, 8], values: shifted } });
    const { input, output } = await build({ files: { 'model.safetensors': weights, 'config.json': config({ tie_word_embeddings: false }) } });
    expect(input.manifest.model).toMatchObject({ tensor: 'model.embed_tokens.weight', tied: false, tensorRole: 'input' });
    expect(output.manifest.model).toMatchObject({ tensor: 'lm_head.weight', tied: false, tensorRole: 'output' });
    // Same rows, so the same PCA; compare token r of the output with token r+1 of the input.
    for (let r = 0; r < V - 1; r++) {
      for (let a = 0; a < 3; a++) {
        expect(output.points.positions[r * 3 + a]).toBeCloseTo(input.points.positions[(r + 1) * 3 + a], 2);
      }
    }
  });

  it('finds embed_out.weight (GPT-NeoX) and output.weight (Meta checkpoints)', async () => {
    for (const name of ['embed_out.weight', 'output.weight']) {
      const weights = encodeSafetensors({ 'gpt_neox.embed_in.weight': embedding(), [name]: embedding() });
      const { output } = await build({ files: { 'model.safetensors': weights, 'config.json': config({ tie_word_embeddings: false }) } }, ['output']);
      expect(output.manifest.model.tensor).toBe(name);
    }
  });
});

describe('tokenizer: from elsewhere', () => {
  it('replaces the tokenizer of the weights with the folder tokenizer: names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-tokdir-'));
    // The weights' folder has no tokenizer at all; ./tok has one whose words are upper case.
    writeTinyModel(join(dir, 'model'), { files: { 'tokenizer.json': null, 'tokenizer_config.json': null } });
    const upper = TINY_VOCAB.map((w, i) => (i < 3 ? w : w.toUpperCase()));
    writeTinyModel(join(dir, 'tok'), { vocab: upper, files: { 'model.safetensors': null, 'config.json': null } });
    writeFileSync(join(dir, 'corpus.txt'), 'THE CAT SAT ON A MAT\n');
    const config = parseGalleryConfig(
      'title: T\nexhibits:\n  - { id: t, title: T, model: { path: ./model, tokenizer: ./tok }, corpus: { file: ./corpus.txt } }\n',
      join(dir, 'gallery.yaml'),
    );
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    await precompute({ config, env: offlineEnv(dir), workspace });
    const points = readExhibit(await readFile(join(workspace.exhibitsDir, 't', POINTS_FILE)));
    expect(points.texts).toEqual(['THE', 'CAT', 'SAT', 'ON', 'A', 'MAT']);
  });
});

describe('hidden size below 3', () => {
  for (const cols of [2, 1]) {
    it(`builds a hidden-size-${cols} model: the missing axes are 0 with explained variance 0, and the page data reads back`, async () => {
      const { input } = await build({ cols }, ['input']);
      const { points, manifest } = input;
      expect(manifest.model.hiddenSize).toBe(cols);
      for (let a = cols; a < 3; a++) {
        expect(manifest.projection.explainedVarianceRatio[a]).toBe(0);
        expect([points.min[a], points.max[a]]).toEqual([0, 0]);
        for (let i = 0; i < points.count; i++) expect(points.positions[i * 3 + a]).toBe(0);
      }
      const used = manifest.projection.explainedVarianceRatio.slice(0, cols).reduce((s, v) => s + v, 0);
      expect(used).toBeCloseTo(1, 5);
      for (const v of points.positions) expect(Number.isFinite(v)).toBe(true);
    });
  }
});

describe('publishing only what the page can read', () => {
  it('refuses an exhibit file its reader rejects, and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-readback-'));
    const points = encodeExhibit({
      ids: Uint32Array.from([0, 1, 2]),
      positions: Float64Array.from([0, 0, NaN, 1, 1, NaN, 2, 2, NaN]),
      counts: new Uint32Array(3),
      texts: ['a', 'b', 'c'],
      pieces: ['a', 'b', 'c'],
      special: [false, false, false],
      byteToken: [false, false, false],
    });
    const manifest = { id: 'broken', files: { pointsBytes: points.length } } as unknown as ExhibitManifest;
    const error = await writeExhibitFolder(dir, 'broken', { points, csv: '', manifest }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(TokenscapeError);
    expect((error as TokenscapeError).format()).toMatch(/exhibit "broken".*would not load.*bounding box/s);
    expect(existsSync(join(dir, 'broken'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a local model folder', () => {
  it('is read where it lies (no copy in the cache), and a changed model file is mapped anew on the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-inplace-'));
    const model = join(dir, 'model');
    writeTinyModel(model);
    const config = parseGalleryConfig('title: in place\nexhibits:\n  - { id: v, title: v, model: { path: ./model }, corpus: vocabulary }\n', join(dir, 'gallery.yaml'));
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    const positions = async () => Array.from(readExhibit(await readFile(join(workspace.exhibitsDir, 'v', POINTS_FILE))).positions);
    await precompute({ config, env: offlineEnv(dir), workspace });
    expect(existsSync(join(workspace.cacheDir, 'embeddings'))).toBe(false);
    const before = await positions();
    // The norm facet (taken from the PCA's own first pass here) is each row's L2 norm.
    const points = readExhibit(await readFile(join(workspace.exhibitsDir, 'v', POINTS_FILE)));
    const facets = readFacets(await readFile(join(workspace.exhibitsDir, 'v', FACETS_FILE)), points.count);
    const rows = tinyEmbedding(V, 8);
    Array.from(points.ids).forEach((id, i) => {
      const norm = Math.hypot(...rows.subarray(id * 8, id * 8 + 8));
      expect(facets.norm[i]).toBeCloseTo(norm, 5);
    });

    // New weights of the same shape, written in place (a fine-tune saved over the old file).
    const values = tinyEmbedding(V, 8).map((v, i) => v * (1 + (i % 5)) - (i % 3));
    writeTinyModel(model, { tensors: { 'model.embed_tokens.weight': { dtype: 'F32', shape: [V, 8], values } } });
    const [outcome] = await precompute({ config, env: offlineEnv(dir), workspace });
    expect(outcome.status).toBe('built');
    expect(await positions()).not.toEqual(before);
    expect(existsSync(join(workspace.cacheDir, 'embeddings'))).toBe(false);
  });
});

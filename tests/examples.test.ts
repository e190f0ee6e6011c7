/**
 * Every config in examples/ builds, as a user would run it, against the loopback Hub serving stand-ins of
 * those repos (real tokenizer files, synthetic weights of the real vocabulary size): the right tensor is
 * found, the vocabulary has the family's size, and the page data reads back.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExampleRepos } from '../scripts/loopback-hub/exampleRepos.ts';
import { buildFixtureMirror } from '../scripts/loopback-hub/fixtureMirror.ts';
import { startLoopbackHub, type LoopbackHub } from '../scripts/loopback-hub/server.ts';
import { MANIFEST_FILE, POINTS_FILE, type ExhibitManifest } from '../src/artifact/manifest.ts';
import { readExhibit } from '../src/artifact/readExhibit.ts';
import { loadGalleryConfig, parseGalleryConfig } from '../src/config/index.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { hasFixtures } from './support/fixtures.ts';

interface Expected {
  repo: string;
  tensor: string;
  rows: number;
  tied: boolean;
  /** Hidden size of the stand-in (8, except where the format needs more). */
  hidden?: number;
  /** Tokens the tokenizer has (the vocabulary exhibit's points, when the config has one). */
  tokens?: number;
}

const EXAMPLES: Record<string, Expected> = {
  'mistral-7b.yaml': { repo: 'mistralai/Mistral-7B-v0.1', tensor: 'model.embed_tokens.weight', rows: 32000, tied: false },
  'gemma-2-2b.yaml': { repo: 'google/gemma-2-2b', tensor: 'model.embed_tokens.weight', rows: 256000, tied: true, tokens: 256000 },
  'phi-3-mini.yaml': { repo: 'microsoft/Phi-3-mini-4k-instruct', tensor: 'model.embed_tokens.weight', rows: 32064, tied: false, tokens: 32011 },
  'gpt2.yaml': { repo: 'openai-community/gpt2', tensor: 'wte.weight', rows: 50257, tied: true, tokens: 50257 },
  'bert-base-uncased.yaml': { repo: 'google-bert/bert-base-uncased', tensor: 'bert.embeddings.word_embeddings.weight', rows: 30522, tied: true, tokens: 30522 },
  'llama-3-8b.yaml': { repo: 'meta-llama/Meta-Llama-3-8B', tensor: 'model.embed_tokens.weight', rows: 128256, tied: false, tokens: 128256 },
  'qwen2.5-7b.yaml': { repo: 'Qwen/Qwen2.5-7B', tensor: 'model.embed_tokens.weight', rows: 152064, tied: false, tokens: 151665 },
  'llama-2-7b-q4_k_m-gguf.yaml': { repo: 'TheBloke/Llama-2-7B-GGUF', tensor: 'token_embd.weight', rows: 32000, tied: false, hidden: 256 },
};

describe.skipIf(!hasFixtures)('examples/ build against the loopback Hub', () => {
  let root: string;
  let hub: LoopbackHub;
  let served: string[];
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tks-examples-'));
    await buildFixtureMirror(join(root, 'mirror'));
    served = await buildExampleRepos(join(root, 'mirror'));
    hub = await startLoopbackHub({ root: join(root, 'mirror') });
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
  });

  it('has a test expectation for every example file', () => {
    expect(readdirSync(resolve('examples')).filter((f) => f.endsWith('.yaml')).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it('takes a tokenizer from the Hub for a llama2.c checkpoint (tokenizer: meta-llama/Llama-2-7b-hf)', async () => {
    const dir = join(root, 'hub-tokenizer');
    mkdirSync(dir, { recursive: true });
    // A one-layer checkpoint over LLaMA-2's 32000 tokens, dim 8.
    const [dim, vocab] = [8, 32000];
    const header = Buffer.alloc(28);
    [dim, dim, 1, 1, 1, vocab, 1].forEach((v, i) => header.writeInt32LE(v, i * 4));
    const rest = dim + 4 * dim * dim + dim + 3 * dim * dim + dim + dim;
    const table = Float32Array.from({ length: vocab * dim }, (_, i) => Math.cos(i * 0.29) * (1 + (i % dim)));
    writeFileSync(join(dir, 'model.bin'), Buffer.concat([header, Buffer.from(table.buffer), Buffer.alloc(rest * 4)]));
    const config = parseGalleryConfig(
      'title: T\nexhibits:\n  - { id: l2c, title: T, model: { llama2c: ./model.bin, tokenizer: meta-llama/Llama-2-7b-hf }, corpus: vocabulary }\n',
      join(dir, 'gallery.yaml'),
    );
    const env: HubEnvironment = { endpoint: hub.url, token: null, cacheDir: join(dir, 'hf'), offline: false, urlMirror: null };
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    await precompute({ config, env, workspace });
    const points = readExhibit(await readFile(join(workspace.exhibitsDir, 'l2c', POINTS_FILE)));
    expect(points.count).toBe(32000);
    expect(points.pieces[15043]).toBe('▁Hello');
  }, 120_000);

  for (const [file, expected] of Object.entries(EXAMPLES)) {
    it(`builds ${file}`, async (context) => {
      if (!served.includes(expected.repo)) {
        // The family's tokenizer form or model format comes with another branch (see the report); until then
        // the loopback Hub has no stand-in for it.
        console.warn(`[skipped] ${file}: the loopback Hub serves no stand-in for ${expected.repo} yet`);
        context.skip();
      }
      const loaded = await loadGalleryConfig(resolve('examples', file));
      // All-vs-all neighbours of a 128k–256k stand-in cost minutes of CPU and are tested on their own
      // (tests/neighbors.test.ts); here the model forms are what is checked.
      const config = expected.rows > 60_000 ? { ...loaded, exhibits: loaded.exhibits.map((e) => ({ ...e, neighbors: null })) } : loaded;
      const env: HubEnvironment = { endpoint: hub.url, token: null, cacheDir: join(root, file, 'hf'), offline: false, urlMirror: `${hub.url}/urls` };
      const workspace = { cacheDir: join(root, file, 'cache'), exhibitsDir: join(root, file, 'exhibits') };
      const outcomes = await precompute({ config, env, workspace });
      expect(outcomes.map((o) => o.status)).toEqual(config.exhibits.map(() => 'built'));
      for (const exhibit of config.exhibits) {
        const manifest = JSON.parse(await readFile(join(workspace.exhibitsDir, exhibit.id, MANIFEST_FILE), 'utf8')) as ExhibitManifest;
        const points = readExhibit(await readFile(join(workspace.exhibitsDir, exhibit.id, POINTS_FILE)));
        expect(manifest.model).toMatchObject({ id: expected.repo, source: 'hub', vocabSize: expected.rows, hiddenSize: expected.hidden ?? 8, tied: expected.tied, tensorRole: exhibit.tensor });
        expect(manifest.model.tensor).toBe(exhibit.tensor === 'output' && !expected.tied ? manifest.model.tensor : expected.tensor);
        expect(points.count).toBe(manifest.tokens.shown);
        if (exhibit.corpus.kind === 'vocabulary' && expected.tokens) expect(points.count).toBeGreaterThanOrEqual(expected.tokens - 1);
        if (exhibit.corpus.kind === 'dataset') expect(manifest.tokens.total).toBeGreaterThan(100_000);
      }
    }, 300_000);
  }
});

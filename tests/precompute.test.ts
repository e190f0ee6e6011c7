/**
 * `npm run precompute` end to end against a loopback Hub that speaks the Hub's URLs, with the repository's
 * own gallery.config.yaml: LLaMA-2 (sharded F16, the real tokenizer), Salesforce/wikitext as parquet, and
 * the Divine Comedy URL. What a user would check: only header and embedding bytes travel, counts equal
 * SentencePiece's, coordinates equal scikit-learn's, and a second run fetches and recomputes nothing.
 */
import { existsSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureMirror, LLAMA_REPO, GATED_REPO } from '../scripts/loopback-hub/fixtureMirror.ts';
import { startLoopbackHub, type LoopbackHub } from '../scripts/loopback-hub/server.ts';
import type { ExhibitManifest, GalleryIndex } from '../src/artifact/manifest.ts';
import { readExhibit } from '../src/artifact/readExhibit.ts';
import { readFacets } from '../src/artifact/readFacets.ts';
import { readNeighbors } from '../src/artifact/readNeighbors.ts';
import { loadGalleryConfig, parseGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import type { Workspace } from '../src/pipeline/workspace.ts';
import { hasFixtures, pythonHas, runPython } from './support/fixtures.ts';

const TOKEN = 'hf_test_token';

describe.skipIf(!hasFixtures)('precompute against a loopback Hub', () => {
  let hub: LoopbackHub;
  let root: string;
  let mirror: string;
  let env: HubEnvironment;
  let workspace: Workspace;
  let firstRun: Awaited<ReturnType<typeof precompute>>;
  let firstRequests: LoopbackHub['requests'];
  const log: string[] = [];

  const readManifest = (id: string) => JSON.parse(readFileSync(join(workspace.exhibitsDir, id, 'manifest.json'), 'utf8')) as ExhibitManifest;
  /** points.csv rows by column name (RFC 4180: quoted fields may hold commas and doubled quotes). */
  const readCsvRows = (id: string): Record<string, string>[] => {
    const lines = readFileSync(join(workspace.exhibitsDir, id, 'points.csv'), 'utf8').trim().split('\r\n');
    const fields = (line: string) => [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) => m[1].replace(/^"|"$/g, '').replaceAll('""', '"'));
    const header = fields(lines[0]);
    return lines.slice(1).map((line) => Object.fromEntries(fields(line).map((v, i) => [header[i], v])));
  };
  const readCsv = (id: string) =>
    readCsvRows(id).map((row) => ({ id: Number(row.token_id), count: Number(row.count), xyz: [Number(row.x), Number(row.y), Number(row.z)] }));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tks-precompute-'));
    mirror = join(root, 'hub-root');
    await buildFixtureMirror(mirror);
    hub = await startLoopbackHub({ root: mirror, gated: [GATED_REPO], token: TOKEN });
    env = { endpoint: hub.url, token: null, cacheDir: join(root, 'hf-home', 'hub'), offline: false, urlMirror: `${hub.url}/urls` };
    workspace = { cacheDir: join(root, 'cache'), exhibitsDir: join(root, 'exhibits') };
    const config = await loadGalleryConfig(resolve('gallery.config.yaml'));
    firstRun = await precompute({ config, env, workspace, log: (l) => log.push(l) });
    firstRequests = [...hub.requests];
  }, 300_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('builds the three exhibits of the default config', () => {
    expect(firstRun.map((o) => [o.id, o.status])).toEqual([
      ['llama2-wikitext', 'built'],
      ['llama2-commedia', 'built'],
      ['llama2-vocabulary', 'built'],
    ]);
    const gallery = JSON.parse(readFileSync(join(workspace.exhibitsDir, 'gallery.json'), 'utf8')) as GalleryIndex;
    expect(gallery.title).toBe('LLaMA 2 token embeddings');
    expect(gallery.exhibits.map((e) => e.id)).toEqual(['llama2-wikitext', 'llama2-commedia', 'llama2-vocabulary']);
    const vocabulary = readManifest('llama2-vocabulary');
    expect(vocabulary.tokens.shown).toBe(32000);
    expect(vocabulary.model).toMatchObject({ id: LLAMA_REPO, tensor: 'model.embed_tokens.weight', dtype: 'F16', vocabSize: 32000, hiddenSize: 16 });
    expect(vocabulary.model.commit).toMatch(/^[0-9a-f]{40}$/);
    const wikitext = readManifest('llama2-wikitext');
    // datasets' rounding: 20% of 4358 rows is 871.6, which rounds to 872.
    expect(wikitext.corpus).toMatchObject({ kind: 'dataset', dataset: 'Salesforce/wikitext', config: 'wikitext-2-raw-v1', split: 'train[:20%]', rows: 872 });
    const points = readExhibit(readFileSync(join(workspace.exhibitsDir, 'llama2-commedia', 'points.bin')));
    expect(points.count).toBe(readManifest('llama2-commedia').tokens.shown);
    expect(points.texts[points.pieces.indexOf('▁Nel')]).toBe(' Nel');
  });

  it('fetches only small files, safetensors headers and the embedding bytes', () => {
    const safetensors = firstRequests.filter((r) => r.path.includes('.safetensors') && r.method === 'GET' && r.bodyBytes > 1);
    expect(safetensors.every((r) => r.range !== null)).toBe(true);
    const embeddingBytes = 32000 * 16 * 2;
    const total = safetensors.reduce((a, r) => a + r.bodyBytes, 0);
    expect(total).toBeGreaterThanOrEqual(embeddingBytes);
    // Two shard headers (a few kB) on top of the tensor; never the shard holding lm_head and the layers.
    expect(total).toBeLessThan(embeddingBytes + 64 * 1024);
    expect(firstRequests.some((r) => r.path.includes('pytorch_model'))).toBe(false);
    const shard1 = safetensors.filter((r) => r.path.includes('model-00001-of-00002'));
    expect(shard1.reduce((a, r) => a + r.bodyBytes, 0)).toBeLessThan(64 * 1024);
  });

  it('keeps downloads in the standard Hugging Face cache layout', () => {
    const folder = join(env.cacheDir, 'models--meta-llama--Llama-2-7b-hf');
    const commit = readFileSync(join(folder, 'refs', 'main'), 'utf8').trim();
    expect(commit).toBe(readManifest('llama2-wikitext').model.commit);
    const link = readlinkSync(join(folder, 'snapshots', commit, 'tokenizer.json'));
    expect(link).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/);
    expect(existsSync(join(env.cacheDir, 'datasets--Salesforce--wikitext', 'snapshots'))).toBe(true);
  });

  it.skipIf(!pythonHas('sentencepiece'))('counts the Divine Comedy exactly as SentencePiece does, line by line', () => {
    const reference = runPython<Record<string, number>>(
      `
import json, re, sys, collections
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
counts = collections.Counter()
for line in re.split(r'\\r?\\n', open(sys.argv[2], encoding='utf-8').read()):
    counts.update(sp.encode(line))
print(json.dumps(counts))`,
      [join(mirror, 'models', LLAMA_REPO, 'tokenizer.model'), join(mirror, 'urls', 'dmf.unicatt.it/~della/pythoncourse18/commedia.txt')],
    );
    const ours = Object.fromEntries(readCsv('llama2-commedia').map((p) => [String(p.id), p.count]));
    expect(ours).toEqual(reference);
  }, 60_000);

  it.skipIf(!pythonHas('sklearn', 'numpy'))('places the WikiText tokens where scikit-learn PCA does', () => {
    const points = readCsv('llama2-wikitext');
    const result = runPython<{ corr: number[]; ratio: number[] }>(
      `
import json, struct, sys
import numpy as np
from sklearn.decomposition import PCA
data = json.load(sys.stdin)
path, ids, ours = sys.argv[1], data['ids'], np.array(data['xyz'])
with open(path, 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    header = json.loads(f.read(n))
    t = header['model.embed_tokens.weight']
    f.seek(8 + n + t['data_offsets'][0])
    e = np.frombuffer(f.read(t['data_offsets'][1] - t['data_offsets'][0]), dtype=np.float16).reshape(t['shape']).astype(np.float32)
# random test weights have near-equal eigenvalues, where only the exact solver is a fair reference
pca = PCA(n_components=3, svd_solver='full')
ref = pca.fit_transform(e[ids])
print(json.dumps({"corr": [abs(float(np.corrcoef(ref[:, k], ours[:, k])[0, 1])) for k in range(3)], "ratio": pca.explained_variance_ratio_.tolist()}))`,
      [join(mirror, 'models', LLAMA_REPO, 'model-00002-of-00002.safetensors')],
      JSON.stringify({ ids: points.map((p) => p.id), xyz: points.map((p) => p.xyz) }),
    );
    for (const c of result.corr) expect(c).toBeGreaterThanOrEqual(0.999);
    const ratio = readManifest('llama2-wikitext').projection.explainedVarianceRatio;
    ratio.forEach((r, k) => expect(r).toBeCloseTo(result.ratio[k], 4));
  }, 60_000);

  it.skipIf(!pythonHas('numpy'))('lists each point\'s 10 nearest tokens of the whole vocabulary by exact cosine, as numpy finds them', () => {
    const rows = readCsvRows('llama2-commedia');
    const manifest = readManifest('llama2-commedia');
    expect(manifest.neighbors).toMatchObject({ k: 10, metric: 'cosine', searchedRows: 32000 });
    const sample = rows.filter((_, i) => i % 97 === 0);
    const result = runPython<{ ids: number[][]; sims: number[][] }>(
      `
import json, struct, sys
import numpy as np
path, ids = sys.argv[1], json.load(sys.stdin)
with open(path, 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    t = json.loads(f.read(n))['model.embed_tokens.weight']
    f.seek(8 + n + t['data_offsets'][0])
    e = np.frombuffer(f.read(t['data_offsets'][1] - t['data_offsets'][0]), dtype=np.float16).reshape(t['shape']).astype(np.float64)
u = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-300)
s = u[ids] @ u.T
s[np.arange(len(ids)), ids] = -np.inf
order = np.argsort(-s, axis=1, kind='stable')[:, :10]
print(json.dumps({"ids": order.tolist(), "sims": np.take_along_axis(s, order, 1).tolist()}))`,
      [join(mirror, 'models', LLAMA_REPO, 'model-00002-of-00002.safetensors')],
      JSON.stringify(sample.map((r) => Number(r.token_id))),
    );
    let hits = 0;
    sample.forEach((row, q) => {
      const ours = row.neighbors.split(' ').map(Number);
      const sims = row.similarities.split(' ').map(Number);
      expect(ours).toHaveLength(10);
      expect(ours).not.toContain(Number(row.token_id));
      hits += ours.filter((id) => result.ids[q].includes(id)).length;
      // Each reported similarity is the exact cosine of its pair (4 decimals in the CSV).
      const exact = new Map(result.ids[q].map((id, j) => [id, result.sims[q][j]]));
      ours.forEach((id, j) => {
        if (exact.has(id)) expect(sims[j]).toBeCloseTo(exact.get(id)!, 4);
      });
      for (let j = 1; j < 10; j++) expect(sims[j]).toBeLessThanOrEqual(sims[j - 1]);
    });
    expect(hits / (sample.length * 10)).toBeGreaterThanOrEqual(0.99);
  }, 60_000);

  it('writes neighbors.bin, facets.bin and the tokenizer files beside points.bin, each accepted by its reader', () => {
    for (const id of ['llama2-commedia', 'llama2-vocabulary']) {
      const folder = join(workspace.exhibitsDir, id);
      const manifest = readManifest(id);
      const points = readExhibit(readFileSync(join(folder, 'points.bin')));
      const neighbors = readNeighbors(readFileSync(join(folder, manifest.files.neighbors!)), points.count);
      expect(neighbors.k).toBe(10);
      // A neighbour that is on the map refers to its point; the others are named in the extra table.
      const onMap = new Set(points.ids);
      for (const id of neighbors.extra.ids) expect(onMap.has(id)).toBe(false);
      const facets = readFacets(readFileSync(join(folder, manifest.files.facets)), points.count);
      expect(facets.count).toBe(points.count);
      expect(manifest.facets).toMatchObject({ wordStartMarker: 'sentencepiece', undertrainedMethod: 'lowest-norm' });
      expect(JSON.parse(readFileSync(join(folder, manifest.files.tokenizer!), 'utf8')).model.type).toBe('BPE');
      expect(manifest.projection.axisEnds).toHaveLength(3);
      for (const end of manifest.projection.axisEnds) {
        expect(end.negative).toHaveLength(8);
        expect(end.positive).toHaveLength(8);
        for (const t of [...end.negative, ...end.positive]) expect(onMap.has(t)).toBe(true);
      }
    }
    expect(readManifest('llama2-vocabulary').neighbors!.searchedRows).toBe(32000);
  });

  it('fetches and recomputes nothing on a second run, and rebuilds only the exhibit that changed', async () => {
    hub.clearLog();
    const config = await loadGalleryConfig(resolve('gallery.config.yaml'));
    const second = await precompute({ config, env, workspace });
    expect(second.map((o) => o.status)).toEqual(['up to date', 'up to date', 'up to date']);
    expect(hub.requests.filter((r) => r.path.includes('/resolve/') || r.path.startsWith('/urls/'))).toEqual([]);

    const edited = parseGalleryConfig(readFileSync('gallery.config.yaml', 'utf8').replace('title: "LLaMA 2 7B: Dante\'s Divine Comedy"', 'title: "Dante, renamed"'), resolve('gallery.config.yaml'));
    const third = await precompute({ config: edited, env, workspace });
    expect(third.map((o) => o.status)).toEqual(['up to date', 'built', 'up to date']);
  }, 120_000);

  it('builds from the hub cache alone with HF_HUB_OFFLINE', async () => {
    const config = await loadGalleryConfig(resolve('gallery.config.yaml'));
    hub.clearLog();
    const offline = await precompute({ config, env: { ...env, offline: true }, workspace: { ...workspace, exhibitsDir: join(root, 'offline-exhibits') } });
    expect(offline.map((o) => o.status)).toEqual(['built', 'built', 'built']);
    expect(hub.requests).toEqual([]);
  }, 120_000);

  it('tells the user to accept the licence and set HF_TOKEN for a gated model, and works once they do', async () => {
    const file = join(root, 'gated.yaml');
    writeFileSync(file, `title: Gated\nexhibits:\n  - id: gated\n    title: Gated\n    model: ${GATED_REPO}\n    corpus: vocabulary\n`);
    const config = await loadGalleryConfig(file);
    const error = await precompute({ config, env, workspace }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(TokenscapeError);
    const text = (error as TokenscapeError).format();
    expect(text).toMatch(/exhibit "gated"/);
    expect(text).toMatch(/restricted/);
    expect(text).toMatch(/accept the licence/);
    expect(text).toMatch(/HF_TOKEN/);
    const built = await precompute({ config, env: { ...env, token: TOKEN }, workspace });
    expect(built[0].status).toBe('built');
    expect(hub.requests.filter((r) => r.path.includes(GATED_REPO) && r.status === 200).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  }, 120_000);
});

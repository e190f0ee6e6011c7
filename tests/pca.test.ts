/**
 * The 3D coordinates are scikit-learn's PCA(n_components=3).fit_transform on the same rows, up to the
 * sign of each axis, with the same explained-variance ratios; signs are deterministic.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRows } from '../src/embeddings/decodeRows.ts';
import { parseSafetensorsHeader, readHeaderLength } from '../src/embeddings/safetensorsHeader.ts';
import { EmbeddingFile, inMemoryBlocks } from '../src/embeddings/embeddingFile.ts';
import { fitPca as fitPcaBlocks, projectRows } from '../src/projection/pca.ts';

const fitPca = (x: Float32Array, n: number, d: number) => fitPcaBlocks(inMemoryBlocks(x, n, d));
import { fixture, hasFixtures, pythonHas, runPython } from './support/fixtures.ts';

const SKLEARN_PCA = `
import json, sys
import numpy as np
from sklearn.decomposition import PCA
n, d = int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(n, d)
pca = PCA(n_components=3, svd_solver=sys.argv[4] if len(sys.argv) > 4 else "auto")
y = pca.fit_transform(x)
print(json.dumps({"coords": y.astype(float).ravel().tolist(), "ratio": pca.explained_variance_ratio_.tolist()}))
`;

function sklearnPca(x: Float32Array, n: number, d: number, solver = 'auto') {
  const file = join(mkdtempSync(join(tmpdir(), 'tks-pca-')), 'x.f32');
  writeFileSync(file, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return runPython<{ coords: number[]; ratio: number[] }>(SKLEARN_PCA, [file, String(n), String(d), solver]);
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>, axis: number, n: number): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i * 3 + axis];
    mb += b[i * 3 + axis];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i * 3 + axis] - ma;
    const db = b[i * 3 + axis] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Rows with a decaying spectrum like real embeddings: singular values ~ i^-0.6 over a random basis. */
function syntheticEmbeddings(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const random = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const rank = Math.min(64, d);
  const basis = Float64Array.from({ length: rank * d }, gaussian);
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < rank; i++) {
      const w = gaussian() * (i + 1) ** -0.6;
      for (let c = 0; c < d; c++) x[r * d + c] += w * basis[i * d + c];
    }
    for (let c = 0; c < d; c++) x[r * d + c] += 0.05 * gaussian() + 0.3;
  }
  return x;
}

/** float16 bits of a float32 (round to nearest), for writing test files. */
function halfBits(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exponent = ((u >>> 23) & 0xff) - 127 + 15;
  const mantissa = u & 0x7fffff;
  if (exponent <= 0) return sign | Math.round((mantissa | 0x800000) / 2 ** (14 - exponent));
  if (exponent >= 31) return sign | 0x7c00;
  return sign | ((exponent << 10) + Math.round(mantissa / 8192));
}

function expectMatchesSklearn(x: Float32Array, n: number, d: number, ours: { scores: Float64Array; ratio: number[] }, solver = 'auto') {
  const reference = sklearnPca(x, n, d, solver);
  for (let axis = 0; axis < 3; axis++) {
    expect(Math.abs(correlation(ours.scores, reference.coords, axis, n))).toBeGreaterThanOrEqual(0.999);
    expect(ours.ratio[axis]).toBeCloseTo(reference.ratio[axis], 4);
  }
}

describe('PCA to 3D', () => {
  it.skipIf(!pythonHas('sklearn', 'numpy'))('matches scikit-learn on a wide matrix (the iterative solver)', async () => {
    const n = 3000;
    const d = 384;
    const x = syntheticEmbeddings(n, d, 7);
    const fit = await fitPca(Float32Array.from(x), n, d);
    expect(fit.model.iterations).toBeGreaterThan(1);
    expectMatchesSklearn(x, n, d, { scores: fit.scores, ratio: fit.model.explainedVarianceRatio });
  }, 60_000);

  // The fixture's weights are random, so its top eigenvalues are nearly equal; sklearn's default
  // (randomized, 4 power iterations) is then itself approximate, and the exact solver is the reference.
  it.skipIf(!hasFixtures || !pythonHas('sklearn', 'numpy'))('matches scikit-learn on the rows of a real safetensors embedding', async () => {
    const bytes = readFileSync(fixture('models/tiny-random-llama/model.safetensors'));
    const header = parseSafetensorsHeader(bytes.subarray(8, 8 + readHeaderLength(bytes, 'model')), 'model', bytes.length);
    const t = header.tensors.get('model.embed_tokens.weight')!;
    const [, d] = t.shape;
    const ids = Uint32Array.from({ length: 5000 }, (_, i) => 259 + i * 5);
    const x = new Float32Array(ids.length * d);
    decodeRows(bytes.subarray(t.begin, t.end), t.dtype, d, ids, x);
    const fit = await fitPca(Float32Array.from(x), ids.length, d);
    expectMatchesSklearn(x, ids.length, d, { scores: fit.scores, ratio: fit.model.explainedVarianceRatio }, 'full');
  }, 60_000);

  it('gives the same coordinates and signs every run, with the largest |coordinate| of each axis positive', async () => {
    const n = 800;
    const d = 128;
    const x = syntheticEmbeddings(n, d, 3);
    const a = await fitPca(Float32Array.from(x), n, d);
    const b = await fitPca(Float32Array.from(x), n, d);
    expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
    for (let axis = 0; axis < 3; axis++) {
      let largest = 0;
      for (let i = 0; i < n; i++) if (Math.abs(a.scores[i * 3 + axis]) > Math.abs(largest)) largest = a.scores[i * 3 + axis];
      expect(largest).toBeGreaterThan(0);
    }
  });

  it('projects other rows onto fitted axes (shared axes across exhibits)', async () => {
    const n = 600;
    const d = 96;
    const x = syntheticEmbeddings(n, d, 11);
    const fit = await fitPca(Float32Array.from(x), n, d);
    const projected = projectRows(x, n, fit.model);
    for (let i = 0; i < n * 3; i++) expect(projected[i]).toBeCloseTo(fit.scores[i], 3);
    const ratioSum = fit.model.explainedVarianceRatio.reduce((p, q) => p + q, 0);
    expect(ratioSum).toBeGreaterThan(0);
    expect(ratioSum).toBeLessThanOrEqual(1);
  });

  it('gives the same result when a large matrix is streamed from disk in blocks instead of held in memory', async () => {
    const n = 1500;
    const d = 80;
    const x = syntheticEmbeddings(n, d, 5);
    const file = join(mkdtempSync(join(tmpdir(), 'tks-rows-')), 'rows.f32');
    writeFileSync(file, new Uint8Array(x.buffer));
    const embedding = new EmbeddingFile(file, 'F32', n, d, 'test rows');
    const ids = Uint32Array.from({ length: 1000 }, (_, i) => i + Math.floor(i / 2));
    const streamed = await fitPcaBlocks(await embedding.rowBlocks(ids, 0, 250));
    const held = await fitPcaBlocks(await embedding.rowBlocks(ids, Infinity));
    for (let i = 0; i < streamed.scores.length; i++) expect(streamed.scores[i]).toBeCloseTo(held.scores[i], 3);
  }, 60_000);

  it('gives the same result whether 16-bit rows are held as float32, held as stored and widened each pass, or streamed', async () => {
    // Wider than one exact block, so the iterative solver (Krylov blocks and a restart) runs on every path.
    const n = 1200;
    const d = 200;
    const x = syntheticEmbeddings(n, d, 9);
    const dir = mkdtempSync(join(tmpdir(), 'tks-rows-'));
    const bf16 = new Uint16Array(n * d);
    const f16 = new Uint16Array(n * d);
    const view = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < x.length; i++) {
      view.setFloat32(0, x[i], true);
      bf16[i] = view.getUint32(0, true) >>> 16;
      f16[i] = halfBits(x[i]);
    }
    for (const [dtype, bits] of [['BF16', bf16], ['F16', f16]] as const) {
      const file = join(dir, `rows.${dtype}`);
      writeFileSync(file, new Uint8Array(bits.buffer));
      const embedding = new EmbeddingFile(file, dtype, n, d, 'test rows');
      for (const ids of [Uint32Array.from({ length: n }, (_, i) => i), Uint32Array.from({ length: 700 }, (_, i) => i + Math.floor(i / 3))]) {
        const asFloat32 = await fitPcaBlocks(await embedding.rowBlocks(ids, Infinity, undefined, 'float32'));
        const asStored = await fitPcaBlocks(await embedding.rowBlocks(ids, ids.length * d * 2, 50));
        const streamed = await fitPcaBlocks(await embedding.rowBlocks(ids, 0, 250));
        for (let i = 0; i < asFloat32.scores.length; i++) {
          expect(asStored.scores[i]).toBeCloseTo(asFloat32.scores[i], 4);
          expect(streamed.scores[i]).toBeCloseTo(asFloat32.scores[i], 4);
        }
      }
    }
  }, 60_000);

  it('counts the rows holding NaN or Infinity before giving up', async () => {
    const x = syntheticEmbeddings(300, 8, 1);
    x[5 * 8] = Number.NaN;
    x[200 * 8 + 3] = Number.POSITIVE_INFINITY;
    const file = join(mkdtempSync(join(tmpdir(), 'tks-rows-')), 'rows.f32');
    writeFileSync(file, new Uint8Array(x.buffer));
    const embedding = new EmbeddingFile(file, 'F32', 300, 8, 'model.embed_tokens.weight of m');
    const all = Uint32Array.from({ length: 300 }, (_, i) => i);
    await expect(embedding.rowBlocks(all, 0, 16).then(fitPcaBlocks)).rejects.toThrow(/2 of 300 embedding rows of model\.embed_tokens\.weight of m contain NaN or Infinity/);
    await expect(embedding.readRows(all)).rejects.toThrow(/2 of 300 embedding rows/);
  });

  it('refuses fewer than three rows with a message', async () => {
    await expect(fitPca(new Float32Array(8), 2, 4)).rejects.toThrow(/at least 3 distinct tokens/);
  });
});

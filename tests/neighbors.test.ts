/**
 * Nearest neighbours (src/neighbors): against an exact float64 brute force on matrices shaped like real
 * embeddings (a decaying low-rank spectrum plus noise, as make_synthetic.py makes them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../scripts/loopback-hub/fixtureMirror.ts';
import { EmbeddingFile } from '../src/embeddings/embeddingFile.ts';
import { nearestNeighbors } from '../src/neighbors/nearestNeighbors.ts';
import { mulberry32 } from '../src/projection/seededRandom.ts';

const dir = mkdtempSync(join(tmpdir(), 'tks-neighbors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** rows × dims: (U·S)·V·0.05 + noise, S_i = i^-0.8 (make_synthetic.py's recipe), as float32 values. */
function structured(rows: number, dims: number, rank: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const v = Float64Array.from({ length: rank * dims }, () => gauss() / Math.sqrt(dims));
  const x = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) {
    const u = Array.from({ length: rank }, (_, i) => gauss() * (i + 1) ** -0.8);
    for (let c = 0; c < dims; c++) {
      let s = 0;
      for (let i = 0; i < rank; i++) s += u[i] * v[i * dims + c];
      x[r * dims + c] = s * 0.05 + gauss() * 0.004;
    }
  }
  return x;
}

/** Writes float32 values as `dtype` and returns the file, and the values as stored (rounded). */
function store(x: Float32Array, rows: number, dims: number, dtype: 'F32' | 'F16' | 'BF16', name: string): { file: EmbeddingFile; stored: Float64Array } {
  const path = join(dir, `${name}.bin`);
  const stored = new Float64Array(x.length);
  if (dtype === 'F32') {
    writeFileSync(path, new Uint8Array(x.buffer));
    stored.set(x);
  } else {
    const bits = Uint16Array.from(x, (v) => (dtype === 'F16' ? f32ToF16Bits(v) : f32ToBf16Bits(v)));
    writeFileSync(path, new Uint8Array(bits.buffer));
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    bits.forEach((b, i) => {
      if (dtype === 'F16') stored[i] = f16BitsToF32(b);
      else {
        u[0] = b << 16;
        stored[i] = f[0];
      }
    });
  }
  return { file: new EmbeddingFile(path, dtype, rows, dims, name), stored };
}

/** Exact cosine top-k (float64), self excluded, ties by lower id. */
function bruteForce(x: Float64Array, rows: number, dims: number, queries: number[], k: number): { ids: number[][]; sims: number[][] } {
  const norms = Array.from({ length: rows }, (_, r) => Math.sqrt(x.subarray(r * dims, (r + 1) * dims).reduce((s, v) => s + v * v, 0)));
  const ids: number[][] = [];
  const sims: number[][] = [];
  for (const q of queries) {
    const scored: [number, number][] = [];
    for (let r = 0; r < rows; r++) {
      if (r === q) continue;
      let dot = 0;
      for (let c = 0; c < dims; c++) dot += x[q * dims + c] * x[r * dims + c];
      scored.push([norms[q] * norms[r] > 0 ? dot / (norms[q] * norms[r]) : 0, r]);
    }
    scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    ids.push(scored.slice(0, k).map((s) => s[1]));
    sims.push(scored.slice(0, k).map((s) => s[0]));
  }
  return { ids, sims };
}

const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('nearest neighbours by cosine over the whole vocabulary', () => {
  const rows = 3000;
  const dims = 96;
  const x = structured(rows, dims, 24, 11);
  const { file, stored } = store(x, rows, dims, 'F32', 'structured');
  const queries = Array.from({ length: rows }, (_, i) => i);
  const exact = bruteForce(stored, rows, dims, queries, 10);

  it('finds ≥ 99% of the exact top-10 of every row, reports exact cosines, nearest first, never itself', async () => {
    // Small tiles, so the symmetric tiling (rows and columns of each tile) is exercised many times.
    const result = await nearestNeighbors(file, all(rows), all(rows), { k: 10, tileRows: 256 });
    let hits = 0;
    let worstError = 0;
    let selfListed = 0;
    let outOfOrder = 0;
    for (let q = 0; q < rows; q++) {
      const ours = Array.from(result.ids.subarray(q * 10, q * 10 + 10));
      if (ours.includes(q)) selfListed++;
      const truth = new Set(exact.ids[q]);
      hits += ours.filter((id) => truth.has(id)).length;
      for (let j = 0; j < 10; j++) {
        const other = ours[j];
        let dot = 0;
        let a = 0;
        let b = 0;
        for (let c = 0; c < dims; c++) {
          dot += stored[q * dims + c] * stored[other * dims + c];
          a += stored[q * dims + c] ** 2;
          b += stored[other * dims + c] ** 2;
        }
        worstError = Math.max(worstError, Math.abs(result.similarities[q * 10 + j] - dot / Math.sqrt(a * b)));
        if (j > 0 && result.similarities[q * 10 + j] > result.similarities[q * 10 + j - 1]) outOfOrder++;
      }
    }
    expect(hits / (rows * 10)).toBeGreaterThanOrEqual(0.99);
    expect(worstError).toBeLessThan(1e-6);
    expect(selfListed).toBe(0);
    expect(outOfOrder).toBe(0);
  }, 120_000);

  it('gives a subset of queries the same neighbours, still searched over every row', async () => {
    const subset = Uint32Array.from(queries.filter((q) => q % 7 === 3));
    const result = await nearestNeighbors(file, all(rows), subset, { k: 5 });
    let hits = 0;
    subset.forEach((q, i) => {
      const ours = Array.from(result.ids.subarray(i * 5, i * 5 + 5));
      expect(ours).not.toContain(q);
      hits += ours.filter((id) => exact.ids[q].slice(0, 5).includes(id)).length;
    });
    expect(hits / (subset.length * 5)).toBeGreaterThanOrEqual(0.99);
  }, 60_000);

  it('orders tied similarities by token id, the same way on every run', async () => {
    // Rows 10..15 are copies of row 3: for row 3 they tie at similarity 1.
    const y = Float32Array.from(x);
    for (let r = 10; r < 16; r++) y.set(x.subarray(3 * dims, 4 * dims), r * dims);
    const { file: tied } = store(y, rows, dims, 'F32', 'ties');
    const first = await nearestNeighbors(tied, all(rows), all(rows), { k: 10, tileRows: 512 });
    const second = await nearestNeighbors(tied, all(rows), all(rows), { k: 10, tileRows: 1024 });
    expect(Array.from(first.ids.subarray(3 * 10, 3 * 10 + 6))).toEqual([10, 11, 12, 13, 14, 15]);
    expect(Array.from(first.ids.subarray(12 * 10, 12 * 10 + 6))).toEqual([3, 10, 11, 13, 14, 15]);
    expect(first.similarities[3 * 10]).toBeCloseTo(1, 6);
    expect(Array.from(second.ids)).toEqual(Array.from(first.ids));
  }, 120_000);

  it.each(['F16', 'BF16'] as const)('reads %s rows and reports the exact cosines of the stored values', async (dtype) => {
    const n = 1200;
    const small = x.subarray(0, n * dims);
    const { file: half, stored: values } = store(small, n, dims, dtype, `half-${dtype}`);
    const reference = bruteForce(values, n, dims, [0, 17, 500, 1199], 10);
    const result = await nearestNeighbors(half, all(n), Uint32Array.of(0, 17, 500, 1199), { k: 10 });
    [0, 1, 2, 3].forEach((q) => {
      expect(Array.from(result.ids.subarray(q * 10, q * 10 + 10))).toEqual(reference.ids[q]);
      reference.sims[q].forEach((s, j) => expect(result.similarities[q * 10 + j]).toBeCloseTo(s, 5));
    });
  }, 60_000);

  it('gives an all-zero row similarity 0 with everything, not NaN', async () => {
    const y = Float32Array.from(x.subarray(0, 500 * dims));
    y.fill(0, 7 * dims, 8 * dims);
    const { file: zero } = store(y, 500, dims, 'F32', 'zero');
    const result = await nearestNeighbors(zero, all(500), all(500), { k: 3 });
    for (const s of result.similarities) expect(Number.isFinite(s)).toBe(true);
    expect(Array.from(result.similarities.subarray(7 * 3, 8 * 3))).toEqual([0, 0, 0]);
  }, 60_000);

  it('refuses rows holding NaN or Infinity with one error naming the tensor, and takes huge finite rows', async () => {
    const y = Float32Array.from(x.subarray(0, 400 * dims));
    y[5 * dims + 3] = Number.NaN;
    y[9 * dims] = Number.POSITIVE_INFINITY;
    const { file: bad } = store(y, 400, dims, 'F32', 'nonfinite');
    await expect(nearestNeighbors(bad, all(400), all(400), { k: 3 })).rejects.toThrow(/2 of 400 embedding rows of nonfinite contain NaN or Infinity/);

    // Squares of 1e30 overflow float32 but not the float64 norms: the row's neighbours are still exact.
    const z = Float32Array.from(x.subarray(0, 400 * dims));
    for (let c = 0; c < dims; c++) z[7 * dims + c] = z[8 * dims + c] * 1e30;
    const { file: huge, stored } = store(z, 400, dims, 'F32', 'huge');
    const result = await nearestNeighbors(huge, all(400), Uint32Array.of(7, 8), { k: 1 });
    expect(result.ids[0]).toBe(8);
    expect(result.ids[1]).toBe(7);
    expect(result.similarities[0]).toBeCloseTo(1, 6);
    expect(bruteForce(stored, 400, dims, [7], 1).ids[0]).toEqual([8]);
  }, 60_000);
});

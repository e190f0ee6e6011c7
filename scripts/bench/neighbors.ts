/**
 * Nearest-neighbour figures: all-vs-all top-10 by cosine of a whole embedding matrix (src/neighbors/),
 * run in a child process so its peak RSS is its own, then recall@10 against exact brute force
 * (float32 cosines of every pair, onnxruntime GEMM + TopK) over all queries or a random sample.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import type { EmbeddingFile } from '../../src/embeddings/embeddingFile.ts';
import { nearestNeighbors } from '../../src/neighbors/nearestNeighbors.ts';
import { encodeNeighbors } from '../../src/artifact/writeNeighbors.ts';
import { ElementType, encodeOnnxModel } from '../../src/projection/onnxGraph.ts';
import { mulberry32 } from '../../src/projection/seededRandom.ts';
import { embeddingOf } from './inputs.ts';

export const K = 10;

export interface NeighborFigures {
  seconds: number;
  phases: { quantise: number; candidates: number; exact: number };
  /** CPU seconds (all threads) of each phase. */
  cpu: { quantise: number; candidates: number; exact: number };
  /** 1-minute load average before and after the search: the machine is shared, so say how busy it was. */
  load: [number, number];
  maxRssBytes: number;
  /** neighbors.bin of the full-vocabulary exhibit: bytes as written and gzip-compressed. */
  file: { bytes: number; gzipBytes: number };
  recall: number;
  recallQueries: number;
  rows: number;
  bruteSeconds: number;
}

/** Exact top-k ids of `sample` rows against all rows, by float32 cosine (ties: lower id). */
async function bruteForce(file: EmbeddingFile, sample: Uint32Array, k: number): Promise<Uint32Array> {
  const dims = file.cols;
  const normalise = (x: Float32Array, rows: number) => {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < dims; c++) s += x[r * dims + c] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let c = 0; c < dims; c++) x[r * dims + c] *= inv;
    }
    return x;
  };
  const queries = normalise(await file.readRows(sample), sample.length);
  const session = await ort.InferenceSession.create(
    encodeOnnxModel(
      [
        { op: 'Transpose', inputs: ['B'], outputs: ['BT'], intAttributes: { perm: [1, 0] } },
        { op: 'MatMul', inputs: ['Q', 'BT'], outputs: ['S'] },
        { op: 'TopK', inputs: ['S', 'K'], outputs: ['V', 'I'], intAttributes: { axis: 1 } },
      ],
      [{ name: 'Q', dims: ['q', 'd'] }, { name: 'B', dims: ['b', 'd'] }, { name: 'K', dims: [1], elementType: ElementType.int64 }],
      [{ name: 'V', dims: ['q', 'k'] }, { name: 'I', dims: ['q', 'k'], elementType: ElementType.int64 }],
    ),
    { intraOpNumThreads: availableParallelism(), enableCpuMemArena: false },
  );
  const want = k + 1;
  const bestScore = new Float32Array(sample.length * want).fill(-Infinity);
  const bestId = new Uint32Array(sample.length * want);
  const all = Uint32Array.from({ length: file.rows }, (_, i) => i);
  const blocks = await file.rowBlocks(all, 0, 4096);
  await blocks.forEachBlock(async (block, first, count) => {
    const b = normalise(Float32Array.from(block), count);
    const out = await session.run({
      Q: new ort.Tensor('float32', queries, [sample.length, dims]),
      B: new ort.Tensor('float32', b, [count, dims]),
      K: new ort.Tensor('int64', BigInt64Array.of(BigInt(Math.min(want, count))), [1]),
    });
    const w = Math.min(want, count);
    const v = out.V.data as Float32Array;
    const ix = out.I.data as BigInt64Array;
    for (let q = 0; q < sample.length; q++) {
      const merged: [number, number][] = [];
      for (let j = 0; j < want; j++) if (bestScore[q * want + j] > -Infinity) merged.push([bestScore[q * want + j], bestId[q * want + j]]);
      for (let j = 0; j < w; j++) merged.push([v[q * w + j], first + Number(ix[q * w + j])]);
      merged.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
      for (let j = 0; j < want; j++) {
        bestScore[q * want + j] = merged[j]?.[0] ?? -Infinity;
        bestId[q * want + j] = merged[j]?.[1] ?? 0;
      }
    }
  });
  const out = new Uint32Array(sample.length * k);
  for (let q = 0; q < sample.length; q++) {
    let j = 0;
    for (let i = 0; i < want && j < k; i++) if (bestId[q * want + i] !== sample[q]) out[q * k + j++] = bestId[q * want + i];
  }
  return out;
}

/** All-vs-all neighbours of a bench matrix, then recall on `sampleSize` queries (0 = all). */
export async function benchNeighbors(weights: string, work: string, sampleSize: number, log: (s: string) => void): Promise<NeighborFigures> {
  const idsFile = join(work, `neighbors-${Date.now()}.u32`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench/neighbors.ts', weights, idsFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const run = JSON.parse(out.trim().split('\n').pop()!) as Pick<NeighborFigures, 'seconds' | 'phases' | 'cpu' | 'load' | 'maxRssBytes' | 'rows' | 'file'>;
  const ids = new Uint32Array(readFileSync(idsFile).buffer.slice(0));
  const started = performance.now();
  const recall = await recallAgainstBruteForce(weights, ids, sampleSize, log);
  return { ...run, ...recall, bruteSeconds: (performance.now() - started) / 1000 };
}

/** recall@K of all-vs-all neighbour ids (rows·K) against exact brute force, on `sampleSize` random queries (0 = all). */
export async function recallAgainstBruteForce(weights: string, ids: Uint32Array, sampleSize: number, log: (s: string) => void): Promise<{ recall: number; recallQueries: number }> {
  const file = embeddingOf(weights);
  let sample: Uint32Array;
  if (sampleSize <= 0 || sampleSize >= file.rows) sample = Uint32Array.from({ length: file.rows }, (_, i) => i);
  else {
    const random = mulberry32(7);
    const picked = new Set<number>();
    while (picked.size < sampleSize) picked.add(Math.floor(random() * file.rows));
    sample = Uint32Array.from([...picked].sort((a, b) => a - b));
  }
  log(`  brute force over ${sample.length} queries …`);
  let hits = 0;
  for (let s0 = 0; s0 < sample.length; s0 += 2048) {
    const part = sample.subarray(s0, Math.min(sample.length, s0 + 2048));
    const exact = await bruteForce(file, part, K);
    for (let q = 0; q < part.length; q++) {
      const truth = new Set(exact.subarray(q * K, (q + 1) * K));
      for (let j = 0; j < K; j++) if (truth.has(ids[part[q] * K + j])) hits++;
    }
  }
  return { recall: hits / (sample.length * K), recallQueries: sample.length };
}

// Child-process entry: `tsx scripts/bench/neighbors.ts <weights> <ids-out>` prints one JSON line.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [weights, idsOut] = process.argv.slice(2);
  const file = embeddingOf(weights);
  const all = Uint32Array.from({ length: file.rows }, (_, i) => i);
  const loadBefore = loadavg()[0];
  const started = performance.now();
  const result = await nearestNeighbors(file, all, all, { k: K, log: (s) => process.stderr.write(`${s}\n`) });
  const seconds = (performance.now() - started) / 1000;
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  writeFileSync(idsOut, result.ids);
  // neighbors.bin of a full-vocabulary exhibit of this matrix (every neighbour is a point of the map), as
  // written and as a static host serves it (gzip).
  const bin = encodeNeighbors({ k: result.k, count: file.rows, refs: result.ids, similarities: result.similarities, extra: { ids: new Uint32Array(0), texts: [], pieces: [], special: [], byteToken: [] } });
  const file_ = { bytes: bin.length, gzipBytes: gzipSync(bin).length };
  process.stdout.write(`${JSON.stringify({ seconds, phases: result.seconds, cpu: result.cpuSeconds, load: [loadBefore, loadavg()[0]], maxRssBytes, rows: file.rows, file: file_ })}\n`);
}

/**
 * The k nearest rows of each query row by cosine similarity, over all hidden dimensions and a whole
 * vocabulary, in two passes:
 *   1. candidates: every row quantised natively to int8 with its own scale (its largest |value| → 127;
 *      half the stored bytes of a 16-bit matrix), scored against every other row with native int8
 *      products (4× the float32 rate), keeping the best `candidates` per query. When the queries are the
 *      whole search set, each tile of the score matrix serves its rows and its columns, so only half of
 *      it is computed. The first tiles fill every list with a TopK; after that a tile hands back only the
 *      entries at or above the worst candidate of their row's or column's list, which is almost nothing.
 *   2. exact: the candidates re-scored with float32 cosines of the stored rows (read into the int8
 *      buffer a stripe at a time, so the two copies are never held together), sorted (ties: lower id
 *      first), cut to k. Every reported similarity is the exact cosine of its pair.
 * Exact float32 all-vs-all would be 4× the work of pass 1 (and 2× again without the symmetry); the
 * int8 error (~2e-4 in cosine) is far below the gap between the k-th and the `candidates`-th score, so
 * recall against exact search stays ≥ 0.99 (tests/neighbors.test.ts, npm run bench -- --only neighbors).
 */
import { closeSync, openSync } from 'node:fs';
import type { EmbeddingFile } from '../embeddings/embeddingFile.ts';
import { widenInto } from '../embeddings/widenRows.ts';
import { batchDots, quantiseBlock, tileAbove, tileBest } from './neighborKernels.ts';
import { KernelSessions } from './kernelSessions.ts';
import { readStoredRows } from './storedRows.ts';

export interface NeighborOptions {
  k: number;
  /** Candidates per query kept from the int8 pass and re-scored exactly. */
  candidates?: number;
  /** Rows per block/tile of the int8 score matrix. */
  tileRows?: number;
  log?: (line: string) => void;
}

export interface NeighborResult {
  /** queries·k row ids (ids of the embedding matrix = token ids), nearest first. */
  ids: Uint32Array;
  /** queries·k exact cosine similarities, parallel to ids. */
  similarities: Float32Array;
  k: number;
  /** Search rows (the whole vocabulary). */
  searched: number;
  seconds: { quantise: number; candidates: number; exact: number };
  /** CPU seconds (user + system, all threads) of each phase. */
  cpuSeconds: { quantise: number; candidates: number; exact: number };
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Method name written into manifests; bump NEIGHBOR_METHOD_VERSION with any change to the results. */
export const NEIGHBOR_METHOD = 'int8 candidates (onnxruntime MatMulInteger) + exact float32 cosine re-ranking';
export const NEIGHBOR_METHOD_VERSION = 2;
export const DEFAULT_CANDIDATES = Number(process.env.TOKENSCAPE_NEIGHBOR_CANDIDATES ?? 16);

/** Elements per quantisation run (128 rows of 4096): the run's temporaries (~10 MB) stay in the cache and the arena small. */
const QUANTISE_BLOCK_ELEMENTS = 512 * 1024;

interface QuantisedRows {
  /** rows·dims int8 values of the normalised rows, each row scaled so its largest |value| is 127. */
  values: Int8Array;
  /** Per row: cosine ≈ Σ qa·qb · scale[a] · scale[b]. */
  scales: Float32Array;
  norms: Float64Array;
}

/**
 * Quantises the search rows natively, block by block from the file, into the front of `buffer` (which
 * is later refilled with the stored rows for the exact pass: the int8 copy and the stored copy are never
 * alive together).
 */
async function quantiseRows(embedding: EmbeddingFile, fd: number, sessions: KernelSessions, searchIds: Uint32Array, buffer: ArrayBuffer): Promise<QuantisedRows> {
  const dims = embedding.cols;
  const n = searchIds.length;
  const values = new Int8Array(buffer, 0, n * dims);
  const scales = new Float32Array(n);
  const norms = new Float64Array(n);
  const dtype = embedding.dtype as StoredType;
  const blockRows = Math.max(1, Math.floor(QUANTISE_BLOCK_ELEMENTS / dims));
  const raw = new Uint8Array(Math.min(blockRows, n) * embedding.rowBytes);
  const wide = dtype === 'BF16' ? new Float32Array(Math.min(blockRows, n) * dims) : null;
  let nonFinite = 0;
  for (let first = 0; first < n; first += blockRows) {
    const count = Math.min(blockRows, n - first);
    readStoredRows(embedding, fd, searchIds, first, first + count, raw, 0);
    let block: Float32Array | Uint16Array;
    if (dtype === 'F32') block = new Float32Array(raw.buffer, 0, count * dims);
    else {
      block = new Uint16Array(raw.buffer, 0, count * dims);
      if (wide) {
        await widenInto(block, 'BF16', wide.subarray(0, count * dims));
        block = wide;
      }
    }
    const { sumSquares, maxAbs } = await quantiseBlock(sessions, block, dtype === 'F16' ? 'F16' : 'F32', count, dims, values.subarray(first * dims, (first + count) * dims));
    for (let r = 0; r < count; r++) {
      const row = first + r;
      const sum = sumSquares[r];
      if (!Number.isFinite(sum) || !Number.isFinite(maxAbs[r])) {
        nonFinite++;
        continue;
      }
      norms[row] = Math.sqrt(sum);
      // An all-zero row (or one so small that it quantised to zeros): similarity 0 with everything.
      scales[row] = maxAbs[r] > 0 ? Math.max(maxAbs[r], 1e-30) / 127 / norms[row] : 0; // the factor quantiseBlock used
    }
  }
  if (nonFinite > 0) throw embedding.nonFiniteError(nonFinite, n);
  return { values, scales, norms };
}

/** Per-query running best `c` (score, search index), unsorted, with the worst tracked. */
class CandidateLists {
  readonly scores: Float32Array;
  readonly indices: Int32Array;
  private readonly worst: Int32Array;
  private readonly filled: Uint8Array;

  constructor(
    readonly queries: number,
    readonly c: number,
  ) {
    this.scores = new Float32Array(queries * c).fill(-Infinity);
    this.indices = new Int32Array(queries * c).fill(-1);
    this.worst = new Int32Array(queries);
    this.filled = new Uint8Array(queries);
  }

  /** The worst score a query's list holds: nothing below it can enter (-Infinity while the list is not full). */
  floor(query: number): number {
    return this.scores[query * this.c + this.worst[query]];
  }

  offer(query: number, index: number, score: number): void {
    const c = this.c;
    const base = query * c;
    const w = base + this.worst[query];
    const scores = this.scores;
    // Equal scores keep the lower index, so candidate sets do not depend on tile order.
    if (score < scores[w] || (score === scores[w] && index > this.indices[w])) return;
    scores[w] = score;
    this.indices[w] = index;
    let worst = 0;
    for (let i = 1; i < c; i++) {
      const a = scores[base + i];
      const b = scores[base + worst];
      if (a < b || (a === b && this.indices[base + i] > this.indices[base + worst])) worst = i;
    }
    this.worst[query] = worst;
  }
}

/**
 * Nearest neighbours of the rows `queryIds` among the rows `searchIds` (both ascending; every query
 * must be a search row), excluding the query itself.
 */
export async function nearestNeighbors(embedding: EmbeddingFile, searchIds: Uint32Array, queryIds: Uint32Array, options: NeighborOptions): Promise<NeighborResult> {
  const n = searchIds.length;
  const k = Math.min(options.k, n - 1);
  if (k < 1) throw new Error('nearestNeighbors: need at least two search rows');
  const c = Math.min(Math.max(options.candidates ?? DEFAULT_CANDIDATES, k), n - 1);
  const tileRows = options.tileRows ?? Number(process.env.TOKENSCAPE_NEIGHBOR_TILE ?? 1024);
  const started = performance.now();
  const cpu0 = cpuNow();

  const queryIndex = new Int32Array(queryIds.length);
  for (let q = 0, s = 0; q < queryIds.length; q++) {
    while (s < n && searchIds[s] < queryIds[q]) s++;
    if (searchIds[s] !== queryIds[q]) throw new Error(`nearestNeighbors: query row ${queryIds[q]} is not a search row`);
    queryIndex[q] = s;
  }

  if (!['F32', 'F16', 'BF16'].includes(embedding.dtype)) {
    throw new Error(`nearestNeighbors: rows stored as ${embedding.dtype} are not supported (F32, F16, BF16)`);
  }
  const fd = openSync(embedding.path, 'r');
  const sessions = new KernelSessions();
  try {
    return await searchWith(embedding, fd, sessions, searchIds, queryIds, queryIndex, { k, c, tileRows, started, cpu0, log: options.log });
  } finally {
    await sessions.release();
    closeSync(fd);
  }
}

async function searchWith(
  embedding: EmbeddingFile,
  fd: number,
  sessions: KernelSessions,
  searchIds: Uint32Array,
  queryIds: Uint32Array,
  queryIndex: Int32Array,
  { k, c, tileRows, started, cpu0, log }: { k: number; c: number; tileRows: number; started: number; cpu0: number; log?: (line: string) => void },
): Promise<NeighborResult> {
  const dims = embedding.cols;
  const n = searchIds.length;
  const symmetric = queryIds.length === n;
  // One buffer for the int8 rows during the candidate pass, then for stripes of the stored rows.
  const buffer = new ArrayBuffer(n * dims);
  const quantised = await quantiseRows(embedding, fd, sessions, searchIds, buffer);
  await sessions.release();
  const quantiseSeconds = (performance.now() - started) / 1000;
  const cpu1 = cpuNow();
  log?.(`  neighbours: ${n} rows normalised and quantised to int8 (${quantiseSeconds.toFixed(1)} s)`);

  // Pass 1: int8 candidates.
  const lists = new CandidateLists(queryIds.length, c);
  const block = new Uint8Array(tileRows * dims);
  const blockScales = new Float32Array(tileRows);
  const flip = (from: number, count: number) => {
    // uint8 = int8 + 128 (MLAS's fast kernels take an unsigned left operand): flip the sign bit.
    const src = new Uint8Array(quantised.values.buffer, from * dims, count * dims);
    for (let i = 0; i < src.length; i++) block[i] = src[i] ^ 0x80;
  };
  const loadBlock = (q0: number, rows: number) => {
    // In the symmetric case query q is search row q, so the block is a run of rows.
    if (symmetric) {
      flip(q0, rows);
      blockScales.set(quantised.scales.subarray(q0, q0 + rows));
      return;
    }
    for (let r = 0; r < rows; r++) {
      const s = queryIndex[q0 + r];
      const src = new Uint8Array(quantised.values.buffer, s * dims, dims);
      for (let i = 0; i < dims; i++) block[r * dims + i] = src[i] ^ 0x80;
      blockScales[r] = quantised.scales[s];
    }
  };
  const rowThresholds = new Float32Array(tileRows);
  const colThresholds = new Float32Array(tileRows);
  /** Scores the loaded block (queries q0…) against search rows t0…, offering what may enter to the lists. */
  const scoreTile = async (q0: number, rows: number, t0: number) => {
    const cols = Math.min(tileRows, n - t0);
    const diagonal = symmetric && t0 === q0;
    const withColumns = symmetric && !diagonal;
    const tile = quantised.values.subarray(t0 * dims, (t0 + cols) * dims);
    const tileScales = quantised.scales.subarray(t0, t0 + cols);
    // Thresholds once every list this tile feeds is full (its worst candidate is then a real score).
    let full = true;
    for (let r = 0; r < rows && full; r++) full = (rowThresholds[r] = lists.floor(q0 + r)) > -Infinity;
    if (withColumns) for (let col = 0; col < cols && full; col++) full = (colThresholds[col] = lists.floor(t0 + col)) > -Infinity;
    if (full) {
      const { positions, scores } = await tileAbove(sessions, { block, blockScales, rows, tile, tileScales, cols, dims }, rowThresholds, withColumns ? colThresholds : null);
      for (let e = 0; e < scores.length; e++) {
        const at = Number(positions[e]);
        const r = Math.floor(at / cols);
        const j = at - r * cols;
        if (t0 + j !== queryIndex[q0 + r]) lists.offer(q0 + r, t0 + j, scores[e]);
        // Column j is search row t0 + j = query t0 + j.
        if (withColumns) lists.offer(t0 + j, q0 + r, scores[e]);
      }
      return;
    }
    // A tile that may hold the query itself asks for one more, so self-exclusion costs no candidate.
    const want = Math.min(cols, c + 1);
    const wantRows = Math.min(rows, c + 1);
    const best = await tileBest(sessions, { block, blockScales, rows, tile, tileScales, cols, dims }, want, wantRows, withColumns);
    for (let r = 0; r < rows; r++) {
      const query = q0 + r;
      const self = queryIndex[query];
      for (let j = 0; j < want; j++) {
        const index = t0 + Number(best.rowIndices[r * want + j]);
        if (index !== self) lists.offer(query, index, best.rowScores[r * want + j]);
      }
    }
    if (withColumns) {
      // Column TopK: [cols, wantRows]; column j is search row t0 + j = query t0 + j.
      for (let col = 0; col < cols; col++) {
        for (let j = 0; j < wantRows; j++) {
          lists.offer(t0 + col, q0 + Number(best.colIndices![col * wantRows + j]), best.colScores![col * wantRows + j]);
        }
      }
    }
  };
  const passStarted = performance.now();
  // Symmetric: the diagonal tiles first, so every list is full (thresholds ready) before the others.
  if (symmetric) {
    for (let q0 = 0; q0 < n; q0 += tileRows) {
      const rows = Math.min(tileRows, n - q0);
      loadBlock(q0, rows);
      await scoreTile(q0, rows, q0);
    }
    await sessions.release(); // the TopK kernel's arena: the thresholded tiles need their own
  }
  for (let q0 = 0; q0 < queryIds.length; q0 += tileRows) {
    const rows = Math.min(tileRows, queryIds.length - q0);
    loadBlock(q0, rows);
    for (let t0 = symmetric ? q0 + tileRows : 0; t0 < n; t0 += tileRows) await scoreTile(q0, rows, t0);
    log?.(`  neighbours: candidates for ${Math.min(q0 + rows, queryIds.length)} of ${queryIds.length} rows (${((performance.now() - passStarted) / 1000).toFixed(1)} s)`);
  }
  const candidateSeconds = (performance.now() - passStarted) / 1000;
  await sessions.release();
  const cpu2 = cpuNow();

  // Pass 2: exact float32 cosines of the candidates, from the stored rows, a stripe at a time in the same buffer.
  const exactStarted = performance.now();
  const { ids, similarities } = await rescoreExactly(embedding, fd, sessions, new Uint8Array(buffer, 0, n * dims), searchIds, queryIndex, lists, quantised.norms, k);
  const exactSeconds = (performance.now() - exactStarted) / 1000;
  const cpu3 = cpuNow();
  return {
    ids,
    similarities,
    k,
    searched: n,
    seconds: { quantise: quantiseSeconds, candidates: candidateSeconds, exact: exactSeconds },
    cpuSeconds: { quantise: cpu1 - cpu0, candidates: cpu2 - cpu1, exact: cpu3 - cpu2 },
  };
}

/**
 * Queries per exact run. Their candidates in one stripe (~c/stripes each, a few MB of rows) are scored
 * against every query of the batch by one GEMM, of which one column per candidate is kept: measured,
 * 16 queries beat 32 and 64 (less wasted work) and per-pair products (Mul + ReduceSum, 3× slower).
 */
const EXACT_BATCH = 16;

/**
 * Exact cosines of each query with its candidates, from the stored rows. The buffer that held the int8
 * rows (half the stored bytes of a 16-bit matrix, a quarter of a float32 one) now holds a stripe of
 * stored rows at a time, so the stored and int8 copies are never alive together; a batch of query rows is
 * read from the file (one sequential read in the all-vs-all case), the batch's candidates in the stripe
 * are gathered with typed-array copies, widened (float16 natively inside the graph, bfloat16 by
 * widenInto) and multiplied natively. Sorted by exact similarity, ties by lower id, cut to k.
 */
async function rescoreExactly(
  embedding: EmbeddingFile,
  fd: number,
  sessions: KernelSessions,
  buffer: Uint8Array,
  searchIds: Uint32Array,
  queryIndex: Int32Array,
  lists: CandidateLists,
  norms: Float64Array,
  k: number,
): Promise<{ ids: Uint32Array; similarities: Float32Array }> {
  const dims = embedding.cols;
  const n = searchIds.length;
  const c = lists.c;
  const rowBytes = embedding.rowBytes;
  const dtype = embedding.dtype as StoredType;
  const queries = queryIndex.length;
  // bfloat16 stripes are held widened (once per row, instead of once per pair: onnxruntime-node has no
  // bfloat16 tensors, so it would be widened in JS); float16 is cast inside the graph, float32 used as it is.
  const widened = dtype === 'BF16';
  const heldBytes = widened ? dims * 4 : rowBytes;
  const stripeRows = Math.max(1, Math.floor(buffer.byteLength / heldBytes));
  const dots = new Float32Array(queries * c);
  const queryRows = new Uint8Array(EXACT_BATCH * rowBytes);
  const pairQuery = new Int32Array(EXACT_BATCH * c);
  const pairSlot = new Int32Array(EXACT_BATCH * c);
  let candidateRows = new Uint8Array(0);
  const queryWide = widened ? new Float32Array(EXACT_BATCH * dims) : null;
  const widenChunkRows = Math.max(1, Math.floor(QUANTISE_BLOCK_ELEMENTS / dims));
  const raw = widened ? new Uint8Array(widenChunkRows * rowBytes) : null;
  const halves = (bytes: Uint8Array, rows: number) => new Uint16Array(bytes.buffer, bytes.byteOffset, rows * dims);
  for (let s0 = 0; s0 < n; s0 += stripeRows) {
    const s1 = Math.min(n, s0 + stripeRows);
    if (!raw) readStoredRows(embedding, fd, searchIds, s0, s1, buffer, 0);
    else {
      const wide = new Float32Array(buffer.buffer, buffer.byteOffset, (s1 - s0) * dims);
      for (let r0 = s0; r0 < s1; r0 += widenChunkRows) {
        const r1 = Math.min(s1, r0 + widenChunkRows);
        readStoredRows(embedding, fd, searchIds, r0, r1, raw, 0);
        await widenInto(halves(raw, r1 - r0), 'BF16', wide.subarray((r0 - s0) * dims, (r1 - s0) * dims));
      }
    }
    for (let q0 = 0; q0 < queries; q0 += EXACT_BATCH) {
      const batch = Math.min(EXACT_BATCH, queries - q0);
      let m = 0;
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < c; j++) {
          const index = lists.indices[(q0 + b) * c + j];
          if (index < s0 || index >= s1) continue; // (-1, an unfilled slot, is never in a stripe)
          pairQuery[m] = b;
          pairSlot[m++] = (q0 + b) * c + j;
        }
      }
      if (m === 0) continue;
      if (candidateRows.length < m * heldBytes) candidateRows = new Uint8Array(m * heldBytes);
      for (let p = 0; p < m; p++) {
        const row = lists.indices[pairSlot[p]] - s0;
        candidateRows.set(buffer.subarray(row * heldBytes, (row + 1) * heldBytes), p * heldBytes);
      }
      // The batch's own rows, from the file: consecutive queries are consecutive rows, one read.
      for (let b = 0; b < batch; ) {
        let e = b + 1;
        while (e < batch && queryIndex[q0 + e] === queryIndex[q0 + e - 1] + 1) e++;
        readStoredRows(embedding, fd, searchIds, queryIndex[q0 + b], queryIndex[q0 + b] + (e - b), queryRows, b * rowBytes);
        b = e;
      }
      let result: Float32Array;
      if (dtype === 'F32') {
        result = await batchDots(sessions, new Float32Array(queryRows.buffer, 0, batch * dims), new Float32Array(candidateRows.buffer, 0, m * dims), 'F32', batch, m, dims);
      } else if (dtype === 'F16') {
        result = await batchDots(sessions, halves(queryRows, batch), halves(candidateRows, m), 'F16', batch, m, dims);
      } else {
        await widenInto(halves(queryRows, batch), 'BF16', queryWide!.subarray(0, batch * dims));
        result = await batchDots(sessions, queryWide!, new Float32Array(candidateRows.buffer, 0, m * dims), 'F32', batch, m, dims);
      }
      for (let p = 0; p < m; p++) dots[pairSlot[p]] = result[p * batch + pairQuery[p]];
    }
  }

  const ids = new Uint32Array(queries * k);
  const similarities = new Float32Array(queries * k);
  const order = new Int32Array(c);
  const exact = new Float64Array(c);
  const idOf = (base: number, j: number) => {
    const index = lists.indices[base + j];
    return index >= 0 ? searchIds[index] : 0xffffffff;
  };
  for (let query = 0; query < queries; query++) {
    const self = queryIndex[query];
    const base = query * c;
    for (let j = 0; j < c; j++) {
      const other = lists.indices[base + j];
      const denominator = other >= 0 ? norms[self] * norms[other] : 0;
      exact[j] = other < 0 ? -Infinity : denominator > 0 ? dots[base + j] / denominator : 0;
    }
    // Insertion sort of c (≈16) entries: higher similarity first, equal ones by lower token id.
    for (let j = 0; j < c; j++) {
      let at = j;
      while (at > 0) {
        const prev = order[at - 1];
        const d = exact[prev] - exact[j];
        if (d > 0 || (d === 0 && idOf(base, prev) < idOf(base, j))) break;
        order[at] = prev;
        at--;
      }
      order[at] = j;
    }
    for (let j = 0; j < k; j++) {
      ids[query * k + j] = idOf(base, order[j]);
      similarities[query * k + j] = exact[order[j]];
    }
  }
  return { ids, similarities };
}

type StoredType = 'F32' | 'F16' | 'BF16';

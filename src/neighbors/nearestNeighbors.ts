/**
 * The k nearest rows of each query row by cosine similarity, over all hidden dimensions and a whole
 * vocabulary, in two passes:
 *   1. candidates: every row normalised and quantised to int8 with its own scale (half the stored bytes),
 *      scored against every other row with native int8 products (4× the float32 rate), keeping the best
 *      `candidates` per query. When the queries are the whole search set, each tile of the score matrix
 *      serves its rows and its columns, so only half of it is computed.
 *   2. exact: the candidates re-scored with float32 cosines of the stored rows, sorted (ties: lower id
 *      first), cut to k. Every reported similarity is the exact cosine of its pair.
 * Exact float32 all-vs-all would be 4× the work of pass 1 (and 2× again without the symmetry); the
 * int8 error (~2e-4 in cosine) is far below the gap between the k-th and the `candidates`-th score, so
 * recall against exact search stays ≥ 0.99 (tests/neighbors.test.ts, npm run bench -- --only neighbors).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { EmbeddingFile } from '../embeddings/embeddingFile.ts';
import { exactDots, tileBest } from './neighborKernels.ts';

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
export const NEIGHBOR_METHOD_VERSION = 1;
export const DEFAULT_CANDIDATES = Number(process.env.TOKENSCAPE_NEIGHBOR_CANDIDATES ?? 16);

interface QuantisedRows {
  /** rows·dims int8 values of the normalised rows, each row scaled so its largest |value| is 127. */
  values: Int8Array;
  /** Per row: cosine ≈ Σ qa·qb · scale[a] · scale[b]. */
  scales: Float32Array;
  norms: Float64Array;
}

async function quantiseRows(embedding: EmbeddingFile, ids: Uint32Array): Promise<QuantisedRows> {
  const dims = embedding.cols;
  const values = new Int8Array(ids.length * dims);
  const scales = new Float32Array(ids.length);
  const norms = new Float64Array(ids.length);
  const blocks = await embedding.rowBlocks(ids, 0, 512);
  let nonFinite = 0;
  await blocks.forEachBlock((block, first, count) => {
    for (let r = 0; r < count; r++) {
      const base = r * dims;
      let sum = 0;
      let max = 0;
      for (let c = 0; c < dims; c++) {
        const v = block[base + c];
        sum += v * v;
        const a = v < 0 ? -v : v;
        if (a > max) max = a;
      }
      const row = first + r;
      if (!Number.isFinite(sum)) {
        nonFinite++;
        continue;
      }
      norms[row] = Math.sqrt(sum);
      if (max === 0) continue; // an all-zero row: similarity 0 with everything
      const toInt = 127 / max;
      const out = row * dims;
      for (let c = 0; c < dims; c++) values[out + c] = Math.round(block[base + c] * toInt);
      scales[row] = max / 127 / norms[row];
    }
  });
  if (nonFinite > 0) throw blocks.nonFiniteError(nonFinite);
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
  const dims = embedding.cols;
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
  const symmetric = queryIds.length === n;

  const quantised = await quantiseRows(embedding, searchIds);
  const quantiseSeconds = (performance.now() - started) / 1000;
  const cpu1 = cpuNow();
  options.log?.(`  neighbours: ${n} rows normalised and quantised to int8 (${quantiseSeconds.toFixed(1)} s)`);

  // Pass 1: int8 candidates.
  const lists = new CandidateLists(queryIds.length, c);
  const block = new Uint8Array(tileRows * dims);
  const blockScales = new Float32Array(tileRows);
  const flip = (from: number, count: number) => {
    // uint8 = int8 + 128 (MLAS's fast kernels take an unsigned left operand): flip the sign bit.
    const src = new Uint8Array(quantised.values.buffer, from * dims, count * dims);
    for (let i = 0; i < src.length; i++) block[i] = src[i] ^ 0x80;
  };
  const passStarted = performance.now();
  for (let q0 = 0; q0 < queryIds.length; q0 += tileRows) {
    const rows = Math.min(tileRows, queryIds.length - q0);
    // In the symmetric case query q is search row q, so the block is a run of rows.
    if (symmetric) {
      flip(q0, rows);
      blockScales.set(quantised.scales.subarray(q0, q0 + rows));
    } else {
      for (let r = 0; r < rows; r++) {
        const s = queryIndex[q0 + r];
        const src = new Uint8Array(quantised.values.buffer, s * dims, dims);
        for (let i = 0; i < dims; i++) block[r * dims + i] = src[i] ^ 0x80;
        blockScales[r] = quantised.scales[s];
      }
    }
    for (let t0 = symmetric ? q0 : 0; t0 < n; t0 += tileRows) {
      const cols = Math.min(tileRows, n - t0);
      const diagonal = symmetric && t0 === q0;
      const withColumns = symmetric && !diagonal;
      // A tile that may hold the query itself asks for one more, so self-exclusion costs no candidate.
      const want = Math.min(cols, c + 1);
      const wantRows = Math.min(rows, c + 1);
      const best = await tileBest(
        block,
        blockScales,
        rows,
        quantised.values.subarray(t0 * dims, (t0 + cols) * dims),
        quantised.scales.subarray(t0, t0 + cols),
        cols,
        dims,
        want,
        wantRows,
        withColumns,
      );
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
    }
    options.log?.(`  neighbours: candidates for ${Math.min(q0 + rows, queryIds.length)} of ${queryIds.length} rows (${((performance.now() - passStarted) / 1000).toFixed(1)} s)`);
  }
  const candidateSeconds = (performance.now() - passStarted) / 1000;
  const cpu2 = cpuNow();

  // Pass 2: exact float32 cosines of the candidates, from the stored rows.
  const exactStarted = performance.now();
  const { ids, similarities } = await rescoreExactly(embedding, searchIds, queryIndex, lists, quantised.norms, k);
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

const EXACT_BATCH = 64;

async function rescoreExactly(
  embedding: EmbeddingFile,
  searchIds: Uint32Array,
  queryIndex: Int32Array,
  lists: CandidateLists,
  norms: Float64Array,
  k: number,
): Promise<{ ids: Uint32Array; similarities: Float32Array }> {
  const dims = embedding.cols;
  const c = lists.c;
  const rowBytes = embedding.rowBytes;
  const dtype = embedding.dtype;
  const wide = dtype === 'F32';
  const raw = new Uint8Array(EXACT_BATCH * c * rowBytes);
  const queryRaw = new Uint8Array(EXACT_BATCH * rowBytes);
  const queries = new Float32Array(EXACT_BATCH * dims);
  // BF16 has no onnxruntime-node tensor type: it is widened here (a shift); F16 is widened natively.
  const candidatesF32 = dtype === 'BF16' ? new Float32Array(EXACT_BATCH * c * dims) : null;
  const ids = new Uint32Array(queryIndex.length * k);
  const similarities = new Float32Array(queryIndex.length * k);
  const fd = openSync(embedding.path, 'r');
  const readRow = (row: number, into: Uint8Array, at: number) => {
    const position = embedding.byteOffset + searchIds[row] * rowBytes;
    if (readSync(fd, into, at, rowBytes, position) !== rowBytes) throw new Error(`The cached embedding ${embedding.path} is shorter than expected.`);
  };
  const toFloat = (bytes: Uint8Array, count: number, out: Float32Array) => {
    if (dtype === 'F32') out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count * dims));
    else if (dtype === 'BF16') {
      const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count * dims);
      const bits = new Uint32Array(out.buffer, out.byteOffset, count * dims);
      for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
    } else {
      const table = f16Table();
      const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count * dims);
      for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
    }
  };
  try {
    const order = new Int32Array(c);
    const exact = new Float64Array(c);
    for (let q0 = 0; q0 < queryIndex.length; q0 += EXACT_BATCH) {
      const batch = Math.min(EXACT_BATCH, queryIndex.length - q0);
      for (let b = 0; b < batch; b++) {
        readRow(queryIndex[q0 + b], queryRaw, b * rowBytes);
        for (let j = 0; j < c; j++) {
          const index = lists.indices[(q0 + b) * c + j];
          // Every list is full when the search has more than c rows (see CandidateLists); guard anyway.
          if (index >= 0) readRow(index, raw, (b * c + j) * rowBytes);
          else raw.fill(0, (b * c + j) * rowBytes, (b * c + j + 1) * rowBytes);
        }
      }
      toFloat(queryRaw, batch, queries);
      let dots: Float32Array;
      if (candidatesF32) {
        toFloat(raw, batch * c, candidatesF32);
        dots = await exactDots(queries, candidatesF32, 'F32', batch, c, dims);
      } else {
        const candidates = wide ? new Float32Array(raw.buffer, 0, batch * c * dims) : new Uint16Array(raw.buffer, 0, batch * c * dims);
        dots = await exactDots(queries, candidates, dtype, batch, c, dims);
      }
      for (let b = 0; b < batch; b++) {
        const query = q0 + b;
        const self = queryIndex[query];
        for (let j = 0; j < c; j++) {
          const other = lists.indices[query * c + j];
          const denominator = other >= 0 ? norms[self] * norms[other] : 0;
          exact[j] = other < 0 ? -Infinity : denominator > 0 ? dots[b * c + j] / denominator : 0;
          order[j] = j;
        }
        const idOf = (j: number) => searchIds[lists.indices[query * c + j]];
        const sorted = Array.from(order).sort((x, y) => exact[y] - exact[x] || idOf(x) - idOf(y));
        for (let j = 0; j < k; j++) {
          ids[query * k + j] = idOf(sorted[j]);
          similarities[query * k + j] = exact[sorted[j]];
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return { ids, similarities };
}

let table: Float32Array | null = null;
function f16Table(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) {
    const sign = i & 0x8000 ? -1 : 1;
    const e = (i >> 10) & 0x1f;
    const f = i & 0x3ff;
    table[i] = e === 0 ? sign * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : sign * Infinity) : sign * 2 ** (e - 15) * (1 + f / 1024);
  }
  return table;
}

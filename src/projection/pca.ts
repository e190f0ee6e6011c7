/**
 * PCA to 3D that scales to full vocabularies (262k × 2304, 128k × 4096): block Krylov iteration with
 * Rayleigh–Ritz on everything seen so far. Each pass over the rows runs one block product natively in
 * onnxruntime (pcaKernels.ts: Yc = Xc·Q and Xcᵀ·Yc, the centring folded in), and the Ritz vectors are taken from
 * the span of all blocks of all passes, not just the last one; that costs a little d-sized linear algebra in
 * JS and saves whole passes over a 1 GB matrix, which dominate the time. The first pass also gathers the mean
 * and the total variance. Matches scikit-learn's PCA(n_components=3) up to the sign of each axis; signs follow
 * sklearn's convention (the largest |score| of each component is positive), so they are deterministic.
 */
import { countNonFiniteRows, type RowBlocks } from '../embeddings/embeddingFile.ts';
import { TokenscapeError } from '../errors.ts';
import { blockFirstPass, blockPowerStep, ort } from './pcaKernels.ts';
import { mulberry32 } from './seededRandom.ts';
import { symmetricEigen } from './symmetricEigen.ts';

export const PCA_COMPONENTS = 3;

export interface PcaModel {
  dims: number;
  /** Column means of the rows the model was fitted on. */
  mean: Float64Array;
  /** Principal axes, row-major [3, dims], unit length. */
  components: Float64Array;
  explainedVariance: [number, number, number];
  explainedVarianceRatio: [number, number, number];
  fitRows: number;
  /** Passes over the rows, the first (mean and variance) included. */
  iterations: number;
}

export interface PcaFit {
  model: PcaModel;
  /** Coordinates of the fitted rows, row-major [n, 3]. */
  scores: Float64Array;
  /** Each fitted row's sum of squares (uncentred), from the first pass: the facets' norms need no pass of their own. */
  rowSquares: Float64Array;
}

/** Up to this width the whole space is one block and a single Rayleigh–Ritz step is exact. */
const EXACT_MAX_DIMS = 128;
const BLOCK = 32;
const MAX_ITERATIONS = 80;
/** The Krylov space is restarted from its best BLOCK Ritz vectors once it holds this many blocks (or would outgrow d). */
const MAX_KRYLOV_BLOCKS = 8;
/**
 * Stop when the Davis–Kahan bound puts each top axis within 0.03 rad of the true one. The error of a top Ritz
 * vector lies mostly in directions of lower variance than its own (those of higher variance are in the space,
 * and converge first), so its coordinates correlate with an exact solver's by about cos(0.03) = 0.99955 at
 * worst; and the bound is loose: at 32000 × 4096 a bound of 1.9e-2 came with correlations of 0.9999986 or more with
 * scikit-learn on every axis. One pass over the matrix fewer than at 0.01 on LLaMA-2-shaped vocabularies.
 */
const ANGLE_TOLERANCE = 3e-2;

/**
 * Orthonormalises the k vectors of `m` (vector-major: vector j is m[j·d .. (j+1)·d]) in place against the
 * vectors of `fixed` (orthonormal blocks stored the same way) and each other: classical Gram–Schmidt, twice,
 * which is as accurate as modified Gram–Schmidt here. Every loop runs along one contiguous vector. A vector
 * that vanishes (its direction is already spanned) is replaced by a seeded random one.
 */
function orthonormalise(m: Float64Array, d: number, k: number, fixed: Float64Array[] = []): void {
  const random = mulberry32(0x5eed + fixed.length);
  const against = (j: number, other: Float64Array, i: number) => {
    const x = other.subarray(i * d, (i + 1) * d);
    const y = m.subarray(j * d, (j + 1) * d);
    let dot0 = 0;
    let dot1 = 0;
    for (let c = 0; c < d - 1; c += 2) {
      dot0 += x[c] * y[c];
      dot1 += x[c + 1] * y[c + 1];
    }
    if (d % 2 === 1) dot0 += x[d - 1] * y[d - 1];
    const dot = dot0 + dot1;
    for (let c = 0; c < d; c++) y[c] -= dot * x[c];
  };
  const squaredNorm = (j: number) => {
    let s = 0;
    for (let c = j * d, end = c + d; c < end; c++) s += m[c] * m[c];
    return s;
  };
  for (let j = 0; j < k; j++) {
    for (let attempt = 0; ; attempt++) {
      const before = squaredNorm(j);
      for (let pass = 0; pass < 2; pass++) {
        for (const block of fixed) for (let i = 0; i < k; i++) against(j, block, i);
        for (let i = 0; i < j; i++) against(j, m, i);
      }
      const norm = squaredNorm(j);
      if (norm > 1e-20 * before && norm > 1e-300) {
        const scale = 1 / Math.sqrt(norm);
        for (let c = j * d, end = c + d; c < end; c++) m[c] *= scale;
        break;
      }
      if (attempt > 8) throw new Error('PCA: cannot extend the basis');
      for (let c = j * d, end = c + d; c < end; c++) m[c] = random() - 0.5;
    }
  }
}

/**
 * The Krylov space so far: orthonormal blocks Q_i and their products A·Q_i (k vectors of length d each,
 * vector-major), and the row coordinates Xc·Q_i (n × k, row-major as onnxruntime returns them).
 */
interface Krylov {
  basis: Float64Array[];
  products: Float64Array[];
  projections: Float32Array[];
}

/** Row-major blocks [rows, k]: out[r, j] = Σ_b Σ_i blocks[b][r, i] · w[b·k + i, j] for `columns` columns of w ([blocks·k, width]). */
function combineRows(blocks: Float32Array[], rows: number, k: number, w: Float64Array, width: number, columns: number): Float64Array {
  const out = new Float64Array(rows * columns);
  blocks.forEach((block, b) => {
    for (let r = 0; r < rows; r++) {
      const o = r * k;
      // A space narrower than `columns` (hidden size below 3) leaves the missing columns zero.
      for (let j = 0; j < Math.min(columns, width); j++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += block[o + i] * w[(b * k + i) * width + j];
        out[r * columns + j] += s;
      }
    }
  });
  return out;
}

/** Vector-major blocks (k vectors of length d): vector j of the result = Σ_b Σ_i w[b·k + i, j] · blocks[b] vector i. */
function combineVectors(blocks: Float64Array[], d: number, k: number, w: Float64Array, width: number, columns: number): Float64Array {
  const out = new Float64Array(columns * d);
  for (let j = 0; j < Math.min(columns, width); j++) {
    const o = j * d;
    blocks.forEach((block, b) => {
      for (let i = 0; i < k; i++) {
        const f = w[(b * k + i) * width + j];
        if (f === 0) continue;
        const a = i * d;
        for (let c = 0; c < d; c++) out[o + c] += f * block[a + c];
      }
    });
  }
  return out;
}

/** total += part, element by element (a block's share of a pass's sums; a plain function V8 optimises once). */
function addInto(total: Float64Array, part: Float32Array): void {
  for (let i = 0, n = part.length; i < n; i++) total[i] += part[i];
}

/** The float32 [d, k] row-major matrix onnxruntime multiplies by, from k vectors of length d. */
function asColumns(vectors: Float64Array, d: number, k: number): Float32Array {
  const out = new Float32Array(d * k);
  for (let j = 0; j < k; j++) for (let c = 0; c < d; c++) out[c * k + j] = vectors[j * d + c];
  return out;
}

/**
 * Rayleigh–Ritz on the whole Krylov space: B = Kᵀ·A·K from the products already computed (no pass over the
 * rows), and the Davis–Kahan bound ‖A·v − λ·v‖ / gap on the angle of each top Ritz vector v = K·w to the true
 * axis, with the gap to the neighbouring Ritz values.
 */
function rayleighRitz(space: Krylov, d: number, k: number) {
  const t = space.basis.length;
  const size = t * k;
  const b = new Float64Array(size * size);
  for (let x = 0; x < t; x++) {
    for (let y = x; y < t; y++) {
      const q = space.basis[x];
      const aq = space.products[y];
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let c = 0, qi = i * d, aj = j * d; c < d; c++) s += q[qi + c] * aq[aj + c];
          b[(x * k + i) * size + (y * k + j)] = s;
        }
      }
    }
  }
  // Symmetric in exact arithmetic; the average of both triangles is the better estimate of each entry.
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      const v = i < j && Math.floor(i / k) === Math.floor(j / k) ? (b[i * size + j] + b[j * size + i]) / 2 : b[i * size + j];
      b[i * size + j] = v;
      b[j * size + i] = v;
    }
  }
  const eig = symmetricEigen(b, size);
  const axes = combineVectors(space.basis, d, k, eig.vectors, size, PCA_COMPONENTS);
  const productsOfAxes = combineVectors(space.products, d, k, eig.vectors, size, PCA_COMPONENTS);
  let bound = 0;
  for (let j = 0; j < Math.min(PCA_COMPONENTS, size); j++) {
    const lambda = eig.values[j];
    const gap = Math.min(j > 0 ? eig.values[j - 1] - lambda : Infinity, j + 1 < size ? lambda - eig.values[j + 1] : Infinity);
    let residual = 0;
    for (let c = j * d, end = c + d; c < end; c++) residual += (productsOfAxes[c] - lambda * axes[c]) ** 2;
    bound = Math.max(bound, gap > 0 ? Math.sqrt(residual) / gap : Infinity);
  }
  return { eig, size, axes, bound };
}

/** Fits PCA on the rows of `source`, reading each block once per pass and never modifying it. */
export async function fitPca(source: RowBlocks, seed = 0x70c3): Promise<PcaFit> {
  const n = source.rows;
  const d = source.dims;
  if (n < PCA_COMPONENTS) {
    throw new TokenscapeError(`PCA to 3D needs at least 3 distinct tokens; this exhibit has ${n}.`, {
      hint: 'Use a larger corpus, or corpus: vocabulary.',
    });
  }
  // The iterative case keeps 2k ≤ d, so a new block always fits beside a restarted one.
  const k = d <= EXACT_MAX_DIMS ? d : Math.min(BLOCK, Math.max(n, PCA_COMPONENTS));
  let q = new Float64Array(d * k); // k vectors of length d
  if (k === d) {
    for (let i = 0; i < d; i++) q[i * d + i] = 1;
  } else {
    const random = mulberry32(seed);
    const normals = new Float64Array(d * k);
    for (let i = 0; i < normals.length; i += 2) {
      const u = Math.max(random(), 1e-12);
      const v = random();
      const radius = Math.sqrt(-2 * Math.log(u));
      normals[i] = radius * Math.cos(2 * Math.PI * v);
      if (i + 1 < normals.length) normals[i + 1] = radius * Math.sin(2 * Math.PI * v);
    }
    // Drawn as a row-major d × k matrix, as before the vectors were stored contiguously: the same start, so
    // the same passes and results as earlier versions.
    for (let c = 0; c < d; c++) for (let j = 0; j < k; j++) q[j * d + c] = normals[c * k + j];
    orthonormalise(q, d, k);
  }

  // The first read of the rows does everything that needs no mean: column sums, the total sum of squares and
  // an uncentred power step from the random start (block sums in float32, totals in float64). Folding the
  // statistics in saves a whole pass over the matrix.
  const sum = new Float64Array(d);
  let sumSquares = 0;
  const rowSquares = new Float64Array(n);
  const firstZt = new Float64Array(k * d);
  {
    const qTensor = new ort.Tensor('float32', asColumns(q, d, k), [d, k]);
    await source.forEachBlock(async (block, first, count) => {
      const step = await blockFirstPass(block, count, d, qTensor);
      addInto(sum, step.sum);
      for (let r = 0; r < count; r++) {
        rowSquares[first + r] = step.rowSquares[r];
        sumSquares += step.rowSquares[r];
      }
      addInto(firstZt, step.zt);
    });
  }
  // NaN or Infinity anywhere makes the sums non-finite; only then are the damaged rows counted, for the message.
  if (!Number.isFinite(sumSquares) || !sum.every(Number.isFinite)) throw source.nonFiniteError(await countNonFiniteRowsOf(source));
  const mean = sum.map((s) => s / n);
  let meanSquares = 0;
  for (let c = 0; c < d; c++) meanSquares += mean[c] * mean[c];
  const totalVariance = Math.max(0, sumSquares - n * meanSquares) / (n - 1);
  const meanOnBasis = (basis: Float64Array) => {
    const m = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let c = 0, o = j * d; c < d; c++) s += mean[c] * basis[o + c];
      m[j] = s;
    }
    return m;
  };
  if (k < d) {
    // XcᵀXc·Q = Xᵀ(XQ) − n·μ·(μᵀQ): the centred product seeds the centred iterations. It suffers float32
    // cancellation when the mean is large, which only makes the seed a little worse: every Ritz vector below
    // comes from centred passes alone.
    const m = meanOnBasis(q);
    for (let j = 0; j < k; j++) for (let c = 0; c < d; c++) q[j * d + c] = firstZt[j * d + c] - n * mean[c] * m[j];
    orthonormalise(q, d, k);
  }

  let iterations = 1;
  const space: Krylov = { basis: [], products: [], projections: [] };
  let ritz: ReturnType<typeof rayleighRitz>;
  for (;;) {
    iterations++;
    // Centring folded in: (X − 1μᵀ)Q = XQ − 1(μᵀQ).
    const qTensor = new ort.Tensor('float32', asColumns(q, d, k), [d, k]);
    const mTensor = new ort.Tensor('float32', meanOnBasis(q), [1, k]);
    const zt = new Float64Array(k * d);
    const yc = new Float32Array(n * k);
    await source.forEachBlock(async (block, first, count) => {
      const step = await blockPowerStep(block, count, d, qTensor, mTensor);
      yc.set(step.yc, first * k);
      addInto(zt, step.zt);
    });
    // A·Q where A = XcᵀXc: Xcᵀ·Yc = Xᵀ·Yc − μ·(1ᵀYc), transposed back to d × k.
    const columnSums = new Float64Array(k);
    for (let r = 0; r < n; r++) for (let i = 0; i < k; i++) columnSums[i] += yc[r * k + i];
    const aq = new Float64Array(d * k); // vector-major, like Ycᵀ·X itself
    for (let j = 0; j < k; j++) for (let c = 0; c < d; c++) aq[j * d + c] = zt[j * d + c] - mean[c] * columnSums[j];
    space.basis.push(q);
    space.products.push(aq);
    space.projections.push(yc);
    ritz = rayleighRitz(space, d, k);
    if (process.env.TOKENSCAPE_PCA_TRACE) process.stderr.write(`PCA pass ${iterations}: ${space.basis.length} blocks, angle bound ${ritz.bound.toExponential(2)}\n`);
    if (k === d || ritz.size >= d || ritz.bound <= ANGLE_TOLERANCE || iterations >= MAX_ITERATIONS) break;
    if (space.basis.length >= MAX_KRYLOV_BLOCKS || ritz.size + k > d) {
      // Thick restart: keep the best k Ritz vectors (and their products and coordinates), drop the rest.
      const w = ritz.eig.vectors;
      space.basis = [combineVectors(space.basis, d, k, w, ritz.size, k)];
      space.products = [combineVectors(space.products, d, k, w, ritz.size, k)];
      space.projections = [Float32Array.from(combineRows(space.projections, n, k, w, ritz.size, k))];
    }
    // The next block: A·Q, orthogonal to everything in the space already.
    q = Float64Array.from(aq);
    orthonormalise(q, d, k, space.basis);
  }

  // Axes V = K·W (vector-major: component j is axes[j·d ..]) and scores (Xc·K)·W for the top three Ritz vectors.
  const axes = ritz!.axes;
  const components = new Float64Array(PCA_COMPONENTS * d);
  components.set(axes);
  const scores = combineRows(space.projections, n, k, ritz!.eig.vectors, ritz!.size, PCA_COMPONENTS);
  for (let j = 0; j < PCA_COMPONENTS; j++) {
    let largest = 0;
    for (let r = 0; r < n; r++) {
      const s = scores[r * PCA_COMPONENTS + j];
      if (Math.abs(s) > Math.abs(largest)) largest = s;
    }
    if (largest < 0) {
      for (let c = 0; c < d; c++) components[j * d + c] = -components[j * d + c];
      for (let r = 0; r < n; r++) scores[r * PCA_COMPONENTS + j] = -scores[r * PCA_COMPONENTS + j];
    }
  }
  // A hidden size below 3 has only d axes: the others stay zero, with explained variance 0.
  const variance = Array.from({ length: PCA_COMPONENTS }, (_, j) => (j < ritz!.size ? Math.max(ritz!.eig.values[j], 0) / (n - 1) : 0));
  return {
    model: {
      dims: d,
      mean,
      components,
      explainedVariance: variance as [number, number, number],
      explainedVarianceRatio: variance.map((v) => (totalVariance > 0 ? v / totalVariance : 0)) as [number, number, number],
      fitRows: n,
      iterations,
    },
    scores,
    rowSquares,
  };
}

async function countNonFiniteRowsOf(source: RowBlocks): Promise<number> {
  let bad = 0;
  await source.forEachBlock((block) => {
    bad += countNonFiniteRows(block, source.dims);
  });
  return bad;
}

/** Coordinates of rows (row-major [n, d], not centred) on a fitted model's axes. */
export function projectRows(x: Float32Array, n: number, model: PcaModel): Float64Array {
  const d = model.dims;
  const out = new Float64Array(n * PCA_COMPONENTS);
  const shift = new Float64Array(PCA_COMPONENTS);
  for (let j = 0; j < PCA_COMPONENTS; j++) {
    for (let c = 0; c < d; c++) shift[j] += model.mean[c] * model.components[j * d + c];
  }
  const axes = Float32Array.from(model.components);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let c = 0; c < d; c++) {
      const v = x[o + c];
      s0 += v * axes[c];
      s1 += v * axes[d + c];
      s2 += v * axes[2 * d + c];
    }
    out[r * 3] = s0 - shift[0];
    out[r * 3 + 1] = s1 - shift[1];
    out[r * 3 + 2] = s2 - shift[2];
  }
  return out;
}

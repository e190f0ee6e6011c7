/**
 * PCA to 3D that scales to full vocabularies (200k × 4096): block subspace iteration with Rayleigh–Ritz,
 * where the two big products per iteration (Xc·Q and Xcᵀ·Y) run natively in onnxruntime (pcaKernels.ts). Matches
 * scikit-learn's PCA(n_components=3) up to the sign of each axis; signs follow sklearn's convention
 * (the largest |score| of each component is positive), so they are deterministic.
 */
import { countNonFiniteRows, type RowBlocks } from '../embeddings/embeddingFile.ts';
import { TokenscapeError } from '../errors.ts';
import { blockPowerStep, blockStats, ort } from './pcaKernels.ts';
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
  iterations: number;
}

export interface PcaFit {
  model: PcaModel;
  /** Coordinates of the fitted rows, row-major [n, 3]. */
  scores: Float64Array;
}

/** Below this width the whole space is one block and a single Rayleigh–Ritz step is exact. */
const EXACT_MAX_DIMS = 64;
const BLOCK = 16;
const MAX_ITERATIONS = 80;
/**
 * Stop when each top axis is within ~0.01 rad of the true one (a correlation above 0.99995 with an exact
 * solver's coordinates): far below what a 3D map can show.
 */
const ANGLE_TOLERANCE = 1e-2;


/** Orthonormalises the columns of a row-major [rows, k] matrix in place (modified Gram–Schmidt, twice). */
function orthonormalise(m: Float64Array, rows: number, k: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += m[r * k + i] * m[r * k + j];
        for (let r = 0; r < rows; r++) m[r * k + j] -= dot * m[r * k + i];
      }
      let norm = 0;
      for (let r = 0; r < rows; r++) norm += m[r * k + j] ** 2;
      norm = Math.sqrt(norm);
      // A column that vanished (rank-deficient data) is replaced by a fresh unit vector.
      if (norm < 1e-300) {
        for (let r = 0; r < rows; r++) m[r * k + j] = r === j % rows ? 1 : 0;
        j--;
        continue;
      }
      for (let r = 0; r < rows; r++) m[r * k + j] /= norm;
    }
  }
}

/**
 * Whether the top Ritz vectors v = Q·w are accurate, judged from this pass alone (no extra pass to compare
 * with): the residual r = A·v − λ·v bounds the angle to the true eigenvector by ‖r‖ / gap (Davis–Kahan),
 * with the gap to the neighbouring Ritz values.
 */
function ritzVectorsConverged(q: Float64Array, aq: Float64Array, eig: { values: Float64Array; vectors: Float64Array }, d: number, k: number): boolean {
  for (let j = 0; j < PCA_COMPONENTS; j++) {
    const lambda = eig.values[j];
    const gap = Math.min(j > 0 ? eig.values[j - 1] - lambda : Infinity, j + 1 < k ? lambda - eig.values[j + 1] : Infinity);
    if (!(gap > 0)) return false;
    let residual = 0;
    for (let c = 0; c < d; c++) {
      let av = 0;
      let v = 0;
      for (let i = 0; i < k; i++) {
        av += aq[c * k + i] * eig.vectors[i * k + j];
        v += q[c * k + i] * eig.vectors[i * k + j];
      }
      residual += (av - lambda * v) ** 2;
    }
    if (Math.sqrt(residual) / gap > ANGLE_TOLERANCE) return false;
  }
  return true;
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
  // One pass for the mean and the total variance (block sums in float32, totals in float64).
  const sum = new Float64Array(d);
  let sumSquares = 0;
  await source.forEachBlock(async (block, _first, count) => {
    const stats = await blockStats(block, count, d);
    for (let c = 0; c < d; c++) {
      sum[c] += stats.sum[c];
      sumSquares += stats.sumSquares[c];
    }
  });
  // NaN or Infinity anywhere makes the sums non-finite; only then are the damaged rows counted, for the message.
  if (!Number.isFinite(sumSquares) || !sum.every(Number.isFinite)) throw source.nonFiniteError(await countNonFiniteRowsOf(source));
  const mean = sum.map((s) => s / n);
  let meanSquares = 0;
  for (let c = 0; c < d; c++) meanSquares += mean[c] * mean[c];
  const totalVariance = Math.max(0, sumSquares - n * meanSquares) / (n - 1);

  const k = Math.min(d <= EXACT_MAX_DIMS ? d : BLOCK, Math.max(n, PCA_COMPONENTS), d);
  const q = new Float64Array(d * k);
  if (k === d) {
    for (let i = 0; i < d; i++) q[i * k + i] = 1;
  } else {
    const random = mulberry32(seed);
    for (let i = 0; i < q.length; i += 2) {
      const u = Math.max(random(), 1e-12);
      const v = random();
      const radius = Math.sqrt(-2 * Math.log(u));
      q[i] = radius * Math.cos(2 * Math.PI * v);
      if (i + 1 < q.length) q[i + 1] = radius * Math.sin(2 * Math.PI * v);
    }
    orthonormalise(q, d, k);
  }

  // A hidden size below 3 has only d axes: the others stay zero, with explained variance 0.
  const axesKept = Math.min(PCA_COMPONENTS, k);
  const axesOf = (basis: Float64Array, vectors: Float64Array) => {
    const axes = new Float64Array(PCA_COMPONENTS * d);
    for (let j = 0; j < axesKept; j++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += basis[c * k + i] * vectors[i * k + j];
        axes[j * d + c] = s;
      }
    }
    return axes;
  };
  let iterations = 0;
  const y = new Float32Array(n * k);
  const zt = new Float64Array(k * d);
  let eig: { values: Float64Array; vectors: Float64Array };
  for (;;) {
    iterations++;
    // Centring folded in: (X − 1μᵀ)Q = XQ − 1(μᵀQ).
    const m = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += mean[c] * q[c * k + j];
      m[j] = s;
    }
    const qTensor = new ort.Tensor('float32', Float32Array.from(q), [d, k]);
    const mTensor = new ort.Tensor('float32', m, [1, k]);
    zt.fill(0);
    await source.forEachBlock(async (block, first, count) => {
      const step = await blockPowerStep(block, count, d, qTensor, mTensor);
      y.set(step.yc, first * k);
      for (let i = 0; i < step.zt.length; i++) zt[i] += step.zt[i];
    });
    // Rayleigh–Ritz on the current basis: B = YcᵀYc, and the column sums of Yc for the other centring term.
    const b = new Float64Array(k * k);
    const columnSums = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      const o = r * k;
      for (let i = 0; i < k; i++) {
        const yi = y[o + i];
        columnSums[i] += yi;
        for (let j = i; j < k; j++) b[i * k + j] += yi * y[o + j];
      }
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) b[i * k + j] = b[j * k + i];
    eig = symmetricEigen(b, k);
    // A·Q where A = XcᵀXc: Xcᵀ·Yc = Xᵀ·Yc − μ·(1ᵀYc), transposed back to d × k.
    const aq = new Float64Array(d * k);
    for (let c = 0; c < d; c++) for (let j = 0; j < k; j++) aq[c * k + j] = zt[j * d + c] - mean[c] * columnSums[j];
    if (k === d || iterations >= MAX_ITERATIONS || ritzVectorsConverged(q, aq, eig, d, k)) break;
    q.set(aq);
    orthonormalise(q, d, k);
  }

  // Axes V = Q·W and scores Y·W for the top three Ritz vectors.
  const components = axesOf(q, eig!.vectors);
  const scores = new Float64Array(n * PCA_COMPONENTS);
  for (let j = 0; j < axesKept; j++) {
    let largest = 0;
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += y![r * k + i] * eig!.vectors[i * k + j];
      scores[r * PCA_COMPONENTS + j] = s;
      if (Math.abs(s) > Math.abs(largest)) largest = s;
    }
    if (largest < 0) {
      for (let c = 0; c < d; c++) components[j * d + c] = -components[j * d + c];
      for (let r = 0; r < n; r++) scores[r * PCA_COMPONENTS + j] = -scores[r * PCA_COMPONENTS + j];
    }
  }
  const variance = Array.from({ length: PCA_COMPONENTS }, (_, j) => (j < axesKept ? Math.max(eig!.values[j], 0) / (n - 1) : 0));
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

/**
 * The heavy passes of PCA as tiny ONNX graphs run by onnxruntime's native kernels, on float32 row blocks:
 *   widen:  float16 → float32 (several times faster than a JS table lookup)
 *   first:  column sums, sums of squares and an uncentred power step, in one read of each block
 *   power:  Yc = X·Q − m  and  Ycᵀ·X   (one step of subspace iteration on the centred matrix, with the
 *           centring folded into m = μᵀQ instead of rewriting X)
 */
import * as ort from 'onnxruntime-node';
import { graphSession } from './onnxSession.ts';
import { ElementType, type GraphNode, type GraphValue } from './onnxGraph.ts';


/** float16 bits → float32 values, written into `out` (rows × dims). */
export async function widenHalves(halves: Uint16Array, rows: number, dims: number, out: Float32Array): Promise<void> {
  const s = await graphSession(
    'widen',
    [{ op: 'Cast', inputs: ['H'], outputs: ['F'], intAttributes: { to: ElementType.float } }],
    [{ name: 'H', dims: ['n', 'd'], elementType: ElementType.float16 }],
    [{ name: 'F', dims: ['n', 'd'] }],
  );
  // The output tensor is `out` itself, so the widened rows are not copied again.
  await s.run({ H: new ort.Tensor('float16', halves, [rows, dims]) }, { F: new ort.Tensor('float32', out, [rows, dims]) });
}

/**
 * Output tensors reused across runs, one set per shape: a pass makes thousands of runs, and fresh outputs
 * (Ycᵀ·X alone is k × d floats per block) would be hundreds of MB of garbage per pass. The arrays returned
 * by the kernels below are therefore only valid until the next run of the same kernel.
 */
const outputsByShape = new Map<string, Record<string, ort.Tensor>>();
function reusedOutputs(key: string, shapes: Record<string, number[]>): Record<string, ort.Tensor> {
  let outputs = outputsByShape.get(key);
  if (!outputs) {
    outputs = Object.fromEntries(Object.entries(shapes).map(([name, dims]) => [name, new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims)]));
    if (outputsByShape.size > 64) outputsByShape.clear();
    outputsByShape.set(key, outputs);
  }
  return outputs;
}

const onesByRows = new Map<number, ort.Tensor>();
function onesRow(rows: number): ort.Tensor {
  let t = onesByRows.get(rows);
  if (!t) {
    t = new ort.Tensor('float32', new Float32Array(rows).fill(1), [1, rows]);
    onesByRows.set(rows, t);
  }
  return t;
}

/**
 * The first pass of PCA in one read of each block: column sums, per-row sums of squares (reduced over 4096
 * values at most, so float32 error stays near 1e-6; the caller adds them in float64), and an uncentred power
 * step Y = X·Q, Yᵀ·X. The mean is not known yet; the caller centres the product afterwards
 * (XcᵀXc·Q = XᵀX·Q − n·μ·μᵀQ), which is exact in exact arithmetic and only seeds the next, centred pass.
 */
export async function blockFirstPass(block: Float32Array, rows: number, dims: number, q: ort.Tensor) {
  const s = await graphSession(
    'first',
    [
      { op: 'MatMul', inputs: ['X', 'Q'], outputs: ['Y'] },
      { op: 'Transpose', inputs: ['Y'], outputs: ['YT'], intAttributes: { perm: [1, 0] } },
      { op: 'MatMul', inputs: ['YT', 'X'], outputs: ['Zt'] },
      { op: 'MatMul', inputs: ['Ones', 'X'], outputs: ['Sum'] },
      { op: 'ReduceSumSquare', inputs: ['X'], outputs: ['RowSquares'], intAttributes: { axes: [1], keepdims: 0 } },
    ],
    [
      { name: 'X', dims: ['n', 'd'] },
      { name: 'Q', dims: ['d', 'k'] },
      { name: 'Ones', dims: [1, 'n'] },
    ],
    [
      { name: 'Y', dims: ['n', 'k'] },
      { name: 'Zt', dims: ['k', 'd'] },
      { name: 'Sum', dims: [1, 'd'] },
      { name: 'RowSquares', dims: ['n'] },
    ],
  );
  const k = q.dims[1];
  const fetches = reusedOutputs(`first:${rows}:${dims}:${k}`, { Y: [rows, k], Zt: [k, dims], Sum: [1, dims], RowSquares: [rows] });
  const out = await s.run({ X: new ort.Tensor('float32', block, [rows, dims]), Q: q, Ones: onesRow(rows) }, fetches);
  return { y: out.Y.data as Float32Array, zt: out.Zt.data as Float32Array, sum: out.Sum.data as Float32Array, rowSquares: out.RowSquares.data as Float32Array };
}

/** One power step on a block: returns Yc = X·Q − m (rows × k) and Ycᵀ·X (k × dims). */
export async function blockPowerStep(block: Float32Array, rows: number, dims: number, q: ort.Tensor, m: ort.Tensor) {
  const s = await graphSession(
    'power',
    [
      { op: 'MatMul', inputs: ['X', 'Q'], outputs: ['Y'] },
      { op: 'Sub', inputs: ['Y', 'M'], outputs: ['Yc'] },
      { op: 'Transpose', inputs: ['Yc'], outputs: ['YcT'], intAttributes: { perm: [1, 0] } },
      // Ycᵀ·X rather than Gemm(transA) on X: the transposed big operand is several times slower in MLAS.
      { op: 'MatMul', inputs: ['YcT', 'X'], outputs: ['Zt'] },
    ],
    [
      { name: 'X', dims: ['n', 'd'] },
      { name: 'Q', dims: ['d', 'k'] },
      { name: 'M', dims: [1, 'k'] },
    ],
    [
      { name: 'Yc', dims: ['n', 'k'] },
      { name: 'Zt', dims: ['k', 'd'] },
    ],
  );
  const k = q.dims[1];
  const fetches = reusedOutputs(`power:${rows}:${dims}:${k}`, { Yc: [rows, k], Zt: [k, dims] });
  const out = await s.run({ X: new ort.Tensor('float32', block, [rows, dims]), Q: q, M: m }, fetches);
  return { yc: out.Yc.data as Float32Array, zt: out.Zt.data as Float32Array };
}

export { ort };

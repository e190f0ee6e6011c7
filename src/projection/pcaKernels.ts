/**
 * The heavy passes of PCA as tiny ONNX graphs run by onnxruntime's native kernels, on float32 row blocks:
 *   widen:  float16 → float32 (several times faster than a JS table lookup)
 *   stats:  column sums and the total sum of squares
 *   power:  Yc = X·Q − m  and  Ycᵀ·X   (one step of subspace iteration on the centred matrix, with the
 *           centring folded into m = μᵀQ instead of rewriting X)
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { ElementType, encodeOnnxModel, type GraphNode, type GraphValue } from './onnxGraph.ts';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(name: string, nodes: GraphNode[], inputs: GraphValue[], outputs: GraphValue[]): Promise<ort.InferenceSession> {
  if (!sessions.has(name)) {
    sessions.set(
      name,
      ort.InferenceSession.create(encodeOnnxModel(nodes, inputs, outputs), {
        intraOpNumThreads: availableParallelism(),
        graphOptimizationLevel: 'all',
        // An arena would keep every block-sized temporary for the life of the process.
        enableCpuMemArena: false,
      }),
    );
  }
  return sessions.get(name)!;
}

/** float16 bits → float32 values, written into `out` (rows × dims). */
export async function widenHalves(halves: Uint16Array, rows: number, dims: number, out: Float32Array): Promise<void> {
  const s = await session(
    'widen',
    [{ op: 'Cast', inputs: ['H'], outputs: ['F'], intAttributes: { to: ElementType.float } }],
    [{ name: 'H', dims: ['n', 'd'], elementType: ElementType.float16 }],
    [{ name: 'F', dims: ['n', 'd'] }],
  );
  // The output tensor is `out` itself, so the widened rows are not copied again.
  await s.run({ H: new ort.Tensor('float16', halves, [rows, dims]) }, { F: new ort.Tensor('float32', out, [rows, dims]) });
}

export interface BlockStats {
  sum: Float32Array;
  sumSquares: Float32Array;
}

/**
 * Column sums and column sums of squares. A NaN or Infinity anywhere makes them non-finite.
 * Both are products with a row of ones: GEMM accumulates each column over the block's rows only, which
 * keeps float32 error near 1e-6, where a whole-block ReduceSumSquare drifts by 1e-4 and axis-0 reductions
 * are several times slower.
 */
export async function blockStats(block: Float32Array, rows: number, dims: number): Promise<BlockStats> {
  const s = await session(
    'stats',
    [
      { op: 'MatMul', inputs: ['Ones', 'X'], outputs: ['Sum'] },
      { op: 'Mul', inputs: ['X', 'X'], outputs: ['Squares'] },
      { op: 'MatMul', inputs: ['Ones', 'Squares'], outputs: ['SumSquares'] },
    ],
    [
      { name: 'X', dims: ['n', 'd'] },
      { name: 'Ones', dims: [1, 'n'] },
    ],
    [
      { name: 'Sum', dims: [1, 'd'] },
      { name: 'SumSquares', dims: [1, 'd'] },
    ],
  );
  const out = await s.run({ X: new ort.Tensor('float32', block, [rows, dims]), Ones: new ort.Tensor('float32', new Float32Array(rows).fill(1), [1, rows]) });
  return { sum: out.Sum.data as Float32Array, sumSquares: out.SumSquares.data as Float32Array };
}

/** One power step on a block: returns Yc = X·Q − m (rows × k) and Ycᵀ·X (k × dims). */
export async function blockPowerStep(block: Float32Array, rows: number, dims: number, q: ort.Tensor, m: ort.Tensor) {
  const s = await session(
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
  const out = await s.run({ X: new ort.Tensor('float32', block, [rows, dims]), Q: q, M: m });
  return { yc: out.Yc.data as Float32Array, zt: out.Zt.data as Float32Array };
}

export { ort };

/**
 * The heavy passes of PCA as two tiny ONNX graphs run by onnxruntime's native kernels, on row blocks in
 * their stored precision (float16 blocks are cast inside the graph, so they are never widened in JS):
 *   stats:  column sums, column sums of squares, and the number of rows holding NaN/Inf
 *   power:  Yc = X·Q − m  and  Ztᵀ = Ycᵀ·X   (one step of subspace iteration on the centred matrix,
 *           with the centring folded into m = μᵀQ instead of rewriting X)
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { ElementType, encodeOnnxModel, type GraphNode } from './onnxGraph.ts';

export type BlockData = { type: 'float32'; data: Float32Array } | { type: 'float16'; data: Uint16Array };

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(name: string, type: BlockData['type'], nodes: GraphNode[], extraInputs: { name: string; dims: (string | number)[] }[], outputs: string[]) {
  const key = `${name}:${type}`;
  if (!sessions.has(key)) {
    // Float16 rows become float32 inside the graph; the cast costs far less than a JS widening pass.
    const cast: GraphNode[] = type === 'float16' ? [{ op: 'Cast', inputs: ['X'], outputs: ['Xf'], intAttributes: { to: ElementType.float } }] : [];
    const body = nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === 'Xf' && type === 'float32' ? 'X' : i)) }));
    const model = encodeOnnxModel(
      [...cast, ...body],
      [{ name: 'X', dims: ['n', 'd'], elementType: type === 'float16' ? ElementType.float16 : ElementType.float }, ...extraInputs],
      outputs.map((o) => ({ name: o, dims: [`${o}_0`, `${o}_1`] })),
    );
    sessions.set(key, ort.InferenceSession.create(model, {
      intraOpNumThreads: availableParallelism(),
      graphOptimizationLevel: 'all',
      // An arena would keep every block-sized temporary for the life of the process.
      enableCpuMemArena: false,
    }));
  }
  return sessions.get(key)!;
}

function inputTensor(block: BlockData, rows: number, dims: number): ort.Tensor {
  return block.type === 'float16' ? new ort.Tensor('float16', block.data, [rows, dims]) : new ort.Tensor('float32', block.data, [rows, dims]);
}

export interface BlockStats {
  sum: Float32Array;
  sumSquares: Float32Array;
  nonFiniteRows: number;
}

export async function blockStats(block: BlockData, rows: number, dims: number): Promise<BlockStats> {
  const s = await session(
    'stats',
    block.type,
    [
      { op: 'MatMul', inputs: ['Ones', 'Xf'], outputs: ['Sum'] },
      { op: 'ReduceSumSquare', inputs: ['Xf'], outputs: ['SumSquares'], intAttributes: { axes: [0], keepdims: 1 } },
      { op: 'IsNaN', inputs: ['Xf'], outputs: ['Nan'] },
      { op: 'IsInf', inputs: ['Xf'], outputs: ['Inf'] },
      { op: 'Or', inputs: ['Nan', 'Inf'], outputs: ['Bad'] },
      { op: 'Cast', inputs: ['Bad'], outputs: ['BadF'], intAttributes: { to: ElementType.float } },
      { op: 'ReduceMax', inputs: ['BadF'], outputs: ['BadRow'], intAttributes: { axes: [1], keepdims: 1 } },
      { op: 'MatMul', inputs: ['Ones', 'BadRow'], outputs: ['BadRows'] },
    ],
    [{ name: 'Ones', dims: [1, 'n'] }],
    ['Sum', 'SumSquares', 'BadRows'],
  );
  const out = await s.run({ X: inputTensor(block, rows, dims), Ones: new ort.Tensor('float32', new Float32Array(rows).fill(1), [1, rows]) });
  return {
    sum: out.Sum.data as Float32Array,
    sumSquares: out.SumSquares.data as Float32Array,
    nonFiniteRows: Math.round((out.BadRows.data as Float32Array)[0]),
  };
}

/** One power step on a block: returns Yc = X·Q − m (rows × k) and Ycᵀ·X (k × dims). */
export async function blockPowerStep(block: BlockData, rows: number, dims: number, q: ort.Tensor, m: ort.Tensor) {
  const s = await session(
    'power',
    block.type,
    [
      { op: 'MatMul', inputs: ['Xf', 'Q'], outputs: ['Y'] },
      { op: 'Sub', inputs: ['Y', 'M'], outputs: ['Yc'] },
      { op: 'Transpose', inputs: ['Yc'], outputs: ['YcT'], intAttributes: { perm: [1, 0] } },
      // Ycᵀ·X rather than Gemm(transA) on X: the transposed big operand is several times slower in MLAS.
      { op: 'MatMul', inputs: ['YcT', 'Xf'], outputs: ['Zt'] },
    ],
    [
      { name: 'Q', dims: ['d', 'k'] },
      { name: 'M', dims: [1, 'k'] },
    ],
    ['Yc', 'Zt'],
  );
  const out = await s.run({ X: inputTensor(block, rows, dims), Q: q, M: m });
  return { yc: out.Yc.data as Float32Array, zt: out.Zt.data as Float32Array };
}

export { ort };

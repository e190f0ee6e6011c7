/**
 * The heavy products of the neighbour search as tiny ONNX graphs, run by onnxruntime's native kernels:
 *   tile:    int8 scores of a block of rows against a tile of rows (MatMulInteger: MLAS's VNNI kernels on
 *            CPUs that have them), rescaled to approximate cosines, with the best `c` per row (TopK) and,
 *            for the symmetric all-vs-all search, the best `c` per column too;
 *   quantise: each row scaled to int8 (its largest |value| → 127), with its float64 Σ v² and max |v|;
 *   dots:    float32 dot products of query rows with their candidates' rows, as stored (float16 cast
 *            natively; bfloat16 arrives widened, onnxruntime-node has no bfloat16 tensors).
 */
import * as ort from 'onnxruntime-node';
import type { KernelSessions } from './kernelSessions.ts';
import { ElementType, type GraphNode, type GraphValue } from '../projection/onnxGraph.ts';


export interface TileBest {
  /** [rows, c] best approximate scores per row of the block, and their column (tile-local) indices. */
  rowScores: Float32Array;
  rowIndices: BigInt64Array;
  /** [cols, c] best scores per column of the tile and their row (block-local) indices; symmetric search only. */
  colScores?: Float32Array;
  colIndices?: BigInt64Array;
}

/** One tile of the int8 pass: block rows (uint8 = int8 + 128) and tile rows (int8), each with its own scale. */
export interface TileOperands {
  block: Uint8Array;
  blockScales: Float32Array;
  rows: number;
  tile: Int8Array;
  tileScales: Float32Array;
  cols: number;
  dims: number;
}

/** S = (A·Bᵀ in int32) × row scales × column scales: the tile's approximate cosines, which both tile graphs start from. */
const SCORE_NODES: GraphNode[] = [
  { op: 'Transpose', inputs: ['Bt'], outputs: ['B'], intAttributes: { perm: [1, 0] } },
  { op: 'MatMulInteger', inputs: ['A', 'B', 'Azp'], outputs: ['Dots'] },
  { op: 'Cast', inputs: ['Dots'], outputs: ['DotsF'], intAttributes: { to: ElementType.float } },
  { op: 'Mul', inputs: ['DotsF', 'As'], outputs: ['RowScaled'] },
  { op: 'Mul', inputs: ['RowScaled', 'Bs'], outputs: ['S'] },
];
const SCORE_INPUTS: GraphValue[] = [
  { name: 'A', dims: ['b', 'd'], elementType: ElementType.uint8 },
  { name: 'Bt', dims: ['t', 'd'], elementType: ElementType.int8 },
  { name: 'Azp', dims: [], elementType: ElementType.uint8 },
  { name: 'As', dims: ['b', 1] },
  { name: 'Bs', dims: [1, 't'] },
];
function scoreFeeds(t: TileOperands): Record<string, ort.Tensor> {
  return {
    A: new ort.Tensor('uint8', t.block.subarray(0, t.rows * t.dims), [t.rows, t.dims]),
    Bt: new ort.Tensor('int8', t.tile.subarray(0, t.cols * t.dims), [t.cols, t.dims]),
    Azp: new ort.Tensor('uint8', Uint8Array.of(128), []),
    As: new ort.Tensor('float32', t.blockScales.subarray(0, t.rows), [t.rows, 1]),
    Bs: new ort.Tensor('float32', t.tileScales.subarray(0, t.cols), [1, t.cols]),
  };
}

/**
 * Approximate cosines of block rows (uint8 = int8 + 128) against tile rows (int8), each row scaled by
 * its own factor, and the best `c` of each row (and column).
 */
export async function tileBest(
  sessions: KernelSessions,
  t: TileOperands,
  c: number,
  /** How many rows to keep per column (symmetric search). */
  cColumns: number,
  withColumns: boolean,
): Promise<TileBest> {
  const nodes: GraphNode[] = [
    ...SCORE_NODES,
    { op: 'TopK', inputs: ['S', 'K'], outputs: ['RowScores', 'RowIndices'], intAttributes: { axis: 1 } },
  ];
  const outputs: GraphValue[] = [
    { name: 'RowScores', dims: ['b', 'c'] },
    { name: 'RowIndices', dims: ['b', 'c'], elementType: ElementType.int64 },
  ];
  if (withColumns) {
    // Transposing first is cheaper than a TopK along axis 0 (strided reads).
    nodes.push(
      { op: 'Transpose', inputs: ['S'], outputs: ['ST'], intAttributes: { perm: [1, 0] } },
      { op: 'TopK', inputs: ['ST', 'KC'], outputs: ['ColScores', 'ColIndices'], intAttributes: { axis: 1 } },
    );
    outputs.push({ name: 'ColScores', dims: ['t', 'c'] }, { name: 'ColIndices', dims: ['t', 'c'], elementType: ElementType.int64 });
  }
  const s = await sessions.get(
    withColumns ? 'tile-symmetric' : 'tile',
    nodes,
    [
      ...SCORE_INPUTS,
      { name: 'K', dims: [1], elementType: ElementType.int64 },
      ...(withColumns ? [{ name: 'KC', dims: [1], elementType: ElementType.int64 }] : []),
    ],
    outputs,
  );
  const result = await s.run({
    ...scoreFeeds(t),
    K: new ort.Tensor('int64', BigInt64Array.of(BigInt(c)), [1]),
    ...(withColumns ? { KC: new ort.Tensor('int64', BigInt64Array.of(BigInt(cColumns)), [1]) } : {}),
  });
  return {
    rowScores: result.RowScores.data as Float32Array,
    rowIndices: result.RowIndices.data as BigInt64Array,
    ...(withColumns ? { colScores: result.ColScores.data as Float32Array, colIndices: result.ColIndices.data as BigInt64Array } : {}),
  };
}

/** Entries of a tile's score matrix at or above a threshold: row-major positions (r·cols + j) and scores. */
export interface TileEntries {
  positions: BigInt64Array;
  scores: Float32Array;
}

/**
 * The same approximate cosines as tileBest, but instead of a TopK per row and column, only the entries
 * at or above the row's threshold (or the column's, for the symmetric search): once every query holds a
 * full candidate list, its current worst candidate is a threshold nothing below can enter, and after a
 * few tiles almost nothing passes. A compare and a scan are far cheaper than two TopKs of the matrix.
 */
export async function tileAbove(
  sessions: KernelSessions,
  t: TileOperands,
  rowThresholds: Float32Array,
  colThresholds: Float32Array | null,
): Promise<TileEntries> {
  const withColumns = colThresholds !== null;
  const nodes: GraphNode[] = [
    ...SCORE_NODES,
    { op: 'GreaterOrEqual', inputs: ['S', 'RowT'], outputs: [withColumns ? 'AboveRow' : 'Above'] },
    ...(withColumns
      ? [
          { op: 'GreaterOrEqual', inputs: ['S', 'ColT'], outputs: ['AboveCol'] },
          { op: 'Or', inputs: ['AboveRow', 'AboveCol'], outputs: ['Above'] },
        ]
      : []),
    { op: 'Reshape', inputs: ['Above', 'Flat'], outputs: ['AboveFlat'] },
    { op: 'Reshape', inputs: ['S', 'Flat'], outputs: ['SFlat'] },
    { op: 'NonZero', inputs: ['AboveFlat'], outputs: ['NZ'] },
    { op: 'Squeeze', inputs: ['NZ', 'Axis0'], outputs: ['Positions'] },
    { op: 'Gather', inputs: ['SFlat', 'Positions'], outputs: ['Scores'], intAttributes: { axis: 0 } },
  ];
  const s = await sessions.get(
    withColumns ? 'tile-above-symmetric' : 'tile-above',
    nodes,
    [
      ...SCORE_INPUTS,
      { name: 'RowT', dims: ['b', 1] },
      ...(withColumns ? [{ name: 'ColT', dims: [1, 't'] }] : []),
      { name: 'Flat', dims: [1], elementType: ElementType.int64 },
      { name: 'Axis0', dims: [1], elementType: ElementType.int64 },
    ],
    [
      { name: 'Positions', dims: ['n'], elementType: ElementType.int64 },
      { name: 'Scores', dims: ['n'] },
    ],
  );
  const result = await s.run({
    ...scoreFeeds(t),
    RowT: new ort.Tensor('float32', rowThresholds.subarray(0, t.rows), [t.rows, 1]),
    ...(withColumns ? { ColT: new ort.Tensor('float32', colThresholds.subarray(0, t.cols), [1, t.cols]) } : {}),
    Flat: new ort.Tensor('int64', BigInt64Array.of(-1n), [1]),
    Axis0: new ort.Tensor('int64', BigInt64Array.of(0n), [1]),
  });
  return { positions: result.Positions.data as BigInt64Array, scores: result.Scores.data as Float32Array };
}

/** ONNX TensorProto code of float64 (not in ElementType). */
const DOUBLE = 11;

/** What quantiseBlock gives per row besides the int8 values (written into the caller's buffer). */
export interface QuantisedBlock {
  /** Σ v² of each row as float64 (NaN or Infinity when the row holds a non-finite value). */
  sumSquares: Float64Array;
  /** max |v| of each row. */
  maxAbs: Float32Array;
}

const CONSTANTS = {
  C127: new ort.Tensor('float32', Float32Array.of(127), []),
  Tiny: new ort.Tensor('float32', Float32Array.of(1e-30), []),
  Lo: new ort.Tensor('float32', Float32Array.of(-127), []),
  Hi: new ort.Tensor('float32', Float32Array.of(127), []),
};

/**
 * Rows [rows, dims] (float32, or float16 bits cast natively) scaled so each row's largest |value| is 127,
 * rounded (half to even) and written as int8 into `out` (rows·dims, e.g. a view of the whole quantised
 * matrix); returns each row's Σ v² (float64) and max |v|. An all-zero row quantises to zeros.
 */
export async function quantiseBlock(sessions: KernelSessions, x: Float32Array | Uint16Array, dtype: 'F32' | 'F16', rows: number, dims: number, out: Int8Array): Promise<QuantisedBlock> {
  const f16 = dtype === 'F16';
  const nodes: GraphNode[] = [
    ...(f16 ? [{ op: 'Cast', inputs: ['X'], outputs: ['XF'], intAttributes: { to: ElementType.float } }] : []),
    { op: 'Cast', inputs: [f16 ? 'XF' : 'X'], outputs: ['XD'], intAttributes: { to: DOUBLE } },
    { op: 'ReduceSumSquare', inputs: ['XD'], outputs: ['SumSquares'], intAttributes: { axes: [1], keepdims: 1 } },
    { op: 'Abs', inputs: [f16 ? 'XF' : 'X'], outputs: ['A'] },
    { op: 'ReduceMax', inputs: ['A'], outputs: ['MaxAbs'], intAttributes: { axes: [1], keepdims: 1 } },
    // 127 / max(max|v|, tiny): a zero row gets a finite factor, so its zeros stay zeros (not 0·∞ = NaN).
    { op: 'Max', inputs: ['MaxAbs', 'Tiny'], outputs: ['Safe'] },
    { op: 'Div', inputs: ['C127', 'Safe'], outputs: ['ToInt'] },
    { op: 'Mul', inputs: [f16 ? 'XF' : 'X', 'ToInt'], outputs: ['Scaled'] },
    { op: 'Round', inputs: ['Scaled'], outputs: ['Rounded'] },
    // Float rounding of v·(127/max) can land a hair above 127; clipping keeps the int8 cast in range.
    { op: 'Clip', inputs: ['Rounded', 'Lo', 'Hi'], outputs: ['Clipped'] },
    { op: 'Cast', inputs: ['Clipped'], outputs: ['Q'], intAttributes: { to: ElementType.int8 } },
  ];
  const s = await sessions.get(
    `quantise-${dtype}`,
    nodes,
    [
      { name: 'X', dims: ['r', 'd'], elementType: f16 ? ElementType.float16 : ElementType.float },
      { name: 'C127', dims: [] },
      { name: 'Tiny', dims: [] },
      { name: 'Lo', dims: [] },
      { name: 'Hi', dims: [] },
    ],
    [
      { name: 'Q', dims: ['r', 'd'], elementType: ElementType.int8 },
      { name: 'SumSquares', dims: ['r', 1], elementType: DOUBLE },
      { name: 'MaxAbs', dims: ['r', 1] },
    ],
  );
  const input = f16 ? new ort.Tensor('float16', x.subarray(0, rows * dims) as Uint16Array, [rows, dims]) : new ort.Tensor('float32', x.subarray(0, rows * dims) as Float32Array, [rows, dims]);
  const result = await s.run({ X: input, ...CONSTANTS }, { Q: new ort.Tensor('int8', out.subarray(0, rows * dims), [rows, dims]), SumSquares: null, MaxAbs: null });
  return { sumSquares: result.SumSquares.data as Float64Array, maxAbs: result.MaxAbs.data as Float32Array };
}

/**
 * Dot products of query rows with candidate rows, in float32: queries [q, d] and candidates [m, d], both
 * float32 or both float16 bits (cast natively). Returns [m, q], every candidate against every query of
 * the batch: one GEMM is faster than m separate dot products even though the caller keeps one of q.
 */
export async function batchDots(sessions: KernelSessions, queries: Float32Array | Uint16Array, candidates: Float32Array | Uint16Array, dtype: 'F32' | 'F16', q: number, m: number, dims: number): Promise<Float32Array> {
  const f16 = dtype === 'F16';
  const nodes: GraphNode[] = [
    ...(f16
      ? [
          { op: 'Cast', inputs: ['Q'], outputs: ['QF'], intAttributes: { to: ElementType.float } },
          { op: 'Cast', inputs: ['C'], outputs: ['CF'], intAttributes: { to: ElementType.float } },
        ]
      : []),
    { op: 'Gemm', inputs: [f16 ? 'CF' : 'C', f16 ? 'QF' : 'Q'], outputs: ['D'], intAttributes: { transB: 1 } },
  ];
  const type = f16 ? ElementType.float16 : ElementType.float;
  const s = await sessions.get(
    `batch-dots-${dtype}`,
    nodes,
    [
      { name: 'Q', dims: ['q', 'd'], elementType: type },
      { name: 'C', dims: ['m', 'd'], elementType: type },
    ],
    [{ name: 'D', dims: ['m', 'q'] }],
  );
  const tensor = (data: Float32Array | Uint16Array, shape: number[]) =>
    f16 ? new ort.Tensor('float16', data as Uint16Array, shape) : new ort.Tensor('float32', data as Float32Array, shape);
  const result = await s.run({ Q: tensor(queries.subarray(0, q * dims), [q, dims]), C: tensor(candidates.subarray(0, m * dims), [m, dims]) });
  return result.D.data as Float32Array;
}

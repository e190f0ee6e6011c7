/**
 * The heavy products of the neighbour search as tiny ONNX graphs, run by onnxruntime's native kernels:
 *   tile:    int8 scores of a block of rows against a tile of rows (MatMulInteger: MLAS's VNNI kernels on
 *            CPUs that have them), rescaled to approximate cosines, with the best `c` per row (TopK) and,
 *            for the symmetric all-vs-all search, the best `c` per column too;
 *   exact:   float32 cosines of each query with its candidates, from the stored rows (float16/bfloat16
 *            widened natively).
 */
import * as ort from 'onnxruntime-node';
import { graphSession } from '../projection/onnxSession.ts';
import { ElementType, type GraphNode, type GraphValue } from '../projection/onnxGraph.ts';


export interface TileBest {
  /** [rows, c] best approximate scores per row of the block, and their column (tile-local) indices. */
  rowScores: Float32Array;
  rowIndices: BigInt64Array;
  /** [cols, c] best scores per column of the tile and their row (block-local) indices; symmetric search only. */
  colScores?: Float32Array;
  colIndices?: BigInt64Array;
}

/**
 * Approximate cosines of block rows (uint8 = int8 + 128) against tile rows (int8), each row scaled by
 * its own factor, and the best `c` of each row (and column).
 */
export async function tileBest(
  block: Uint8Array,
  blockScales: Float32Array,
  rows: number,
  tile: Int8Array,
  tileScales: Float32Array,
  cols: number,
  dims: number,
  c: number,
  /** How many rows to keep per column (symmetric search). */
  cColumns: number,
  withColumns: boolean,
): Promise<TileBest> {
  const nodes: GraphNode[] = [
    { op: 'Transpose', inputs: ['Bt'], outputs: ['B'], intAttributes: { perm: [1, 0] } },
    { op: 'MatMulInteger', inputs: ['A', 'B', 'Azp'], outputs: ['Dots'] },
    { op: 'Cast', inputs: ['Dots'], outputs: ['DotsF'], intAttributes: { to: ElementType.float } },
    { op: 'Mul', inputs: ['DotsF', 'As'], outputs: ['RowScaled'] },
    { op: 'Mul', inputs: ['RowScaled', 'Bs'], outputs: ['S'] },
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
  const s = await graphSession(
    withColumns ? 'tile-symmetric' : 'tile',
    nodes,
    [
      { name: 'A', dims: ['b', 'd'], elementType: ElementType.uint8 },
      { name: 'Bt', dims: ['t', 'd'], elementType: ElementType.int8 },
      { name: 'Azp', dims: [], elementType: ElementType.uint8 },
      { name: 'As', dims: ['b', 1] },
      { name: 'Bs', dims: [1, 't'] },
      { name: 'K', dims: [1], elementType: ElementType.int64 },
      ...(withColumns ? [{ name: 'KC', dims: [1], elementType: ElementType.int64 }] : []),
    ],
    outputs,
  );
  const result = await s.run({
    A: new ort.Tensor('uint8', block.subarray(0, rows * dims), [rows, dims]),
    Bt: new ort.Tensor('int8', tile.subarray(0, cols * dims), [cols, dims]),
    Azp: new ort.Tensor('uint8', Uint8Array.of(128), []),
    As: new ort.Tensor('float32', blockScales.subarray(0, rows), [rows, 1]),
    Bs: new ort.Tensor('float32', tileScales.subarray(0, cols), [1, cols]),
    K: new ort.Tensor('int64', BigInt64Array.of(BigInt(c)), [1]),
    ...(withColumns ? { KC: new ort.Tensor('int64', BigInt64Array.of(BigInt(cColumns)), [1]) } : {}),
  });
  return {
    rowScores: result.RowScores.data as Float32Array,
    rowIndices: result.RowIndices.data as BigInt64Array,
    ...(withColumns ? { colScores: result.ColScores.data as Float32Array, colIndices: result.ColIndices.data as BigInt64Array } : {}),
  };
}

/** ONNX element type of a stored 16-bit float dtype. */
const STORED = { F16: { type: ElementType.float16, ort: 'float16' }, BF16: { type: 16, ort: 'bfloat16' } } as const;

/**
 * Dot products of each query with its `c` candidates, in float32: queries [q, d] float32, candidates
 * [q, c, d] as stored (F16/BF16 bits, or F32). Returns [q, c].
 */
export async function exactDots(queries: Float32Array, candidates: Uint16Array | Float32Array, dtype: string, q: number, c: number, dims: number): Promise<Float32Array> {
  const stored = dtype === 'F32' ? null : STORED[dtype as keyof typeof STORED];
  const nodes: GraphNode[] = [
    { op: 'Unsqueeze', inputs: ['Q', 'Axis'], outputs: ['Q3'] },
    ...(stored ? [{ op: 'Cast', inputs: ['C'], outputs: ['CF'], intAttributes: { to: ElementType.float } }] : []),
    { op: 'Transpose', inputs: ['Q3'], outputs: ['QT'], intAttributes: { perm: [0, 2, 1] } },
    { op: 'MatMul', inputs: [stored ? 'CF' : 'C', 'QT'], outputs: ['D3'] },
    { op: 'Squeeze', inputs: ['D3', 'Axis2'], outputs: ['D'] },
  ];
  const s = await graphSession(
    `exact-${dtype}`,
    nodes,
    [
      { name: 'Q', dims: ['q', 'd'] },
      { name: 'C', dims: ['q', 'c', 'd'], elementType: stored?.type ?? ElementType.float },
      { name: 'Axis', dims: [1], elementType: ElementType.int64 },
      { name: 'Axis2', dims: [1], elementType: ElementType.int64 },
    ],
    [{ name: 'D', dims: ['q', 'c'] }],
  );
  const result = await s.run({
    Q: new ort.Tensor('float32', queries.subarray(0, q * dims), [q, dims]),
    C: stored
      ? new ort.Tensor(stored.ort as 'float16', candidates.subarray(0, q * c * dims) as Uint16Array, [q, c, dims])
      : new ort.Tensor('float32', candidates.subarray(0, q * c * dims) as Float32Array, [q, c, dims]),
    Axis: new ort.Tensor('int64', BigInt64Array.of(1n), [1]),
    Axis2: new ort.Tensor('int64', BigInt64Array.of(2n), [1]),
  });
  return result.D.data as Float32Array;
}

/**
 * Per-row statistics of an embedding block for the facets, natively in onnxruntime: a full vocabulary is
 * 525M values at 128k × 4096, several seconds in a JS loop and a fraction of one here.
 */
import * as ort from 'onnxruntime-node';
import { ElementType } from '../projection/onnxGraph.ts';
import { graphSession } from '../projection/onnxSession.ts';

/**
 * Sums of squares of each row of a float32 block [rows, dims] and, when `mean` ([dims, 1]) is given, each
 * row's dot product with it. Sums of at most a few thousand float32 products: relative error near 1e-6.
 */
export async function blockRowStatistics(block: Float32Array, rows: number, dims: number, mean: ort.Tensor | null): Promise<{ squares: Float32Array; dots: Float32Array | null }> {
  const squaresOnly = mean === null;
  const s = await graphSession(
    squaresOnly ? 'row-squares' : 'row-squares-dots',
    [
      { op: 'ReduceSumSquare', inputs: ['X'], outputs: ['S'], intAttributes: { axes: [1], keepdims: 0 } },
      ...(squaresOnly ? [] : [{ op: 'MatMul', inputs: ['X', 'M'], outputs: ['D'] }]),
    ],
    [{ name: 'X', dims: ['n', 'd'] }, ...(squaresOnly ? [] : [{ name: 'M', dims: ['d', 1] }])],
    [{ name: 'S', dims: ['n'] }, ...(squaresOnly ? [] : [{ name: 'D', dims: ['n', 1], elementType: ElementType.float }])],
  );
  const out = await s.run({ X: new ort.Tensor('float32', block.subarray(0, rows * dims), [rows, dims]), ...(mean ? { M: mean } : {}) });
  return { squares: out.S.data as Float32Array, dots: squaresOnly ? null : (out.D.data as Float32Array) };
}

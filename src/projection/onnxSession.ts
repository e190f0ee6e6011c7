/** One onnxruntime session per small graph of ours (PCA passes, neighbour tiles), created once per process. */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel, type GraphNode, type GraphValue } from './onnxGraph.ts';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

export function graphSession(name: string, nodes: GraphNode[], inputs: GraphValue[], outputs: GraphValue[]): Promise<ort.InferenceSession> {
  if (!sessions.has(name)) {
    sessions.set(
      name,
      ort.InferenceSession.create(encodeOnnxModel(nodes, inputs, outputs), {
        intraOpNumThreads: availableParallelism(),
        graphOptimizationLevel: 'all',
        // An arena would keep every block- or tile-sized temporary for the life of the process.
        enableCpuMemArena: false,
        // Spinning worker threads burn a core between the many small runs of a pass (and starve the JS thread
        // that widens the next block); waking them costs microseconds.
        extra: { session: { intra_op: { allow_spinning: process.env.TOKENSCAPE_ORT_SPIN ?? '0' } } },
      }),
    );
  }
  return sessions.get(name)!;
}

/**
 * onnxruntime sessions of the neighbour kernels, owned by one search and released phase by phase.
 *
 * Why not the shared session cache (projection/onnxSession.ts, no arena, kept for the process)? A search
 * makes tens of thousands of runs whose temporaries are 1–16 MB each; freed by glibc, those land in heap
 * arenas that are never returned, and RSS grew by ~300 MB over a 32k search (against the ≤ 1.5×
 * tensor-bytes target). A memory arena holds one run's worth and is reused by every run; releasing a
 * phase's sessions when it ends gives that memory back before the next phase needs its own.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel, type GraphNode, type GraphValue } from '../projection/onnxGraph.ts';

export class KernelSessions {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  get(name: string, nodes: GraphNode[], inputs: GraphValue[], outputs: GraphValue[]): Promise<ort.InferenceSession> {
    let session = this.sessions.get(name);
    if (!session) {
      session = ort.InferenceSession.create(encodeOnnxModel(nodes, inputs, outputs), {
        intraOpNumThreads: availableParallelism(),
        graphOptimizationLevel: 'all',
        enableCpuMemArena: true,
        // As in onnxSession.ts: spinning workers would burn a core between the many short runs.
        extra: { session: { intra_op: { allow_spinning: process.env.TOKENSCAPE_ORT_SPIN ?? '0' } } },
      });
      this.sessions.set(name, session);
    }
    return session;
  }

  /** Releases every session made so far (and its arena); later calls make new ones. */
  async release(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of open) await (await session).release();
  }
}

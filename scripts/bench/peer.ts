/** Runs the notebook's Python pipeline (../shared/peer/seed_pipeline.py) on the same inputs, for side-by-side figures. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PEER_DIR, PYTHON, pythonHas } from './inputs.ts';

export interface PeerResult {
  timings_s: Record<string, number>;
  total_s: number;
  /** The whole Python process, start-up and imports included (what a user waits for). */
  wall_s: number;
  html_bytes: number;
  n_points: number;
  maxRssBytes: number;
}

export function peerAvailable(): string | null {
  if (!existsSync(join(PEER_DIR, 'seed_pipeline.py'))) return `${PEER_DIR}/seed_pipeline.py not found`;
  if (!pythonHas('numpy', 'sklearn', 'plotly', 'sentencepiece')) return `${PYTHON} lacks numpy/sklearn/plotly/sentencepiece (apt-get install -y python3-sklearn python3-plotly python3-pandas python3-sentencepiece)`;
  return null;
}

/** seed_pipeline.py with its own arguments; adds the peak RSS of the Python process. */
export function runPeer(args: string[]): PeerResult {
  const wrapper = `
import resource, runpy, sys
sys.argv = [sys.argv[1]] + sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)`;
  const started = performance.now();
  const out = execFileSync(PYTHON, ['-c', wrapper, join(PEER_DIR, 'seed_pipeline.py'), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: peerEnv() });
  const wall_s = (performance.now() - started) / 1000;
  const lines = out.trim().split('\n');
  const result = JSON.parse(lines[lines.length - 2]) as PeerResult;
  return { ...result, wall_s, maxRssBytes: Number(lines[lines.length - 1]) * 1024 };
}

/**
 * The peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset: some machines set them for old OpenBLAS
 * builds, and they slow a current numpy down, which would flatter our ratios.
 */
function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** What BLAS the peer's numpy runs (threadpoolctl), for the bench header. */
export function peerBlasDescription(): string {
  const unset = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((v) => process.env[v] !== undefined);
  const note = unset.length ? `${unset.join(', ')} unset for the peer (set here: ${unset.map((v) => `${v}=${process.env[v]}`).join(', ')})` : 'OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE not set';
  try {
    const info = execFileSync(PYTHON, ['-c', 'import json, numpy, threadpoolctl; print(json.dumps([{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")} for i in threadpoolctl.threadpool_info()]))'], { encoding: 'utf8', env: peerEnv() });
    const pools = JSON.parse(info) as { internal_api: string; version: string; architecture: string; num_threads: number }[];
    return `${pools.map((p) => `${p.internal_api} ${p.version} (${p.architecture} kernel, ${p.num_threads} threads)`).join(', ')}; ${note}`;
  } catch {
    return `BLAS unknown (no threadpoolctl); ${note}`;
  }
}

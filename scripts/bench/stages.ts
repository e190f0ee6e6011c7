/** One timed stage each; run in child processes where memory is measured, so stages do not share a heap. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { embeddingOf } from './inputs.ts';
import { fitPca } from '../../src/projection/pca.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** Decode + PCA of every row of the embedding in a safetensors file (what sklearn's gather + fit_transform do). */
export async function benchPca(weights: string): Promise<{ seconds: number; iterations: number; ratio: number[] }> {
  const file = embeddingOf(weights);
  const rows = file.rows;
  const started = performance.now();
  const fit = await fitPca(await file.rowBlocks(Uint32Array.from({ length: rows }, (_, i) => i), 1024 * 1024 * 1024));
  return { seconds: (performance.now() - started) / 1000, iterations: fit.model.iterations, ratio: fit.model.explainedVarianceRatio };
}

/**
 * The whole command, as a user runs it: `node scripts/cli.mjs precompute` (what `npm run precompute` runs) on a
 * one-exhibit config of a local model folder's full vocabulary, from a cold Tokenscape cache, timed from spawn
 * to exit. Peak RSS from the command's own --verbose report. The caller builds the esbuild bundle first.
 */
export function benchPrecomputeCommand(folder: string, workdir: string, neighbors = false): { seconds: number; maxRssBytes: number } {
  mkdirSync(workdir, { recursive: true });
  const config = join(workdir, 'gallery.config.yaml');
  writeFileSync(config, `title: bench\nexhibits:\n  - id: vocabulary\n    title: vocabulary\n    model: { path: ${JSON.stringify(folder)} }\n    corpus: vocabulary\n${neighbors ? '' : '    neighbors: false\n'}`);
  const env = { ...process.env, GALLERY_CONFIG: config, TOKENSCAPE_CACHE: join(workdir, 'cache'), TOKENSCAPE_EXHIBITS: join(workdir, 'exhibits'), HF_HUB_OFFLINE: '1' };
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/cli.mjs'), 'precompute', '--verbose'], { cwd: repoRoot, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`npm run precompute failed on ${folder}:\n${run.stderr}`);
  const peak = /peak memory (\d+) MB/.exec(`${run.stdout}\n${run.stderr}`);
  if (!peak) throw new Error(`npm run precompute --verbose did not report its peak memory:\n${run.stdout}`);
  return { seconds, maxRssBytes: Number(peak[1]) * 1e6 };
}

/**
 * The floor of a full-vocabulary PCA on this machine: the tensor's bytes read from the file once, then streamed
 * through memory `passes` times by a native copy into a cache-sized buffer (memory bandwidth, no arithmetic).
 */
export async function benchFloor(weights: string, passes: number): Promise<{ seconds: number }> {
  const started = performance.now();
  const bytes = await readFile(weights);
  const scratch = Buffer.allocUnsafe(1 << 20);
  for (let p = 0; p < passes; p++) for (let at = 0; at < bytes.length; at += scratch.length) bytes.copy(scratch, 0, at, Math.min(bytes.length, at + scratch.length));
  return { seconds: (performance.now() - started) / 1000 };
}

// Child-process entry: `tsx scripts/bench/stages.ts <stage> <args...>` prints one JSON line with maxRSS.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [stage, ...args] = process.argv.slice(2);
  const result = stage === 'pca' ? await benchPca(args[0]) : await benchFloor(args[0], Number(args[1]));
  process.stdout.write(`${JSON.stringify({ ...result, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

/** One timed stage each; run in child processes where memory is measured, so stages do not share a heap. */
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { EmbeddingFile } from '../../src/embeddings/embeddingFile.ts';
import { parseSafetensorsHeader, readHeaderLength } from '../../src/embeddings/safetensorsHeader.ts';
import { fitPca } from '../../src/projection/pca.ts';
import { parseGalleryConfig } from '../../src/config/index.ts';
import { hubEnvironment } from '../../src/hub/hubEnvironment.ts';
import { precompute } from '../../src/pipeline/precompute.ts';

/** Decode + PCA of every row of the embedding in a safetensors file (what sklearn's gather + fit_transform do). */
export async function benchPca(weights: string): Promise<{ seconds: number; iterations: number; ratio: number[] }> {
  const fd = openSync(weights, 'r');
  const prefix = new Uint8Array(8);
  readSync(fd, prefix, 0, 8, 0);
  const headerBytes = new Uint8Array(readHeaderLength(prefix, weights));
  readSync(fd, headerBytes, 0, headerBytes.length, 8);
  closeSync(fd);
  const header = parseSafetensorsHeader(headerBytes, weights, null);
  const t = [...header.tensors.values()][0];
  const [rows, cols] = t.shape;
  const file = new EmbeddingFile(weights, t.dtype, rows, cols, t.name, t.begin);
  const started = performance.now();
  const fit = await fitPca(await file.rowBlocks(Uint32Array.from({ length: rows }, (_, i) => i), 1024 * 1024 * 1024));
  return { seconds: (performance.now() - started) / 1000, iterations: fit.model.iterations, ratio: fit.model.explainedVarianceRatio };
}

/**
 * The whole precompute of a full-vocabulary exhibit of a local model folder, from a cold Tokenscape cache.
 * `neighbors: false` leaves out the neighbour search, which has rows of its own (scripts/bench/neighbors.ts).
 */
export async function benchPrecompute(folder: string, workdir: string, neighbors = true): Promise<{ seconds: number }> {
  const options = neighbors ? '' : '    neighbors: false\n';
  const config = parseGalleryConfig(`title: bench\nexhibits:\n  - id: vocabulary\n    title: vocabulary\n    model: { path: ${JSON.stringify(folder)} }\n    corpus: vocabulary\n${options}`, `${workdir}/gallery.yaml`);
  const started = performance.now();
  await precompute({ config, env: { ...hubEnvironment(), offline: true }, workspace: { cacheDir: `${workdir}/cache`, exhibitsDir: `${workdir}/exhibits` } });
  return { seconds: (performance.now() - started) / 1000 };
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
  const result = stage === 'pca' ? await benchPca(args[0]) : stage === 'floor' ? await benchFloor(args[0], Number(args[1])) : await benchPrecompute(args[0], args[1], args[2] !== 'no-neighbors');
  process.stdout.write(`${JSON.stringify({ ...result, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

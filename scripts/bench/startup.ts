/**
 * Fixed start-up (`npm run bench -- --only startup`): the whole `npm run precompute` command, as a user runs
 * it, for one exhibit of ../shared/fixtures/models/tiny-random-llama on a few lines of text, from a cold
 * Tokenscape cache each time (best and median of 5), and what the start-up spends: Node itself, npm's own
 * start, and the imports of the heavy modules, each timed in a fresh process (transformers.js for reference: a
 * run loads it only for the few tokenizer classes that customise the core tokenizer).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FIXTURES } from './inputs.ts';
import type { BenchRow } from './table.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const RUNS = 5;

function wall(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  const r = spawnSync(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Milliseconds to import `specifier` in a fresh Node process (after Node's own start-up). */
function importMs(specifier: string): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t)`], { cwd: repoRoot, encoding: 'utf8' });
  return Number(out.trim());
}

export function benchStartup(work: string): BenchRow[] {
  const dir = join(work, 'startup');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'corpus.txt'), 'The quick brown fox\njumps over the lazy dog.\nHello, world!\n');
  writeFileSync(join(dir, 'gallery.config.yaml'), `title: start-up\nexhibits:\n  - id: tiny\n    title: Tiny\n    model: { path: ${JSON.stringify(resolve(FIXTURES, 'models/tiny-random-llama'))} }\n    corpus: { file: ./corpus.txt }\n`);
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    rmSync(join(dir, 'cache'), { recursive: true, force: true });
    rmSync(join(dir, 'exhibits'), { recursive: true, force: true });
    runs.push(wall('npm', ['run', '-s', 'precompute'], { ...process.env, GALLERY_CONFIG: join(dir, 'gallery.config.yaml'), TOKENSCAPE_CACHE: join(dir, 'cache'), TOKENSCAPE_EXHIBITS: join(dir, 'exhibits'), HF_HUB_OFFLINE: '1' }));
  }
  const node = median(Array.from({ length: 3 }, () => wall(process.execPath, ['-e', '0'])));
  const npm = median(Array.from({ length: 3 }, () => wall('npm', ['run', '-s', 'env'], { ...process.env }))) - node;
  const best = Math.min(...runs);
  const row = (figure: string, ours: string, target: string, verdict = ''): BenchRow => ({ figure, ours, peer: '', ratio: '', target, verdict });
  return [
    row(`start-up: npm run precompute, 1 tiny exhibit, 3 lines (best / median of ${RUNS})`, `${best.toFixed(2)} / ${median(runs).toFixed(2)} s`, '≤ 1.0 s wall', best <= 1.0 ? 'met' : 'MISSED'),
    row('  of which Node itself / npm run', `${node.toFixed(2)} / ${npm.toFixed(2)} s`, '(report)'),
    row(
      '  import @huggingface/tokenizers / onnxruntime-node / @huggingface/transformers',
      `${importMs('@huggingface/tokenizers').toFixed(0)} / ${importMs('onnxruntime-node').toFixed(0)} / ${importMs('@huggingface/transformers').toFixed(0)} ms`,
      '(report; transformers.js only for tokenizer classes that customise the core tokenizer)',
    ),
  ];
}

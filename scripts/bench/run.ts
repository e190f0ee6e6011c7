/**
 * `npm run bench`: makes its inputs, times each stage of Tokenscape and, where Debian's python3 has the
 * notebook's stack, the notebook's method on the same inputs in the same run, and prints our/their ratios
 * beside the targets. Figures, not assertions: these machines are noisy, ratios are what count.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchBrowser, browserRows } from './browser.ts';
import { benchCount } from './count.ts';
import { ensureBenchModel, type BenchModel } from './inputs.ts';
import { peerAvailable, peerBlasDescription, runPeer, type PeerResult } from './peer.ts';
import { benchStartup } from './startup.ts';
import { printTable, type BenchRow } from './table.ts';
import { benchTokenize, benchTokenizeFamilies } from './tokenize.ts';
import { benchGguf } from './gguf.ts';
import { benchNeighbors, K } from './neighbors.ts';
import { benchPrecomputeCommand } from './stages.ts';
import { ensureBundle } from '../bundle.mjs';

const rows: BenchRow[] = [];
/**
 * `npm run bench -- --only a,b` runs only the named sections (each section below checks `wanted`);
 * without it every section runs. Sections: core (PCA 32k, full-vocabulary precompute 32k F16 and 128k BF16 against
 * the notebook), shapes (151936 × 3584 and 262144 × 2304 BF16), startup (one tiny exhibit, the whole command),
 * count (token counting on both cores), tokenize (against SentencePiece, one row per tokenizer family), gguf (dequantisation), neighbors (all-vs-all top-10 at 32k and 128k), browser (page figures at 32k, 128k, 262k).
 */
const onlyArg = process.argv.find((a, i) => process.argv[i - 1] === '--only' || a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.replace(/^--only=/, '').split(',')) : null;
const wanted = (section: string) => !only || only.has(section);
const log = (s: string) => process.stderr.write(`${s}\n`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const s = (seconds: number) => `${seconds.toFixed(2)} s`;

function child<T>(args: string[]): T {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench/stages.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

function addRatio(figure: string, ours: number, peer: number | null, format: (v: number) => string, maxRatio: number | null, targetText: string) {
  const ratio = peer ? ours / peer : null;
  rows.push({
    figure,
    ours: format(ours),
    peer: peer === null ? 'n/a' : format(peer),
    ratio: ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`,
    target: targetText,
    verdict: maxRatio === null || ratio === null ? '' : ratio <= maxRatio ? 'met' : 'MISSED',
  });
}

function addAbsolute(figure: string, ours: string, peer: string, ok: boolean, target: string) {
  rows.push({ figure, ours, peer, ratio: '', target, verdict: ok ? 'met' : 'MISSED' });
}

/**
 * Reads a file once so that it is in the page cache: each timed run (ours and the peer's) starts from the same
 * warm cache, instead of whichever runs first paying the disk (a 1 GB tensor costs seconds to read cold).
 */
function warm(path: string): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(8 << 20);
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/** A full-vocabulary precompute of a bench model in a child process (peak RSS is that process's), once per run. */
const precomputes = new Map<string, { seconds: number; maxRssBytes: number; exhibits: string }>();
function precomputeOnce(model: BenchModel, work: string) {
  if (!precomputes.has(model.folder)) {
    log(`precompute, full vocabulary ${model.rows} × ${model.dims} ${model.dtype} …`);
    const dir = join(work, `pre-${model.rows}`);
    // Neighbours off: the notebook computes none, and the neighbours section times them on its own.
    warm(model.weights);
    precomputes.set(model.folder, { ...benchPrecomputeCommand(model.folder, dir), exhibits: join(dir, 'exhibits') });
  }
  return precomputes.get(model.folder)!;
}

/** Full-vocabulary precompute (whole command, child process) against the notebook's whole pipeline, and peak RSS. */
function precomputeRows(model: BenchModel, work: string, peerMissing: string | null, maxRatio: number): PeerResult | null {
  const ours = precomputeOnce(model, work);
  let peer: PeerResult | null = null;
  if (!peerMissing) {
    log(`peer: notebook pipeline on the full ${model.rows} × ${model.dims} vocabulary …`);
    warm(model.weights);
    peer = runPeer(['--weights', model.weights, '--full', '--html', join(work, `peer-${model.rows}.html`)]);
  }
  const shape = `${model.rows} × ${model.dims} ${model.dtype}`;
  addRatio(`full-vocabulary precompute, ${shape}, whole command (neighbours off)`, ours.seconds, peer?.wall_s ?? null, s, maxRatio, `≤ ${maxRatio} × notebook (whole process incl. HTML)`);
  if (peer) {
    // The notebook's own timers leave out Python's start-up and its imports: the stricter comparison.
    addRatio('  against the notebook\'s own timers (no interpreter start-up, no imports)', ours.seconds, peer.total_s, s, null, '(report)');
  }
  const floor = memoryFloor(model);
  rows.push({ figure: '  floor: one read of the tensor + 4 memory-bound passes (measured)', ours: s(floor), peer: '', ratio: `${(ours.seconds / floor).toFixed(1)}× floor`, target: '(how close to the floor)', verdict: '' });
  // The memory target is the issue's for BF16 vocabularies of 128k and more; a 32k F16 one is held as float32.
  const judged = model.dtype === 'BF16';
  addRatio('  peak RSS of that precompute', ours.maxRssBytes, peer?.maxRssBytes ?? null, mb, null, judged ? `≤ 1.5 × tensor (${mb(1.5 * model.tensorBytes)})` : '(report)');
  if (judged) rows[rows.length - 1].verdict = ours.maxRssBytes <= 1.5 * model.tensorBytes ? 'met' : 'MISSED';
  return peer;
}

/** The physical floor of a full-vocabulary PCA here: read the tensor once, then stream its bytes 4 times. */
function memoryFloor(model: BenchModel): number {
  return child<{ seconds: number }>(['floor', model.weights, '4']).seconds;
}

async function main() {
  console.log(`Tokenscape benchmark, ${new Date().toISOString()}: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  const peerMissing = peerAvailable();
  if (peerMissing) console.log(`peer figures skipped: ${peerMissing}`);
  else console.log(`peer: ${peerBlasDescription()}`);
  const work = mkdtempSync(join(tmpdir(), 'tokenscape-bench-'));
  // `npm run precompute` runs from an esbuild bundle it builds when the sources change: built here, untimed.
  await ensureBundle('precompute');
  try {
    // The CPU-bound sections first, before the multi-gigabyte sections below (and the notebook's 7 GB processes)
    // leave the kernel reclaiming memory and page cache: counting on both cores needs the second core, which a
    // one-thread run does not (a full run of 793747e gave 0.60× there, the same code 0.53× run alone that hour).
    if (wanted('startup')) {
      log('start-up: one-exhibit precompute of tiny-random-llama on a few lines …');
      for (const r of benchStartup(work)) rows.push(r);
    }

    if (wanted('count')) {
      log('token counting on both cores …');
      const [large, small] = await benchCount(3, log);
      addRatio(`count tokens, ${large.corpus}, ${(large.bytes / 1e6).toFixed(0)} MB: both cores vs one`, large.parallel, large.single, s, 1 / 1.7, '≥ 1.7× one thread (ratio ≤ 0.59)');
      if (!large.same) rows[rows.length - 1].verdict = 'MISSED (counts differ)';
      addRatio(`count tokens, ${small.corpus}: countTokensParallel vs one thread`, small.parallel, small.single, s, 1.05, 'no slower (the same one-thread code below 4 MB; ≤ 1.05 allows for noise)');
      if (!small.same) rows[rows.length - 1].verdict = 'MISSED (counts differ)';
    }

    if (wanted('tokenize')) {
      log('tokenize and count …');
      for (const f of await benchTokenize(3)) {
        const [ours, sp] = f.best;
        addRatio(`tokenize + count ${f.corpus.split('/').pop()} (best of 3)`, ours.wall, sp?.wall ?? null, s, 1.0, '≤ 1.0 × SentencePiece line by line');
      }
      for (const f of await benchTokenizeFamilies(3)) {
        // ids identical to the tokenizer's own encode, on every line (tokenize.ts prints the SentencePiece count check too).
        addRatio(`  ${f.family}, wiki.test (ids identical: ${f.idsEqualEncode ? 'yes' : 'NO'})`, f.best.wall, f.sentencePiece?.wall ?? null, s, 1.0, '≤ 1.0 × SentencePiece line by line');
        if (!f.idsEqualEncode) rows[rows.length - 1].verdict = 'MISSED';
      }
    }

    const needLlama = wanted('core') || wanted('browser');
    const llama2 = needLlama ? await ensureBenchModel('llama2-32000x4096-f16', 32000, 4096, 'F16', log) : null;
    const llama3 = needLlama ? await ensureBenchModel('llama3-128256x4096-bf16', 128256, 4096, 'BF16', log) : null;
    let peer32: PeerResult | null = null;

    if (wanted('core') && llama2 && llama3) {
      log('PCA 32000 × 4096 …');
      warm(llama2.weights);
      const pca = child<{ seconds: number; iterations: number }>(['pca', llama2.weights]);
      peer32 = precomputeRows(llama2, work, peerMissing, 0.4);
      addRatio('PCA 3D of 32000 × 4096 (decode + fit)', pca.seconds, peer32?.timings_s.pca ?? null, s, 0.5, '≤ 0.5 × sklearn');
      precomputeRows(llama3, work, peerMissing, 0.5);
    }

    if (wanted('shapes')) {
      // Qwen2.5-7B and Gemma-2-2B vocabulary shapes (synthetic, BF16 as those checkpoints are stored).
      for (const [name, n, d] of [['qwen25-151936x3584-bf16', 151936, 3584], ['gemma2-262144x2304-bf16', 262144, 2304]] as const) {
        const model = await ensureBenchModel(name, n, d, 'BF16', log);
        precomputeRows(model, work, peerMissing, 0.5);
      }
    }

    if (peer32) addAbsolute('notebook Plotly HTML, 32000 points', mb(peer32.html_bytes), '', true, '(reference for page weight)');
    if (wanted('gguf')) rows.push(...(await benchGguf(log)));
    if (wanted('neighbors')) {
      // All-vs-all top-10 (src/neighbors); recall against exact float32 brute force: every query at 32k,
      // a random sample at 128k (brute force there is 1.35e14 FLOP).
      const sample128 = Number(process.env.TOKENSCAPE_BENCH_RECALL_SAMPLE ?? 1000);
      const llama2n = llama2 ?? (await ensureBenchModel('llama2-32000x4096-f16', 32000, 4096, 'F16', log));
      const llama3n = llama3 ?? (await ensureBenchModel('llama3-128256x4096-bf16', 128256, 4096, 'BF16', log));
      for (const [model, target, sample] of [[llama2n, 15, 0], [llama3n, 90, sample128]] as const) {
        const shape = `${model.rows} × ${model.dims} ${model.dtype}`;
        log(`neighbours, all-vs-all top-10 of ${shape} …`);
        warm(model.weights); // as after a precompute, which has just read the matrix
        const nb = await benchNeighbors(model.weights, work, sample, log);
        const recallText = `recall@10 ${nb.recall.toFixed(4)} (${nb.recallQueries === model.rows ? 'all' : `random sample of ${nb.recallQueries}`} queries)`;
        addAbsolute(`neighbours top-10 all-vs-all, ${shape}`, s(nb.seconds), recallText, nb.seconds <= target && nb.recall >= 0.99, `≤ ${target} s, recall ≥ 0.99`);
        const phases = `quantise ${s(nb.phases.quantise)}, int8 candidates ${s(nb.phases.candidates)}, exact re-rank ${s(nb.phases.exact)}; ${(nb.cpu.quantise + nb.cpu.candidates + nb.cpu.exact).toFixed(0)} CPU-s; load ${nb.load[0].toFixed(1)} → ${nb.load[1].toFixed(1)}`;
        rows.push({ figure: '  phases', ours: phases, peer: '', ratio: '', target: '', verdict: '' });
        addAbsolute('  peak RSS of that search', mb(nb.maxRssBytes), '', nb.maxRssBytes <= 1.5 * model.tensorBytes, `≤ 1.5 × tensor (${mb(1.5 * model.tensorBytes)})`);
        rows.push({ figure: `  neighbors.bin per point (k = ${K}; fetched on first select)`, ours: `${(nb.file.gzipBytes / model.rows).toFixed(1)} B gzip`, peer: `${(nb.file.bytes / model.rows).toFixed(1)} B as written`, ratio: '', target: '(report)', verdict: '' });
      }
    }

    if (wanted('browser') && llama2 && llama3) {
      // Browser figures (scripts/bench/browser.ts): the exhibits the precompute stage wrote (or precomputed
      // there), one astro build, headless Chromium against the Plotly HTML the peer wrote above.
      const peerHtml = join(work, 'peer-32000.html');
      if (!peerMissing && !existsSync(peerHtml)) runPeer(['--weights', llama2.weights, '--full', '--html', peerHtml]);
      const gemma = await ensureBenchModel('gemma2-262144x2304-bf16', 262144, 2304, 'BF16', log);
      log('browser: page weight, first draw, orbit and hover in headless Chromium …');
      const at = (m: BenchModel) => precomputes.get(m.folder)?.exhibits;
      const browser = await benchBrowser({
        work,
        small: { id: 'vocab-32k', title: 'Bench: 32000 × 4096 F16, full vocabulary', modelFolder: llama2.folder, precomputed: at(llama2) },
        large: { id: 'vocab-128k', title: 'Bench: 128256 × 4096 BF16, full vocabulary', modelFolder: llama3.folder, precomputed: at(llama3) },
        huge: { id: 'vocab-262k', title: 'Bench: 262144 × 2304 BF16, full vocabulary', modelFolder: gemma.folder, precomputed: at(gemma) },
        peerHtml: existsSync(peerHtml) ? peerHtml : null,
        log,
      }).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      if (typeof browser === 'string') console.log(`browser figures skipped: ${browser}`);
      else if (browser instanceof Error) console.log(`browser figures failed: ${browser.message}`);
      else {
        log(`browser: done in ${browser.seconds.toFixed(0)} s (astro build ${browser.buildSeconds.toFixed(0)} s)`);
        rows.push(...browserRows(browser));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log('');
  printTable(rows);
}

await main();

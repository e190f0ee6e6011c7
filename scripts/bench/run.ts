/**
 * `npm run bench`: makes its inputs, times each stage of Tokenscape and, where Debian's python3 has the
 * notebook's stack, the notebook's method on the same inputs in the same run, and prints our/their ratios
 * beside the targets. Figures, not assertions: these machines are noisy, ratios are what count.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchBrowser, browserRows } from './browser.ts';
import { ensureBenchModel } from './inputs.ts';
import { peerAvailable, runPeer, type PeerResult } from './peer.ts';
import { printTable, type BenchRow } from './table.ts';
import { benchTokenize } from './tokenize.ts';
import { benchNeighbors } from './neighbors.ts';

const rows: BenchRow[] = [];
/**
 * `npm run bench -- --only a,b` runs only the named sections (each section below checks `wanted`);
 * without it every section runs. Sections: core (PCA, precompute, page figures), tokenize, neighbors,
 * browser (headless Chromium; without core it precomputes its two exhibits itself).
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
 * Browser figures (scripts/bench/browser.ts): the full-vocabulary exhibits the precompute stage wrote
 * (`reuse`) or precomputed there, one astro build, headless Chromium against the Plotly HTML the peer wrote.
 */
async function browserSection(work: string, small: string, large: string, peerHtml: string | null, reuse: boolean) {
  log('browser: page weight, first draw, orbit and hover in headless Chromium …');
  const browser = await benchBrowser({
    work,
    small: { id: 'vocab-32k', title: 'Bench: 32000 × 4096 F16, full vocabulary', modelFolder: small, precomputed: reuse ? join(work, 'pre32', 'exhibits') : undefined },
    large: { id: 'vocab-128k', title: 'Bench: 128256 × 4096 BF16, full vocabulary', modelFolder: large, precomputed: reuse ? join(work, 'pre128', 'exhibits') : undefined },
    peerHtml,
    log,
  }).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  if (typeof browser === 'string') console.log(`browser figures skipped: ${browser}`);
  else if (browser instanceof Error) console.log(`browser figures failed: ${browser.message}`);
  else {
    log(`browser: done in ${browser.seconds.toFixed(0)} s (astro build ${browser.buildSeconds.toFixed(0)} s)`);
    rows.push(...browserRows(browser));
  }
}

async function main() {
  console.log(`Tokenscape benchmark, ${new Date().toISOString()}: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  const peerMissing = peerAvailable();
  if (peerMissing) console.log(`peer figures skipped: ${peerMissing}`);
  const work = mkdtempSync(join(tmpdir(), 'tokenscape-bench-'));
  try {
    const llama2 = await ensureBenchModel('llama2-32000x4096-f16', 32000, 4096, 'F16', log);
    const llama3 = await ensureBenchModel('llama3-128256x4096-bf16', 128256, 4096, 'BF16', log);

    if (wanted('neighbors')) {
      // All-vs-all top-10 (src/neighbors); recall against exact float32 brute force: every query at 32k,
      // a random sample at 128k (brute force there is 1.35e14 FLOP).
      const sample128 = Number(process.env.TOKENSCAPE_BENCH_RECALL_SAMPLE ?? 1000);
      for (const [model, target, sample] of [[llama2, 15, 0], [llama3, 90, sample128]] as const) {
        const shape = `${model.rows} × ${model.dims} ${model.dtype}`;
        log(`neighbours, all-vs-all top-10 of ${shape} …`);
        const nb = await benchNeighbors(model.weights, work, sample, log);
        const recallText = `recall@10 ${nb.recall.toFixed(4)} (${nb.recallQueries === model.rows ? 'all' : `random sample of ${nb.recallQueries}`} queries)`;
        addAbsolute(`neighbours top-10 all-vs-all, ${shape}`, s(nb.seconds), recallText, nb.seconds <= target && nb.recall >= 0.99, `≤ ${target} s, recall ≥ 0.99`);
        const phases = `int8 candidates ${s(nb.phases.candidates)}, exact re-rank ${s(nb.phases.exact)}, quantise ${s(nb.phases.quantise)}`;
        rows.push({ figure: '  phases', ours: phases, peer: '', ratio: '', target: '', verdict: '' });
        addAbsolute('  peak RSS of that search', mb(nb.maxRssBytes), '', nb.maxRssBytes <= 1.5 * model.tensorBytes, `≤ 1.5 × tensor (${mb(1.5 * model.tensorBytes)})`);
      }
    }
    // Without `core` (e.g. `--only neighbors`, `--only browser`) the PCA and precompute figures are skipped.
    if (only && !only.has('core') && !only.has('tokenize')) {
      if (wanted('browser')) await browserSection(work, llama2.folder, llama3.folder, null, false);
      console.log('');
      printTable(rows);
      return;
    }

    log('PCA 32000 × 4096 …');
    const pca = child<{ seconds: number; iterations: number }>(['pca', llama2.weights]);
    let peer32: PeerResult | null = null;
    if (!peerMissing) {
      log('peer: notebook pipeline on the full 32000 × 4096 vocabulary …');
      peer32 = runPeer(['--weights', llama2.weights, '--full', '--html', join(work, 'peer-32k.html')]);
    }
    addRatio('PCA 3D of 32000 × 4096 (decode + fit)', pca.seconds, peer32?.timings_s.pca ?? null, s, 0.5, '≤ 0.5 × sklearn');

    log('precompute, full vocabulary 32000 × 4096 F16 …');
    const pre32 = child<{ seconds: number; maxRssBytes: number }>(['precompute', llama2.folder, join(work, 'pre32')]);
    addRatio('full-vocabulary precompute, 32000 × 4096 F16', pre32.seconds, peer32?.total_s ?? null, s, null, '(notebook: whole pipeline incl. HTML)');

    log('precompute, full vocabulary 128256 × 4096 BF16 …');
    const pre128 = child<{ seconds: number; maxRssBytes: number }>(['precompute', llama3.folder, join(work, 'pre128'), 'no-neighbors']);
    let peer128: PeerResult | null = null;
    if (!peerMissing) {
      log('peer: notebook pipeline on the full 128256 × 4096 vocabulary …');
      peer128 = runPeer(['--weights', llama3.weights, '--full', '--html', join(work, 'peer-128k.html')]);
    }
    addRatio('full-vocabulary precompute, 128256 × 4096 BF16 (neighbours: own row)', pre128.seconds, peer128?.total_s ?? null, s, null, '< 60 s');
    rows[rows.length - 1].verdict = pre128.seconds < 60 ? 'met' : 'MISSED';
    addRatio('  peak RSS of that precompute', pre128.maxRssBytes, peer128?.maxRssBytes ?? null, mb, null, `< 1.5 × tensor (${mb(1.5 * llama3.tensorBytes)})`);
    rows[rows.length - 1].verdict = pre128.maxRssBytes < 1.5 * llama3.tensorBytes ? 'met' : 'MISSED';
    log('tokenize and count …');
    const tokenize = wanted('tokenize') ? await benchTokenize(3) : [];
    for (const f of tokenize) {
      const [ours, sp] = f.best;
      addRatio(`tokenize + count ${f.corpus.split('/').pop()} (best of 3)`, ours.wall, sp?.wall ?? null, s, 1.0, '≤ 1.0 × SentencePiece line by line');
    }
    if (peer32) addAbsolute('notebook Plotly HTML, 32000 points', mb(peer32.html_bytes), '', true, '(reference for page weight)');

    if (wanted('browser')) await browserSection(work, llama2.folder, llama3.folder, peer32 ? join(work, 'peer-32k.html') : null, true);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log('');
  printTable(rows);
}

await main();

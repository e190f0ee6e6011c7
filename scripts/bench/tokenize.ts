/**
 * `npx tsx scripts/bench/tokenize.ts [rounds]` (also part of `npm run bench`, section `tokenize`): times our token counting (countTokens, line by line)
 * against SentencePiece's C++ encoder driven line by line from Debian's python3, on the same corpora
 * in the same run, alternating the two so that load from other work on the machine hits both alike.
 * Prints wall and CPU seconds (CPU is steadier on a shared machine) and the ratio, for the first
 * round (ours then includes preparing the line encoder's tables, once per tokenizer) and the best
 * round. Figures, not assertions. Load times (tokenizer.json vs tokenizer.model) are shown apart.
 * Then one row per tokenizer family (benchTokenizeFamilies) on WikiText-2 test, with whether every
 * line's ids equal the tokenizer's own encode (and SentencePiece's counts, for SentencePiece models).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { localFolderFiles } from '../../src/sources/repoFiles.ts';
import { countTokens, splitLines } from '../../src/tokens/countTokens.ts';
import { loadTokenizer } from '../../src/tokens/loadTokenizer.ts';

const FIXTURES = resolve(process.env.TOKENSCAPE_FIXTURES ?? '../shared/fixtures');
const PYTHON = '/usr/bin/python3';
const TOKENIZER = resolve(FIXTURES, 'tokenizers/llama2');
const CORPORA = ['corpora/wikitext-2-raw/wiki.test.raw', 'corpora/commedia.txt'];

interface Timing {
  wall: number;
  cpu: number;
  total: number;
}

// Same loop as the reference in tests/tokenCounts.test.ts; timed inside Python so that interpreter
// start-up and imports are left out, model load reported apart.
const SENTENCEPIECE = `
import json, re, sys, time, collections
t0, c0 = time.perf_counter(), time.process_time()
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
load = time.perf_counter() - t0
out = {'load': load, 'runs': []}
for path in sys.argv[2:]:
    text = open(path, encoding='utf-8').read()
    t0, c0 = time.perf_counter(), time.process_time()
    counts = collections.Counter()
    for line in re.split(r'\\r?\\n', text):
        counts.update(sp.encode(line))
    out['runs'].append({'wall': time.perf_counter() - t0, 'cpu': time.process_time() - c0, 'total': sum(counts.values())})
    out['counts'] = sorted(counts.items())
print(json.dumps(out))
`;

function sentencePiece(corpus: string, model = resolve(TOKENIZER, 'tokenizer.model')): Timing & { load: number; counts: [number, number][] } {
  const out = execFileSync(PYTHON, ['-c', SENTENCEPIECE, model, resolve(FIXTURES, corpus)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const parsed = JSON.parse(out) as { load: number; runs: Timing[]; counts: [number, number][] };
  return { ...parsed.runs[0], load: parsed.load, counts: parsed.counts };
}

export interface TokenizeFigures {
  corpus: string;
  first: [Timing, (Timing & { load: number }) | null];
  best: [Timing, (Timing & { load: number }) | null];
}

function sentencePieceAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import sentencepiece'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function benchTokenize(rounds = 3): Promise<TokenizeFigures[]> {
  const figures: TokenizeFigures[] = [];
  if (!existsSync(resolve(TOKENIZER, 'tokenizer.json'))) throw new Error(`No fixtures at ${FIXTURES} (set TOKENSCAPE_FIXTURES).`);
  const haveSentencePiece = sentencePieceAvailable();

  const t0 = performance.now();
  const tokenizer = await loadTokenizer(localFolderFiles(TOKENIZER, 'llama2'));
  const load = (performance.now() - t0) / 1000;
  console.log(`tokenizer load: ours ${load.toFixed(2)} s (@huggingface/tokenizers, tokenizer.json)`);

  const s = (v: number) => `${v.toFixed(2)} s`;
  for (const corpus of CORPORA) {
    const text = readFileSync(resolve(FIXTURES, corpus), 'utf8');
    let ours: Timing | null = null;
    let peer: (Timing & { load: number }) | null = null;
    let first: [Timing, (Timing & { load: number }) | null] | null = null;
    for (let round = 0; round < rounds; round++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const result = countTokens(tokenizer, splitLines(text), false, tokenizer.vocabSize);
      const cpu = process.cpuUsage(c0);
      const run = { wall: (performance.now() - w0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, total: result.total };
      if (!ours || run.wall < ours.wall) ours = run;
      let p: (Timing & { load: number }) | null = null;
      if (haveSentencePiece) {
        p = sentencePiece(corpus);
        if (!peer || p.wall < peer.wall) peer = p;
      }
      first ??= [run, p];
    }
    const mb = (Buffer.byteLength(text) / 1e6).toFixed(2);
    const report = (label: string, o: Timing, p: (Timing & { load: number }) | null) => {
      console.log(`  ${label}:`);
      console.log(`    ours          ${s(o.wall)} wall, ${s(o.cpu)} CPU, ${o.total} tokens`);
      if (p) {
        console.log(`    SentencePiece ${s(p.wall)} wall, ${s(p.cpu)} CPU, ${p.total} tokens (model load ${s(p.load)} apart)`);
        console.log(`    ratio ours/SentencePiece: ${(o.wall / p.wall).toFixed(2)}× wall, ${(o.cpu / p.cpu).toFixed(2)}× CPU (target ≤ 1.0×)`);
        if (p.total !== o.total) console.log(`    TOKEN TOTALS DIFFER: ${o.total} vs ${p.total}`);
      } else {
        console.log(`    SentencePiece: n/a (${PYTHON} lacks sentencepiece)`);
      }
    };
    console.log(`\n${corpus} (${mb} MB):`);
    report('first round', first![0], first![1]);
    report(`best of ${rounds}`, ours!, peer);
    figures.push({ corpus, first: first!, best: [ours!, peer] });
  }
  return figures;
}

/** One tokenizer of each family, as a model folder holds it (the forms other than tokenizer.json are built at load). */
export const FAMILIES: { family: string; folder: string; sentencePieceModel?: string; note?: string }[] = [
  { family: 'SentencePiece BPE: LLaMA-2', folder: 'tokenizers/llama2', sentencePieceModel: 'tokenizers/llama2/tokenizer.model' },
  {
    family: 'SentencePiece BPE: Mistral-7B', folder: 'tokenizers/mistral-7b-v0.1', sentencePieceModel: 'tokenizers/mistral-7b-v0.1/tokenizer.model',
    // Checked line by line: every WikiText line differs only there (they all begin with a space).
    note: 'its tokenizer.json (legacy: false, Metaspace prepend_scheme first) adds no "▁" before a text that begins with a space; SentencePiece does',
  },
  { family: 'SentencePiece BPE: phi-3-mini', folder: 'tokenizers/phi-3-mini' },
  { family: 'SentencePiece BPE: TinyStories-656K', folder: 'models/tinystories-656k' },
  { family: 'byte-level BPE: GPT-2', folder: 'tokenizers/gpt2-merges-as-pairs' },
  { family: 'byte-level BPE: GPT-NeoX-20B', folder: 'tokenizers/gpt-neox-20b' },
  { family: 'byte-level BPE: RoBERTa', folder: 'tokenizers/roberta-base' },
  { family: 'byte-level BPE: phi-2', folder: 'tokenizers/phi-2' },
  { family: 'byte-level BPE: Falcon-7B', folder: 'tokenizers/falcon-7b' },
  { family: 'byte-level BPE: LLaMA-3 (tiktoken)', folder: 'tokenizers/llama3' },
  { family: 'byte-level BPE: Qwen2.5 (vocab+merges)', folder: 'tokenizers/qwen2.5' },
  { family: 'byte-level BPE: OLMo-2 (cl100k)', folder: 'tokenizers/olmo2-dolma2' },
  { family: 'byte-level BPE: cl100k_base (tiktoken)', folder: 'tokenizers/cl100k_base' },
  { family: 'WordPiece: BERT (uncased)', folder: 'tokenizers/bert-base-uncased' },
  { family: 'Unigram: T5', folder: 'tokenizers/t5-small' },
];

export interface FamilyFigures {
  family: string;
  /** Loading the files and building the tokenizer (tiktoken and vocab+merges forms are converted here). */
  load: number;
  /** Counting WikiText-2 test line by line: the first round (includes preparing the line encoder's tables) and the best. */
  first: Timing;
  best: Timing;
  /** SentencePiece line by line on the same lines (the family's own model where it has one, else LLaMA-2's); best round. */
  sentencePiece: (Timing & { model: string }) | null;
  /** Every line's ids equal the tokenizer's own encode. */
  idsEqualEncode: boolean;
  /** Per-id counts equal SentencePiece's, for families that are SentencePiece models; null otherwise. */
  countsEqualSentencePiece: boolean | null;
}

/**
 * One row per tokenizer family on WikiText-2 test: our counting (a fresh line encoder each round,
 * so the memo is rebuilt) against SentencePiece line by line, alternating; then every line's ids
 * against the tokenizer's own encode.
 */
export async function benchTokenizeFamilies(rounds = 3, only?: (family: string) => boolean): Promise<FamilyFigures[]> {
  const corpus = CORPORA[0];
  const text = readFileSync(resolve(FIXTURES, corpus), 'utf8');
  const lines = [...splitLines(text)];
  const haveSentencePiece = sentencePieceAvailable();
  const figures: FamilyFigures[] = [];
  const s = (v: number) => `${v.toFixed(2)} s`;
  console.log(`\nper family, ${corpus} (${lines.length} lines), best of ${rounds}:`);
  for (const { family, folder, sentencePieceModel, note } of FAMILIES) {
    if (only && !only(family)) continue;
    const t0 = performance.now();
    const tokenizer = await loadTokenizer(localFolderFiles(resolve(FIXTURES, folder), folder));
    const load = (performance.now() - t0) / 1000;
    const model = resolve(FIXTURES, sentencePieceModel ?? 'tokenizers/llama2/tokenizer.model');
    let first: Timing | null = null;
    let best: Timing | null = null;
    let peer: (Timing & { counts: [number, number][] }) | null = null;
    let counts: Uint32Array | null = null;
    for (let round = 0; round < rounds; round++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const result = countTokens(tokenizer, lines, false, tokenizer.vocabSize);
      const cpu = process.cpuUsage(c0);
      const run = { wall: (performance.now() - w0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, total: result.total };
      counts = result.counts;
      first ??= run;
      if (!best || run.wall < best.wall) best = run;
      if (haveSentencePiece) {
        const p = sentencePiece(corpus, model);
        if (!peer || p.wall < peer.wall) peer = p;
      }
    }
    const encoder = tokenizer.lineEncoder!();
    let idsEqualEncode = true;
    for (const line of lines) {
      if (line !== '' && encoder.encode(line, false).join(',') !== tokenizer.encode(line, false).join(',')) {
        idsEqualEncode = false;
        break;
      }
    }
    let countsEqualSentencePiece: boolean | null = null;
    if (sentencePieceModel && peer && counts) {
      const theirs = new Map(peer.counts);
      countsEqualSentencePiece = counts.every((c, id) => c === (theirs.get(id) ?? 0)) && [...theirs.keys()].every((id) => id < counts!.length);
    }
    const sp = peer ? { wall: peer.wall, cpu: peer.cpu, total: peer.total, model: sentencePieceModel ?? 'tokenizers/llama2/tokenizer.model' } : null;
    figures.push({ family, load, first: first!, best: best!, sentencePiece: sp, idsEqualEncode, countsEqualSentencePiece });
    const ratio = sp ? ` = ${(best!.wall / sp.wall).toFixed(2)}× wall, ${(best!.cpu / sp.cpu).toFixed(2)}× CPU` : '';
    console.log(
      `  ${family.padEnd(42)} ours ${s(best!.wall)} (${s(best!.cpu)} CPU; first ${s(first!.wall)}, load ${s(load)})` +
        ` vs SentencePiece ${sp ? `${s(sp.wall)} (${s(sp.cpu)} CPU)` : 'n/a'}${ratio}; ids = encode: ${idsEqualEncode ? 'yes' : 'NO'}` +
        (countsEqualSentencePiece === null ? '' : `; counts = SentencePiece: ${countsEqualSentencePiece ? 'yes' : `no${note ? ` (${note})` : ''}`}`),
    );
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchTokenize(Number(process.argv[2] ?? 3));
  await benchTokenizeFamilies(Number(process.argv[2] ?? 3));
}

/**
 * `npx tsx scripts/bench/tokenize.ts [rounds]` (also part of `npm run bench`): times our token counting (countTokens, line by line)
 * against SentencePiece's C++ encoder driven line by line from Debian's python3, on the same corpora
 * in the same run, alternating the two so that load from other work on the machine hits both alike.
 * Prints wall and CPU seconds (CPU is steadier on a shared machine) and the ratio, for the first
 * round (ours then includes preparing the line encoder's tables, once per tokenizer) and the best
 * round. Figures, not assertions. Load times (tokenizer.json vs tokenizer.model) are shown apart.
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
print(json.dumps(out))
`;

function sentencePiece(corpus: string): Timing & { load: number } {
  const out = execFileSync(PYTHON, ['-c', SENTENCEPIECE, resolve(TOKENIZER, 'tokenizer.model'), resolve(FIXTURES, corpus)], { encoding: 'utf8' });
  const parsed = JSON.parse(out) as { load: number; runs: Timing[] };
  return { ...parsed.runs[0], load: parsed.load };
}

export interface TokenizeFigures {
  corpus: string;
  first: [Timing, (Timing & { load: number }) | null];
  best: [Timing, (Timing & { load: number }) | null];
}

export async function benchTokenize(rounds = 3): Promise<TokenizeFigures[]> {
  const figures: TokenizeFigures[] = [];
  if (!existsSync(resolve(TOKENIZER, 'tokenizer.json'))) throw new Error(`No fixtures at ${FIXTURES} (set TOKENSCAPE_FIXTURES).`);
  let haveSentencePiece = existsSync(PYTHON);
  try {
    execFileSync(PYTHON, ['-c', 'import sentencepiece'], { stdio: 'ignore' });
  } catch {
    haveSentencePiece = false;
  }

  const t0 = performance.now();
  const tokenizer = await loadTokenizer(localFolderFiles(TOKENIZER, 'llama2'));
  const load = (performance.now() - t0) / 1000;
  console.log(`tokenizer load: ours ${load.toFixed(2)} s (transformers.js, tokenizer.json)`);

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

if (import.meta.url === `file://${process.argv[1]}`) await benchTokenize(Number(process.argv[2] ?? 3));

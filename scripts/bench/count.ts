/**
 * Token counting on both cores (`npm run bench -- --only count`): a ~50 MB corpus made of WikiText-2 test
 * repeated, each copy's lines carrying the copy number (so that no memo of whole lines can carry one copy's
 * work to the next), counted by the single-thread path (countTokens) and by countTokensParallel (worker
 * start-up included), and the 1.3 MB file alone, where the parallel entry point must stay on one thread.
 * The counts of both paths are compared, not only timed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { localFolderFiles } from '../../src/sources/repoFiles.ts';
import { countTokens, splitLines, type TokenCounts } from '../../src/tokens/countTokens.ts';
import { loadTokenizer } from '../../src/tokens/loadTokenizer.ts';
import { countTokensParallel } from '../../src/tokens/parallelCount.ts';
import { FIXTURES } from './inputs.ts';

export interface CountFigures {
  corpus: string;
  bytes: number;
  single: number;
  parallel: number;
  same: boolean;
}

function same(a: TokenCounts, b: TokenCounts): boolean {
  return a.total === b.total && a.lines === b.lines && Buffer.from(a.counts.buffer).equals(Buffer.from(b.counts.buffer));
}

/** WikiText-2 test repeated to about `bytes`, each line of copy i ending in " i". */
export function repeatedWikitext(bytes: number): string {
  const text = readFileSync(resolve(FIXTURES, 'corpora/wikitext-2-raw/wiki.test.raw'), 'utf8');
  const lines = text.split('\n');
  const copies: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const copy = lines.map((line) => (line.length > 0 ? `${line} ${i}` : line)).join('\n');
    copies.push(copy);
    size += Buffer.byteLength(copy);
  }
  return copies.join('\n');
}

export async function benchCount(rounds = 3, log: (s: string) => void = () => {}): Promise<CountFigures[]> {
  const tokenizer = await loadTokenizer(localFolderFiles(resolve(FIXTURES, 'tokenizers/llama2'), 'llama2'));
  const corpora: [string, string][] = [
    ['wiki.test.raw repeated to 50 MB (copy number on each line)', repeatedWikitext(50e6)],
    ['wiki.test.raw (1.3 MB)', readFileSync(resolve(FIXTURES, 'corpora/wikitext-2-raw/wiki.test.raw'), 'utf8')],
  ];
  const figures: CountFigures[] = [];
  for (const [corpus, text] of corpora) {
    // The small file takes a fraction of a second, so more rounds (alternating the two paths) tame the noise.
    const runs = text.length < 4e6 ? Math.max(rounds, 9) : rounds;
    let single = Infinity;
    let parallel = Infinity;
    let agree = true;
    for (let round = 0; round < runs; round++) {
      // Alternating which path goes first, so that warm-up and garbage from the other run hit both alike.
      const runSingle = () => {
        const t = performance.now();
        const counts = countTokens(tokenizer, splitLines(text), false, tokenizer.vocabSize);
        single = Math.min(single, (performance.now() - t) / 1000);
        return counts;
      };
      const runParallel = async () => {
        const t = performance.now();
        const counts = await countTokensParallel(tokenizer, [text], false, tokenizer.vocabSize);
        parallel = Math.min(parallel, (performance.now() - t) / 1000);
        return counts;
      };
      const [a, b] = round % 2 === 0 ? [runSingle(), await runParallel()] : await runParallel().then((p) => [runSingle(), p] as const);
      agree &&= same(a, b);
      log(`count: ${corpus}, round ${round + 1}: one thread ${single.toFixed(2)} s, parallel ${parallel.toFixed(2)} s, counts ${agree ? 'identical' : 'DIFFER'}`);
    }
    figures.push({ corpus, bytes: Buffer.byteLength(text), single, parallel, same: agree });
  }
  return figures;
}

/**
 * Counting on several threads gives exactly the single-thread counts: same ids, same totals, same line
 * count, on real corpora (LF and CRLF) and several tokenizer families.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { countTokens, splitLines } from '../src/tokens/countTokens.ts';
import { loadTokenizer } from '../src/tokens/loadTokenizer.ts';
import { countTokensParallel, lineChunks } from '../src/tokens/parallelCount.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';

describe('cutting a corpus into chunks for the threads', () => {
  it('keeps every line, empty ones and CRLF endings included', () => {
    const documents = ['a\r\nbb\r\n\r\nccc\r\n', 'x\n\ny', '', 'no newline at all', '\n\n\n'];
    for (const size of [0, 1, 2, 3, 5, 100]) {
      const chunks = [...lineChunks(documents, size)];
      expect(chunks.flatMap((c) => [...splitLines(c)])).toEqual(documents.flatMap((d) => [...splitLines(d)]));
    }
  });
});

describe.skipIf(!hasFixtures)('token counts on several threads', () => {
  for (const [tokenizerName, corpus] of [
    ['llama2', 'corpora/wikitext-2-raw/wiki.test.raw'],
    ['llama2', 'corpora/commedia.txt'],
    ['gpt2-merges-as-pairs', 'corpora/commedia.txt'],
  ] as const) {
    it(`equal the single-thread counts: ${tokenizerName} on ${corpus}`, async () => {
      const tokenizer = await loadTokenizer(localFolderFiles(fixture('tokenizers', tokenizerName), tokenizerName));
      const text = readFileSync(fixture(corpus), 'utf8');
      const single = countTokens(tokenizer, splitLines(text), false, tokenizer.vocabSize);
      // Small chunks and no size threshold, so every thread gets many chunks of this small corpus.
      const parallel = await countTokensParallel(tokenizer, [text], false, tokenizer.vocabSize, { threads: 3, minChars: 0, chunkChars: 64 * 1024 });
      expect(parallel.total).toBe(single.total);
      expect(parallel.lines).toBe(single.lines);
      expect(parallel.unique).toBe(single.unique);
      expect(Buffer.from(parallel.counts.buffer).equals(Buffer.from(single.counts.buffer))).toBe(true);
    }, 120_000);
  }
});

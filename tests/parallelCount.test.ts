/**
 * Counting on several threads gives exactly the single-thread counts: same ids, same totals, same line
 * count, on real corpora (LF and CRLF) and several tokenizer families.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { countTokens, splitLines } from '../src/tokens/countTokens.ts';
import { loadTokenizer, tokenizerFromJson } from '../src/tokens/loadTokenizer.ts';
import { countTokensParallel, lineChunks, workerExecArgv } from '../src/tokens/parallelCount.ts';
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

describe('a counting worker starts from what the main thread already has', () => {
  it('drops only the preloads and loaders of the parent\'s Node flags (tsx loading again in each worker)', () => {
    const tsx = ['--require', '/x/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///x/node_modules/tsx/dist/loader.mjs'];
    expect(workerExecArgv([...tsx, '--max-old-space-size=4096', '--enable-source-maps'])).toEqual(['--max-old-space-size=4096', '--enable-source-maps']);
    expect(workerExecArgv(['--import=tsx', '-r', 'x', '--loader', 'y', '--experimental-loader=z', '--stack-size=2000'])).toEqual(['--stack-size=2000']);
    expect(workerExecArgv([])).toEqual([]);
  });

  it.skipIf(!hasFixtures)('gives the same ids from tables and a memo snapshot handed over, for every line of a corpus', async () => {
    const main = await loadTokenizer(localFolderFiles(fixture('tokenizers', 'llama2'), 'llama2'));
    const lines = [...splitLines(readFileSync(fixture('corpora/wikitext-2-raw/wiki.test.raw'), 'utf8'))];
    const counting = main.lineEncoder!();
    const counts = new Uint32Array(main.vocabSize);
    for (const line of lines.slice(0, 2000)) counting.count(line, false, counts);
    const snapshot = counting.memoSnapshot()!;
    expect(snapshot.keys.length).toBeGreaterThan(1000);
    expect(snapshot.ends.length).toBe(snapshot.keys.length);

    // What a worker does: the same files, the main thread's tables, then its memo.
    const files = await main.exportFiles();
    const tables = main.lineEncoderTables!();
    expect(tables).not.toBeNull();
    const worker = tokenizerFromJson({
      tokenizerJson: JSON.parse(files['tokenizer.json']), config: JSON.parse(files['tokenizer_config.json']),
      label: 'worker', form: 'tokenizer.json', file: 'tokenizer.json', identity: '', configVocabSize: null,
      lineEncoderTables: structuredClone(tables),
    });
    const seeded = worker.lineEncoder!();
    expect(seeded.strategy).toBe(counting.strategy);
    expect(seeded.remember(structuredClone(snapshot))).toBe(true);
    for (const line of lines) {
      for (const special of [false, true]) expect(seeded.encode(line, special), JSON.stringify(line)).toEqual(main.encode(line, special));
    }
    // A snapshot of other pieces (another way of cutting them) is refused, not mixed in.
    expect(seeded.remember({ ...snapshot, kind: 'pre-tokens' })).toBe(false);
  }, 120_000);
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

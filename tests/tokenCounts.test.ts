/**
 * Token counts are what SentencePiece itself gives: the LLaMA-2 tokenizer through transformers.js,
 * line by line, equals Debian's python3-sentencepiece with the original tokenizer.model.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { countTokens, splitLines } from '../src/tokens/countTokens.ts';
import { describeTokens } from '../src/tokens/describeTokens.ts';
import { loadTokenizer, type ModelTokenizer } from '../src/tokens/loadTokenizer.ts';
import { fixture, hasFixtures, pythonHas, runPython } from './support/fixtures.ts';

const SENTENCEPIECE_COUNTS = `
import json, re, sys, collections
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
text = open(sys.argv[2], encoding='utf-8').read()
counts = collections.Counter()
for line in re.split(r'\\r?\\n', text):
    counts.update(sp.encode(line))
print(json.dumps({str(k): v for k, v in counts.items()}))
`;

describe.skipIf(!hasFixtures)('token counts (LLaMA-2 tokenizer)', () => {
  let tokenizer: ModelTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(localFolderFiles(fixture('tokenizers/llama2'), 'llama2'));
  });

  for (const corpus of ['corpora/commedia.txt', 'corpora/wikitext-2-raw/wiki.test.raw']) {
    it.skipIf(!pythonHas('sentencepiece'))(`equal SentencePiece's, line by line, on ${corpus}`, () => {
      const text = readFileSync(fixture(corpus), 'utf8');
      const ours = countTokens(tokenizer, splitLines(text), false, tokenizer.vocabSize);
      const reference = runPython<Record<string, number>>(SENTENCEPIECE_COUNTS, [fixture('tokenizers/llama2/tokenizer.model'), fixture(corpus)]);
      const expected = new Map(Object.entries(reference).map(([k, v]) => [Number(k), v]));
      const mismatches: string[] = [];
      for (let id = 0; id < tokenizer.vocabSize; id++) {
        if (ours.counts[id] !== (expected.get(id) ?? 0)) mismatches.push(`${id} ${tokenizer.pieces[id]}: ${ours.counts[id]} vs ${expected.get(id) ?? 0}`);
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
      expect(ours.unique).toBe(expected.size);
      expect(ours.total).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    }, 120_000);
  }

  it('counts through the memoised line encoder, cutting lines into words (so the comparisons above cover it)', () => {
    expect(tokenizer.lineEncoder?.().strategy).toBe('segments');
  });

  it('leaves out the BOS the tokenizer adds, unless asked to include special tokens', () => {
    const lines = ['Hello world', 'Nel mezzo del cammin di nostra vita'];
    const plain = countTokens(tokenizer, lines, false, tokenizer.vocabSize);
    const withSpecial = countTokens(tokenizer, lines, true, tokenizer.vocabSize);
    expect(plain.counts[1]).toBe(0);
    expect(withSpecial.counts[1]).toBe(2);
    expect(withSpecial.total).toBe(plain.total + 2);
  });

  it('matches llama.cpp\'s reference ids for its tokenizer test strings', () => {
    const inputs = readFileSync(fixture('gguf/ggml-vocab-llama-spm.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
    const outputs = readFileSync(fixture('gguf/ggml-vocab-llama-spm.gguf.out'), 'utf8').split('\n');
    let checked = 0;
    inputs.forEach((input, i) => {
      if (i >= outputs.length || input === '' || outputs[i].trim() === '') return;
      expect(tokenizer.encode(input, false).join(' '), JSON.stringify(input)).toBe(outputs[i].trim());
      checked++;
    });
    expect(checked).toBeGreaterThan(30);
  });

  it('gives every token a readable text and its raw piece, telling ▁Birmingham from irmingham', () => {
    const ids = [1, 13, 15043, 29871, 259].concat(
      ['▁Birmingham', 'irmingham'].map((p) => tokenizer.pieces.indexOf(p)).filter((i) => i >= 0),
    );
    const d = describeTokens(tokenizer, ids);
    expect(d[0]).toMatchObject({ text: '<s>', piece: '<s>', special: true });
    expect(d[1]).toMatchObject({ text: '\n', piece: '<0x0A>', byteToken: true, special: false });
    expect(d[2]).toMatchObject({ text: ' Hello', piece: '▁Hello' });
    expect(d[3]).toMatchObject({ text: ' ', piece: '▁' });
    expect(d[4]).toMatchObject({ text: '  ', piece: '▁▁' });
    if (ids.length === 7) {
      expect(d[5].text).toBe(' Birmingham');
      expect(d[6].text).toBe('irmingham');
    }
  });

  it('reads CRLF text as lines without carriage returns', () => {
    expect([...splitLines('a\r\nb\nc\r\n')]).toEqual(['a', 'b', 'c']);
    const dir = mkdtempSync(join(tmpdir(), 'tks-'));
    writeFileSync(join(dir, 'x.txt'), 'Nel mezzo\r\ndel cammin\r\n');
    const carriageReturn = tokenizer.pieces.indexOf('<0x0D>');
    const counted = countTokens(tokenizer, splitLines(readFileSync(join(dir, 'x.txt'), 'utf8')), false, tokenizer.vocabSize);
    expect(carriageReturn).toBeGreaterThan(0);
    expect(counted.counts[carriageReturn]).toBe(0);
    expect(counted.lines).toBe(2);
  });
});

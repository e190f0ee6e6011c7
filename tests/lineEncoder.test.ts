/**
 * The fast line encoder gives exactly the ids of the tokenizer's own `encode`, line by line: on real
 * corpora and llama.cpp's tokenizer test strings, on lines built to break word-cutting (spaces,
 * tabs, carriage returns, emoji, CJK, combining marks, long words, digits, literal special tokens),
 * and on small tokenizers whose merges join across word boundaries, whose unknown tokens fuse, or
 * whose shape it does not handle (where it falls back to memoised plain encoding).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { countTokens, splitLines } from '../src/tokens/countTokens.ts';
import { prepareLineEncoders, type LineEncoder } from '../src/tokens/lineEncoder.ts';
import { loadTokenizer, type ModelTokenizer } from '../src/tokens/loadTokenizer.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';

const ADVERSARIAL = [
  '', ' ', '  ', '     ', 'a', ' a', 'a ', '  leading two', 'trailing two  ', 'inner    run   of     spaces',
  '\t', '\ttab', 'tab\t', 'a\tb\t\tc', ' \t mixed \t ', '\r', 'a\rb', 'end\r', '\r\rx', '\f\v form feeds',
  'emoji 😀 👍🏽 🇮🇹 family 👨‍👩‍👧 😀😀😀', 'CJK 東京は日本の首都です。中文测试 한국어', 'Ελληνικά Русский العربية עברית हिन्दी ไทย',
  'combining e\u0301 a\u0300\u0301 n\u0303 \u0301lead', 'zero\u200bwidth\u200djoiner', '\u00a0nbsp\u00a0 \u3000ideographic',
  'digits 0 12 345 6789 3.14159 1,000,000 2023-10-05 ١٢٣', 'x'.repeat(500), 'supercalifragilisticexpialidocious'.repeat(8),
  'lone surrogate \ud800 here', 'lone low \udc00 there', 'pair split \ud83d', '<s>', 'a <s> b </s> c <unk>', '<<s>>', '</s',
  '▁already▁metaspace', '▁', '▁▁ ▁', 'mixed ▁ and space', ' @-@ = = Heading = = ', 'don\'t "quote" (paren), comma. ...',
  'https://example.com/path?q=1&r=2#frag', 'ALL CAPS Title Case lower', '\u0000 control \u0007 chars \u007f',
  ' '.repeat(100) + 'x', 'ab'.repeat(200), '▁'.repeat(40), 'the the the the', 'Ġhello Ċ',
  'Nel mezzo del cammin di nostra vita', ' = Robert Boulter = ', 'ʻokina and ’apostrophes’ “quotes”',
];

/** Every line gives `plain`'s ids, with and without special tokens, and counts add up the same. */
function expectSameAsPlain(tokenizer: ModelTokenizer, encoder: LineEncoder, lines: Iterable<string>, withSpecial = true) {
  const mismatches: string[] = [];
  const counts = new Uint32Array(tokenizer.vocabSize + 8);
  const expected = new Uint32Array(tokenizer.vocabSize + 8);
  let checked = 0;
  for (const line of new Set(lines)) {
    for (const special of withSpecial ? [false, true] : [false]) {
      const want = tokenizer.encode(line, special);
      const got = encoder.encode(line, special);
      if (got.join(' ') !== want.join(' ')) mismatches.push(`${JSON.stringify(line)} (${special}): ${got.join(' ')} vs ${want.join(' ')}`);
      expect(encoder.count(line, special, counts)).toBe(want.length);
      for (const id of want) expected[id]++;
    }
    checked++;
  }
  expect(mismatches.slice(0, 5)).toEqual([]);
  expect(counts).toEqual(expected);
  return checked;
}

interface TinyTokenizer {
  model: Record<string, unknown>;
  normalizer?: unknown;
  pre_tokenizer?: unknown;
  post_processor?: unknown;
  decoder?: unknown;
  added?: string[];
  config?: Record<string, unknown>;
}

const LLAMA_NORMALIZER = { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] };
const LLAMA_POST = {
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
};
const LLAMA_DECODER = { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };

/** Writes a tokenizer.json + tokenizer_config.json folder and loads it as the pipeline does. */
async function tinyTokenizer(spec: TinyTokenizer): Promise<ModelTokenizer> {
  const dir = mkdtempSync(join(tmpdir(), 'tks-tok-'));
  const vocab = (spec.model.vocab ?? {}) as Record<string, number> | [string, number][];
  const idOf = (content: string) => (Array.isArray(vocab) ? vocab.findIndex(([p]) => p === content) : vocab[content]);
  const added = (spec.added ?? ['<unk>', '<s>', '</s>']).map((content) => ({
    id: idOf(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const json = {
    version: '1.0', truncation: null, padding: null, added_tokens: added,
    normalizer: spec.normalizer === undefined ? LLAMA_NORMALIZER : spec.normalizer,
    pre_tokenizer: spec.pre_tokenizer ?? null,
    post_processor: spec.post_processor === undefined ? LLAMA_POST : spec.post_processor,
    decoder: spec.decoder === undefined ? LLAMA_DECODER : spec.decoder,
    model: spec.model,
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(spec.config ?? {
    tokenizer_class: 'LlamaTokenizer', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', legacy: false, clean_up_tokenization_spaces: false,
  }));
  return loadTokenizer(localFolderFiles(dir, 'tiny'));
}

function bpeModel(pieces: string[], merges: string[], options: Record<string, unknown> = {}) {
  const vocab: Record<string, number> = {};
  for (const p of ['<unk>', '<s>', '</s>', ...pieces]) vocab[p] ??= Object.keys(vocab).length;
  return { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: false, vocab, merges, ...options };
}

const ids = (tokenizer: ModelTokenizer, pieces: string[]) => pieces.map((p) => tokenizer.pieces.indexOf(p));

describe.skipIf(!hasFixtures)('line encoder on the LLaMA-2 tokenizer', () => {
  let tokenizer: ModelTokenizer;
  let encoder: LineEncoder;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(localFolderFiles(fixture('tokenizers/llama2'), 'llama2'));
    encoder = tokenizer.lineEncoder!();
  });

  it('cuts lines into words before each "▁" that follows another character, since no LLaMA merge covers that pair', () => {
    expect(encoder.strategy).toBe('segments');
    expect(encoder.pieces('Hello world')).toEqual(['▁Hello', '▁world']);
    expect(encoder.pieces('  two  spaces')).toEqual(['▁▁▁two', '▁▁spaces']);
    // A literal special token makes the line take the plain path.
    expect(encoder.pieces('a <s> b')).toBeNull();
  });

  for (const corpus of ['corpora/commedia.txt', 'corpora/wikitext-2-raw/wiki.test.raw']) {
    it(`gives encode's ids on every line of ${corpus}, cut into pieces that partition the normalised line`, () => {
      const lines = [...splitLines(readFileSync(fixture(corpus), 'utf8'))].filter((l) => l !== '');
      expect(expectSameAsPlain(tokenizer, encoder, lines, false)).toBeGreaterThan(1000);
      expectSameAsPlain(tokenizer, encoder, lines.slice(0, 200));
      for (const line of lines.slice(0, 500)) expect(encoder.pieces(line)!.join('')).toBe('▁' + line.replaceAll(' ', '▁'));
    }, 300_000);
  }

  it('gives encode\'s ids, and llama.cpp\'s, for llama.cpp\'s tokenizer test strings', () => {
    const inputs = readFileSync(fixture('gguf/ggml-vocab-llama-spm.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
    const outputs = readFileSync(fixture('gguf/ggml-vocab-llama-spm.gguf.out'), 'utf8').split('\n');
    let checked = 0;
    inputs.forEach((input, i) => {
      if (i >= outputs.length || input === '' || outputs[i].trim() === '') return;
      expect(encoder.encode(input, false).join(' '), JSON.stringify(input)).toBe(outputs[i].trim());
      checked++;
    });
    expect(checked).toBeGreaterThan(30);
    expectSameAsPlain(tokenizer, encoder, inputs.filter((s) => s !== ''));
  });

  it('gives encode\'s ids on adversarial lines, memo cold and warm', () => {
    expectSameAsPlain(tokenizer, tokenizer.lineEncoder!(), ADVERSARIAL);
    expectSameAsPlain(tokenizer, encoder, ADVERSARIAL);
    expectSameAsPlain(tokenizer, encoder, ADVERSARIAL.map((l) => `${l} ${l}`));
  });

  it('gives encode\'s ids on random lines over an alphabet dense in merges, spaces and odd characters', () => {
    let seed = 12345;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const alphabet = [...'aeeinorsttth  ', ' ', '  ', '▁', '\t', '\r', '.', ',', '0', '1', '9', 'é', 'e\u0301', '東', '😀', '\ud800', 'x', 'q', 'ing', 'the', 'tion'];
    const lines = Array.from({ length: 3000 }, () => Array.from({ length: 1 + Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    expectSameAsPlain(tokenizer, encoder, lines);
  }, 120_000);

  it('counts a corpus as plain encode does, special tokens included or not', () => {
    const lines = [...splitLines(readFileSync(fixture('corpora/commedia.txt'), 'utf8'))].slice(0, 400).concat(ADVERSARIAL, ['']);
    for (const special of [false, true]) {
      const fast = countTokens(tokenizer, lines, special, tokenizer.vocabSize);
      const plain = countTokens({ ...tokenizer, lineEncoder: undefined }, lines, special, tokenizer.vocabSize);
      expect(fast).toEqual(plain);
    }
  });

  it('also holds for the tiny random LLaMA\'s tokenizer and for a Metaspace pre-tokenizer instead of the normalizer', async () => {
    const tiny = await loadTokenizer(localFolderFiles(fixture('models/tiny-random-llama'), 'tiny-random-llama'));
    expectSameAsPlain(tiny, tiny.lineEncoder!(), ADVERSARIAL);

    const json = JSON.parse(readFileSync(fixture('tokenizers/llama2/tokenizer.json'), 'utf8'));
    const metaspace = await tinyTokenizer({
      model: json.model,
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
      post_processor: json.post_processor,
      decoder: json.decoder,
    });
    const encoderM = metaspace.lineEncoder!();
    expect(encoderM.strategy).toBe('segments');
    const lines = [...splitLines(readFileSync(fixture('corpora/wikitext-2-raw/wiki.test.raw'), 'utf8'))].slice(0, 300);
    expectSameAsPlain(metaspace, encoderM, ADVERSARIAL.concat(lines));
  }, 60_000);
});

describe.skipIf(!hasFixtures)('line encoder on the trained TinyStories-656K tokenizer (merges across words, no pre-tokenizer, no byte tokens)', () => {
  let tokenizer: ModelTokenizer;
  let encoder: LineEncoder;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(localFolderFiles(fixture('models/tinystories-656k'), 'tinystories-656k'));
    encoder = tokenizer.lineEncoder!();
  });

  it('cuts a line wherever no merge result found in it straddles the place, not only between words', () => {
    expect(encoder.strategy).toBe('segments');
    // "is▁an▁" and "on▁the▁" are single tokens of this vocabulary; the words around them are cut apart.
    const pieces = encoder.pieces(' He is an actor on the stage')!;
    expect(pieces.join('')).toBe('▁▁He▁is▁an▁actor▁on▁the▁stage');
    expect(pieces).toContain('He▁');
    expect(pieces).toContain('on▁the▁');
  });

  for (const corpus of ['corpora/commedia.txt', 'corpora/wikitext-2-raw/wiki.test.raw']) {
    it(`gives encode's ids on every line of ${corpus}, unknown characters fused as encode fuses them`, () => {
      const lines = [...splitLines(readFileSync(fixture(corpus), 'utf8'))].filter((l) => l !== '');
      expect(expectSameAsPlain(tokenizer, encoder, lines, false)).toBeGreaterThan(1000);
      expectSameAsPlain(tokenizer, encoder, lines.slice(0, 200));
    }, 300_000);
  }

  it('gives encode\'s ids on adversarial lines', () => {
    expectSameAsPlain(tokenizer, tokenizer.lineEncoder!(), ADVERSARIAL);
    expectSameAsPlain(tokenizer, encoder, ADVERSARIAL.map((l) => `${l} ${l}`));
  });
});

describe('line encoder on tokenizers built to break it', () => {
  it('does not cut where a merge joins across a word boundary ("a▁b"), and still gives encode\'s ids', async () => {
    const tokenizer = await tinyTokenizer({ model: bpeModel(['▁', 'a', 'b', 'c', 'x', 'a▁', 'a▁b', '▁c'], ['a ▁', 'a▁ b', '▁ c']) });
    const encoder = tokenizer.lineEncoder!();
    expect(encoder.strategy).toBe('segments');
    // A token spans the space between "ca" and "b": cutting before every "▁" would give ▁c a ▁ b.
    expect(tokenizer.encode('ca b', false)).toEqual(ids(tokenizer, ['▁c', 'a▁b']));
    expect(encoder.pieces('ca b')).toEqual(['▁c', 'a▁b']);
    expect(encoder.encode('ca b', false)).toEqual(ids(tokenizer, ['▁c', 'a▁b']));
    expect(encoder.pieces('xa b c')).toEqual(['▁', 'x', 'a▁b', '▁c']);
    expectSameAsPlain(tokenizer, encoder, [...ADVERSARIAL, 'ca b', 'xa b c', 'a a a b b', 'ca  b', 'a ▁b', 'cab a▁b']);
  });

  it('cuts inside a run of words joined by merges only where no merge result occurs across the place', async () => {
    // "▁of▁the" is one token, so the pair rule cannot cut between "f" and "▁" anywhere; in "▁of▁a"
    // no merge result straddles that place, so it is cut there.
    const tokenizer = await tinyTokenizer({ model: bpeModel(['▁', 'o', 'f', 't', 'h', 'e', 'm', 'a', '▁o', '▁of', '▁t', '▁th', '▁the', '▁of▁the', '▁a'], ['▁ o', '▁o f', '▁ t', '▁t h', '▁th e', '▁of ▁the', '▁ a']) });
    const encoder = tokenizer.lineEncoder!();
    expect(encoder.strategy).toBe('segments');
    expect(encoder.pieces('the of a')).toEqual(['▁the', '▁of', '▁a']);
    expect(encoder.pieces('of the of a')).toEqual(['▁of▁the', '▁of', '▁a']);
    expectSameAsPlain(tokenizer, encoder, [...ADVERSARIAL, 'of them of a', 'of the of the', 'the of', 'ofthe of the the', 'e of f the']);
  });

  it('fuses unknown tokens of neighbouring pieces into one, as encode does', async () => {
    const tokenizer = await tinyTokenizer({ model: bpeModel(['▁', 'a', 'b', '▁a'], ['▁ a']) });
    const encoder = tokenizer.lineEncoder!();
    const unk = tokenizer.pieces.indexOf('<unk>');
    // "z" and "y" are separate pieces, each unknown; fuse_unk makes them one <unk>.
    expect(encoder.pieces('azy')).toEqual(['▁a', 'z', 'y']);
    expect(tokenizer.encode('azy', false)).toEqual([tokenizer.pieces.indexOf('▁a'), unk]);
    expectSameAsPlain(tokenizer, encoder, [...ADVERSARIAL, 'azy', 'a zy', 'zz yy a', 'a b']);
  });

  it('falls back to byte tokens per unmergeable character, as encode does', async () => {
    const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    const tokenizer = await tinyTokenizer({ model: bpeModel(['▁', 'a', 'b', '▁a', ...bytes], ['▁ a', 'a b'], { byte_fallback: true }) });
    const encoder = tokenizer.lineEncoder!();
    expect(encoder.strategy).toBe('segments');
    expectSameAsPlain(tokenizer, encoder, [...ADVERSARIAL, 'ab😀ab', 'é a b']);
  });

  it('cuts GPT-2 style ByteLevel pre-tokens further only at uncovered pairs, and keeps whole pre-tokens under ignore_merges', async () => {
    const byteChars = bytesToUnicode();
    const merges = ['Ġ t', 'h e', 'Ġt he', 'i n', 'Ġ a', 'a n', 'an d', 'Ġ Ġ', 'e r', 'Ġ w', 'o r', 'or ld', 'Ġw orld', 'Ã ©', 'Ġ 1', '1 2'];
    const pieces = [...byteChars, ...merges.map((m) => m.replace(' ', '')), 'ĠÃ©l'];
    const gpt2 = (ignoreMerges: boolean) => tinyTokenizer({
      model: { ...bpeModel(pieces, merges, { unk_token: null, fuse_unk: false, ignore_merges: ignoreMerges }), vocab: Object.fromEntries(['<|endoftext|>', ...pieces].map((p, i) => [p, i])) },
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      added: ['<|endoftext|>'],
      config: { tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' },
    });
    const lines = [...ADVERSARIAL, 'the world and the rest', 'théâtre él éléphant', 'a<|endoftext|>b', '  the  world'];

    const cutting = await gpt2(false);
    const encoder = cutting.lineEncoder!();
    expect(encoder.strategy).toBe('segments');
    expect(encoder.pieces(' the world')).toEqual(['Ġthe', 'Ġworld']);
    expectSameAsPlain(cutting, encoder, lines);

    const whole = await gpt2(true);
    const encoderW = whole.lineEncoder!();
    expect(encoderW.strategy).toBe('pre-tokens');
    // "Ġél" is in the vocabulary but no merge makes it: only ignore_merges gives it.
    expect(whole.encode(' él', false)).toEqual(ids(whole, ['ĠÃ©l']));
    expectSameAsPlain(whole, encoderW, lines);
  });

  it('memoises whole pre-tokens for Unigram models (Viterbi over integer tables), fusing unknowns as encode does', async () => {
    const vocab: [string, number][] = [['<unk>', 0], ['<s>', 0], ['</s>', 0], ['▁', -2], ['a', -3], ['b', -3], ['▁a', -2.5], ['ab', -1], ['▁ab', -1.5]];
    const tokenizer = await tinyTokenizer({
      model: { type: 'Unigram', unk_id: 0, vocab },
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }], pair: [], special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } } },
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    });
    const encoder = tokenizer.lineEncoder!();
    expect(encoder.strategy).toBe('pre-tokens');
    expectSameAsPlain(tokenizer, encoder, [...ADVERSARIAL, 'ab ab a b', 'zz', 'ab zz yy', 'a\u00e9b']);
  });

  it('falls back to a per-line memo over encode for tokenizers it does not recognise', async () => {
    // remove_space makes encode rewrite whitespace before normalising, which the fast path does not mirror.
    const tokenizer = await tinyTokenizer({
      model: bpeModel(['▁', 'a', 'b', '▁a'], ['▁ a']),
      config: { tokenizer_class: 'LlamaTokenizer', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', remove_space: true },
    });
    const encoder = tokenizer.lineEncoder!();
    expect(encoder.strategy).toBe('lines');
    expect(encoder.pieces('a b')).toBeNull();
    expectSameAsPlain(tokenizer, encoder, [...ADVERSARIAL, 'a  b ', 'a b']);

    let calls = 0;
    const plain = (text: string, special: boolean) => {
      calls++;
      return [text.length, special ? 1 : 0];
    };
    const opaque = prepareLineEncoders({ encode: () => [] }, plain)();
    expect(opaque.strategy).toBe('lines');
    expect(opaque.encode('abc', true)).toEqual([3, 1]);
    expect(opaque.encode('abc', true)).toEqual([3, 1]);
    expect(opaque.encode('abc', false)).toEqual([3, 0]);
    expect(calls).toBe(2);
  });
});

/** GPT-2's byte → printable character table. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
}

/**
 * Every tokenizer family gives the ids its reference implementation gives, on two peers' test
 * vectors (llama.cpp's tokenizer tests, generated with Hugging Face `encode(add_special_tokens=False)`,
 * and swift-transformers' tests, with special tokens), for every pairing of tokenizer file and
 * vectors that ../shared/fixtures/SOURCES-zoo.md documents. Each tokenizer is read the way a model
 * folder holding it would be (tokenizer.json, vocab.json + merges.txt, vocab.txt, tiktoken ranks),
 * and both the tokenizer's `encode` and the counting fast path (the line encoder) must give the ids.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { localFolderFiles, type RepoFiles } from '../src/sources/repoFiles.ts';
import { splitLines } from '../src/tokens/countTokens.ts';
import { loadTokenizer, type ModelTokenizer } from '../src/tokens/loadTokenizer.ts';
import { TokenscapeError } from '../src/errors.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';

interface Vector {
  name: string;
  text: string;
  ids: number[];
  addSpecial: boolean;
}

const readJson = (path: string) => JSON.parse(readFileSync(fixture(path), 'utf8'));

/** llama.cpp's `ggml-vocab-NAME.gguf.inp` / `.out`: ids without special tokens. */
function llamaCpp(name: string): Vector[] {
  const inputs = readFileSync(fixture(`gguf/ggml-vocab-${name}.gguf.inp`), 'utf8').split('\n__ggml_vocab_test__\n');
  const outputs = readFileSync(fixture(`gguf/ggml-vocab-${name}.gguf.out`), 'utf8').split('\n');
  if (inputs.at(-1) === '') inputs.pop();
  if (outputs.at(-1) === '') outputs.pop();
  expect(outputs.length, `${name}: one output line per input`).toBe(inputs.length);
  return inputs.map((text, i) => ({
    name: `llama.cpp ${name} #${i}`,
    text,
    ids: outputs[i].trim() === '' ? [] : outputs[i].trim().split(/\s+/).map(Number),
    addSpecial: false,
  }));
}

/** swift-transformers' multilingual baseline (83 inputs, special tokens added). */
function swiftMultilingual(kernel: string): Vector[] {
  const inputs = new Map<string, string>((readJson('vectors/swift-transformers/multilingual/inputs.json') as { id: string; text: string }[]).map((e) => [e.id, e.text]));
  const baseline = readJson(`vectors/swift-transformers/multilingual/baselines/${kernel}_multilingual.json`) as { entries: { id: string; input_ids: number[] }[] };
  return baseline.entries.map((e) => ({ name: `swift ${kernel} ${e.id}`, text: inputs.get(e.id)!, ids: e.input_ids, addSpecial: true }));
}

/** swift-transformers' tokenizer_tests.json entries of one hub model (special tokens added). */
function swiftTests(model: string): Vector[] {
  const entries = readJson('vectors/swift-transformers/tokenizer_tests.json')[model] as { input: string; encoded: { input_ids: number[] } }[];
  return entries.map((e, i) => ({ name: `swift ${model} #${i}`, text: e.input, ids: e.encoded.input_ids, addSpecial: true }));
}

/** swift-transformers' single long paragraph `*_encoded.json` (special tokens added). */
function swiftEncoded(file: string): Vector[] {
  const e = readJson(`vectors/swift-transformers/${file}`) as { text: string; token_ids: number[] };
  return [{ name: `swift ${file}`, text: e.text, ids: e.token_ids, addSpecial: true }];
}

/** A folder holding only some of a fixture folder's files, to read a particular form of it. */
function onlyFiles(folder: string, names: string[]): RepoFiles {
  const files = localFolderFiles(fixture(folder), folder);
  return { ...files, has: (path) => names.includes(path) && files.has(path) };
}

interface Pairing {
  tokenizer: string;
  /** The form the tokenizer is read in (what the loader must build tokenizer.json from). */
  form: string;
  files: () => RepoFiles;
  vectors: () => Vector[];
  /** Vectors transformers.js is known to get wrong, with the reason (none so far). */
  known?: Record<string, string>;
}

const folder = (name: string) => () => localFolderFiles(fixture(`tokenizers/${name}`), name);

const PAIRINGS: Pairing[] = [
  { tokenizer: 'llama2', form: 'tokenizer.json', files: folder('llama2'), vectors: () => [...llamaCpp('llama-spm'), ...swiftMultilingual('tinyllama'), ...swiftEncoded('llama_encoded.json'), ...swiftTests('coreml-projects/Llama-2-7b-chat-coreml')] },
  { tokenizer: 'phi-3-mini', form: 'tokenizer.json', files: folder('phi-3-mini'), vectors: () => llamaCpp('phi-3') },
  { tokenizer: 'llama3', form: 'tiktoken', files: folder('llama3'), vectors: () => [...llamaCpp('llama-bpe'), ...swiftEncoded('llama_3.2_encoded.json'), ...swiftTests('pcuenq/Llama-3.2-1B-Instruct-tokenizer')] },
  { tokenizer: 'qwen2.5', form: 'vocab.json + merges.txt', files: folder('qwen2.5'), vectors: () => [...llamaCpp('qwen2'), ...llamaCpp('deepseek-r1-qwen'), ...swiftMultilingual('qwen2_5')] },
  { tokenizer: 'gpt-neox-20b', form: 'tokenizer.json', files: folder('gpt-neox-20b'), vectors: () => llamaCpp('mpt') },
  { tokenizer: 'phi-2', form: 'tokenizer.json', files: folder('phi-2'), vectors: () => llamaCpp('phi-2') },
  { tokenizer: 'roberta-base', form: 'tokenizer.json', files: folder('roberta-base'), vectors: () => [...llamaCpp('roberta-bpe'), ...swiftMultilingual('roberta_base')] },
  // The same vocabulary read from its GPT-2-style files (RobertaTokenizer's <s>…</s> needs its tokenizer_class, which this config lacks).
  { tokenizer: 'roberta-base', form: 'vocab.json + merges.txt', files: () => onlyFiles('tokenizers/roberta-base', ['vocab.json', 'merges.txt', 'tokenizer_config.json']), vectors: () => llamaCpp('roberta-bpe') },
  { tokenizer: 'falcon-7b', form: 'tokenizer.json', files: folder('falcon-7b'), vectors: () => [...llamaCpp('falcon'), ...swiftEncoded('falcon_encoded.json'), ...swiftTests('tiiuae/falcon-7b')] },
  { tokenizer: 'bert-base-uncased', form: 'tokenizer.json', files: folder('bert-base-uncased'), vectors: () => [...llamaCpp('bert-bge'), ...swiftMultilingual('bge_small'), ...swiftTests('bert-base-uncased'), ...swiftTests('google-bert/bert-base-uncased'), ...swiftEncoded('bert_uncased_encoded.json')] },
  { tokenizer: 'bert-base-uncased', form: 'vocab.txt', files: () => onlyFiles('tokenizers/bert-base-uncased', ['vocab.txt', 'tokenizer_config.json']), vectors: () => [...llamaCpp('bert-bge'), ...swiftMultilingual('bge_small'), ...swiftTests('bert-base-uncased'), ...swiftEncoded('bert_uncased_encoded.json')] },
  { tokenizer: 't5-small', form: 'tokenizer.json', files: folder('t5-small'), vectors: () => [...swiftMultilingual('t5_small'), ...swiftTests('t5-base'), ...swiftEncoded('t5_base_encoded.json')] },
  { tokenizer: 'cl100k_base', form: 'tiktoken', files: folder('cl100k_base'), vectors: () => llamaCpp('dbrx') },
  { tokenizer: 'olmo2-dolma2', form: 'tokenizer.json', files: folder('olmo2-dolma2'), vectors: () => llamaCpp('dbrx') },
  { tokenizer: 'gpt2-merges-as-pairs', form: 'tokenizer.json', files: folder('gpt2-merges-as-pairs'), vectors: () => [...swiftMultilingual('gpt2'), ...swiftEncoded('gpt2_encoded_tokens.json'), ...swiftTests('distilgpt2')] },
];

describe.skipIf(!hasFixtures)('tokenizer zoo: ids equal the peers\' reference vectors', () => {
  for (const pairing of PAIRINGS) {
    describe(`${pairing.tokenizer} (${pairing.form})`, () => {
      let tokenizer: ModelTokenizer;
      beforeAll(async () => {
        tokenizer = await loadTokenizer(pairing.files());
      }, 120_000);

      it(`is read as ${pairing.form}`, () => {
        expect(tokenizer.form).toBe(pairing.form);
      });

      it('gives every reference vector\'s ids, through encode and through the counting fast path', () => {
        const vectors = pairing.vectors();
        const encoder = tokenizer.lineEncoder!();
        const wrong: string[] = [];
        let passed = 0;
        for (const v of vectors) {
          const got = tokenizer.encode(v.text, v.addSpecial);
          const fast = encoder.encode(v.text, v.addSpecial);
          const known = pairing.known?.[v.name];
          const ok = got.join(' ') === v.ids.join(' ') && fast.join(' ') === v.ids.join(' ');
          if (ok) passed++;
          else if (!known) wrong.push(`${v.name} ${JSON.stringify(v.text.slice(0, 60))}: encode ${got.join(' ')} / fast ${fast.join(' ')}, expected ${v.ids.join(' ')}`);
        }
        console.log(`[zoo] ${pairing.tokenizer} (${pairing.form}): ${passed}/${vectors.length} vectors`);
        expect(wrong.slice(0, 6)).toEqual([]);
        expect(vectors.length).toBeGreaterThan(0);
      }, 120_000);
    });
  }
});

/** One tokenizer per family and form, for the corpus checks. */
const FAMILIES: [string, () => RepoFiles][] = [
  ['LLaMA-2 (SentencePiece BPE)', folder('llama2')],
  ['Mistral-7B (SentencePiece BPE, Metaspace)', folder('mistral-7b-v0.1')],
  ['phi-3-mini (SentencePiece BPE, rstrip added tokens)', folder('phi-3-mini')],
  ['TinyStories-656K (SentencePiece BPE, merges across words)', () => localFolderFiles(fixture('models/tinystories-656k'), 'tinystories-656k')],
  ['GPT-2 (byte-level BPE)', folder('gpt2-merges-as-pairs')],
  ['GPT-NeoX-20B (byte-level BPE, NFC)', folder('gpt-neox-20b')],
  ['RoBERTa (byte-level BPE)', folder('roberta-base')],
  ['phi-2 (byte-level BPE, whitespace added tokens)', folder('phi-2')],
  ['Falcon-7B (byte-level BPE, punctuation and digit splits)', folder('falcon-7b')],
  ['LLaMA-3 (tiktoken)', folder('llama3')],
  ['Qwen2.5 (vocab.json + merges.txt)', folder('qwen2.5')],
  ['OLMo-2 / cl100k (tokenizer.json)', folder('olmo2-dolma2')],
  ['cl100k_base (tiktoken)', folder('cl100k_base')],
  ['BERT (WordPiece)', folder('bert-base-uncased')],
  ['T5 (Unigram, Precompiled)', folder('t5-small')],
];

describe.skipIf(!hasFixtures)('the counting fast path gives encode\'s ids on real corpora, for every family', () => {
  // The corpora are read while tests are collected.
  if (!hasFixtures) return;
  // All of WikiText-2 test, and the start of the Divine Comedy (old Italian, CRLF): distinct lines.
  const corpora = [['corpora/wikitext-2-raw/wiki.test.raw', Infinity], ['corpora/commedia.txt', 3000]].map(([c, n]) =>
    [...new Set(splitLines(readFileSync(fixture(c as string), 'utf8')))].filter((l) => l !== '').slice(0, n as number));
  for (const [family, files] of FAMILIES) {
    it(family, async () => {
      const tokenizer = await loadTokenizer(files());
      const encoder = tokenizer.lineEncoder!();
      expect(encoder.strategy).not.toBe('lines');
      const wrong: string[] = [];
      let checked = 0;
      for (const lines of corpora) {
        for (const line of lines) {
          const want = tokenizer.encode(line, false).join(' ');
          if (encoder.encode(line, false).join(' ') !== want) wrong.push(JSON.stringify(line.slice(0, 80)));
          checked++;
        }
        for (const line of lines.slice(0, 50)) expect(encoder.encode(line, true)).toEqual(tokenizer.encode(line, true));
      }
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(checked).toBeGreaterThan(5000);
    }, 300_000);
  }
});

/** A temporary folder holding the given files. */
function folderWith(files: Record<string, string | Uint8Array>): RepoFiles {
  const dir = mkdtempSync(join(tmpdir(), 'tks-zoo-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return localFolderFiles(dir, 'model');
}

describe.skipIf(!hasFixtures)('tokenizer files built from other forms load in the browser\'s way too', () => {
  const BUILT: [string, () => RepoFiles, () => Vector[]][] = [
    ['llama3 (tiktoken)', folder('llama3'), () => llamaCpp('llama-bpe')],
    ['qwen2.5 (vocab.json + merges.txt)', folder('qwen2.5'), () => llamaCpp('qwen2')],
    ['bert-base-uncased (vocab.txt)', () => onlyFiles('tokenizers/bert-base-uncased', ['vocab.txt', 'tokenizer_config.json']), () => swiftTests('bert-base-uncased')],
  ];
  for (const [name, files, vectors] of BUILT) {
    it(`${name}: exportFiles gives a tokenizer.json + tokenizer_config.json that load to the same ids`, async () => {
      const built = await loadTokenizer(files());
      const exported = await built.exportFiles!();
      const reloaded = await loadTokenizer(folderWith(exported));
      expect(reloaded.form).toBe('tokenizer.json');
      expect(reloaded.vocabSize).toBe(built.vocabSize);
      expect([...reloaded.specialIds].sort()).toEqual([...built.specialIds].sort());
      for (const v of vectors()) expect(reloaded.encode(v.text, v.addSpecial), v.name).toEqual(v.ids);
    }, 120_000);
  }

  it('a tokenizer.json folder exports its own files\' text', async () => {
    const tokenizer = await loadTokenizer(folder('falcon-7b')());
    const exported = await tokenizer.exportFiles!();
    expect(exported['tokenizer.json']).toBe(readFileSync(fixture('tokenizers/falcon-7b/tokenizer.json'), 'utf8'));
    expect(exported['tokenizer_config.json']).toBe(readFileSync(fixture('tokenizers/falcon-7b/tokenizer_config.json'), 'utf8'));
  }, 60_000);
});

describe('broken tokenizer files of each form: one error naming the file', () => {
  const cases: [string, Record<string, string>, RegExp, string][] = [
    ['merges.txt with a line that is not two tokens', { 'vocab.json': '{"a":0,"b":1,"ab":2}', 'merges.txt': '#version: 0.2\na b\nab\n' }, /merges\.txt line 3 is not two tokens/, 'merges.txt'],
    ['vocab.json with an id that is not an integer', { 'vocab.json': '{"a":0,"b":"x"}', 'merges.txt': 'a b\n' }, /vocab\.json of model maps "b" to "x"/, 'vocab.json'],
    ['vocab.json that is not JSON', { 'vocab.json': '{"a":0,', 'merges.txt': 'a b\n' }, /vocab\.json of model is not valid JSON/, 'vocab.json'],
    ['vocab.txt without the unknown token', { 'vocab.txt': '[CLS]\n[SEP]\nhello\n' }, /vocab\.txt has no \[UNK\]/, 'vocab.txt'],
    ['tiktoken ranks with a broken line', { 'original/tokenizer.model': 'IQ== 0\nIg== 1\nnot base64 at all\n' }, /Line 3 is not "base64-token rank"/, 'original/tokenizer.model'],
    ['a SentencePiece tokenizer.model alone', { 'tokenizer.model': '\n\u0007<unk>\u0015\u0000\u0000\u0000\u0000\u0018\u0002' }, /tokenizer\.model of model is a SentencePiece model/, 'tokenizer.model'],
  ];
  for (const [name, files, message, file] of cases) {
    it(name, async () => {
      const error = await loadTokenizer(folderWith(files)).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(TokenscapeError);
      expect((error as TokenscapeError).message).toMatch(message);
      expect((error as TokenscapeError).format()).toContain(file);
    });
  }

  it('a folder with no tokenizer in any form says which forms are read', async () => {
    const error = await loadTokenizer(folderWith({ 'config.json': '{}' })).then(() => null, (e: unknown) => e);
    expect((error as TokenscapeError).format()).toMatch(/has no tokenizer\.json[\s\S]*vocab\.txt[\s\S]*merges\.txt[\s\S]*tiktoken/);
  });
});

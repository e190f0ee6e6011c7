/**
 * The tokenizer a GGUF file carries, rebuilt as a Hugging Face tokenizer.json, gives the ids of llama.cpp's
 * own test vectors (models/ggml-vocab-*.gguf.inp/.out, produced by each model's Hugging Face tokenizer): every
 * vocabulary file in the fixtures that has its vectors beside it, every input, through the real loading path
 * (openGgufModel: metadata → tokenizer files → transformers.js) and through the counting fast path.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { TokenscapeError } from '../src/errors.ts';
import { openGgufModel } from '../src/gguf/openGgufModel.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';
import { encodeGguf } from './support/ggufFile.ts';

const GGUF = fixture('gguf');
const env = { endpoint: 'http://127.0.0.1:9', token: null, cacheDir: '/nonexistent', offline: true, urlMirror: null } as unknown as HubEnvironment;
const cacheDir = mkdtempSync(join(tmpdir(), 'tks-gguf-vectors-'));

const families = hasFixtures
  ? readdirSync(GGUF)
      .filter((f) => /^ggml-vocab-.*\.gguf$/.test(f) && existsSync(join(GGUF, `${f}.inp`)) && existsSync(join(GGUF, `${f}.out`)))
      .map((f) => f.replace(/^ggml-vocab-|\.gguf$/g, ''))
  : [];

const open = (path: string) => openGgufModel({ kind: 'gguf', path, display: path }, env, cacheDir);

describe.skipIf(!hasFixtures)('GGUF tokenizers against llama.cpp test vectors', () => {
  it('finds the eleven vocabularies that have vectors', () => {
    expect(families.sort()).toEqual(['bert-bge', 'dbrx', 'deepseek-coder', 'deepseek-llm', 'falcon', 'gpt-2', 'llama-spm', 'mpt', 'phi-3', 'refact', 'starcoder']);
  });

  it.each(families)('%s: every input gives the expected ids', async (family) => {
    const file = join(GGUF, `ggml-vocab-${family}.gguf`);
    const inputs = readFileSync(`${file}.inp`, 'utf8').split('\n__ggml_vocab_test__\n');
    expect(inputs.pop()).toBe(''); // the separator follows every input, the last one too
    const expected = readFileSync(`${file}.out`, 'utf8').split('\n').slice(0, inputs.length).map((l) => l.trim());
    expect(inputs.length).toBe(family === 'dbrx' ? 43 : 46);

    const { tokenizer } = await open(file);
    const lines = tokenizer.lineEncoder?.();
    const wrong: string[] = [];
    inputs.forEach((input, i) => {
      const ids = tokenizer.encode(input, false).join(' ');
      if (ids !== expected[i]) wrong.push(`${JSON.stringify(input)}: got ${ids}, want ${expected[i]}`);
      // The counting fast path gives the same ids for lines (it counts corpora line by line, skipping empty ones).
      if (lines && input !== '' && !input.includes('\n')) expect(lines.encode(input, false).join(' '), JSON.stringify(input)).toBe(ids);
    });
    expect(wrong).toEqual([]);

    // The files handed to the browser give the same ids in the browser's tokenizer library.
    const exported = await tokenizer.exportFiles();
    expect(JSON.parse(exported['tokenizer.json']).model.type).toBe(family === 'bert-bge' ? 'WordPiece' : 'BPE');
    const browser = new Tokenizer(JSON.parse(exported['tokenizer.json']), JSON.parse(exported['tokenizer_config.json']));
    const browserWrong = inputs.filter((input, i) => browser.encode(input, { add_special_tokens: false }).ids.join(' ') !== expected[i]);
    expect(browserWrong).toEqual([]);
  }, 120_000);
});

describe('GGUF tokenizers Tokenscape cannot reproduce', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tks-gguf-pre-'));
  const bpe = (pre: string | null) => {
    const path = join(dir, `${pre ?? 'none'}.gguf`);
    writeFileSync(
      path,
      encodeGguf({
        metadata: [
          { key: 'tokenizer.ggml.model', type: 'str', value: 'gpt2' },
          ...(pre === null ? [] : [{ key: 'tokenizer.ggml.pre', type: 'str' as const, value: pre }]),
          { key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: ['a', 'b', 'ab'] },
          { key: 'tokenizer.ggml.merges', type: 'arr', of: 'str', value: ['a b'] },
        ],
      }),
    );
    return path;
  };

  it('names an unknown tokenizer.ggml.pre and suggests tokenizer:', async () => {
    const error = await open(bpe('kimi-k2')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenscapeError);
    const text = (error as TokenscapeError).format();
    expect(text).toMatch(/cannot reproduce the pre-tokenizer "kimi-k2"/);
    expect(text).toMatch(/at tokenizer\.ggml\.pre/);
    expect(text).toMatch(/tokenizer: <org\/name/);
  });

  it('says so when a byte-level vocabulary names no pre-tokenizer at all', async () => {
    const error = await open(bpe(null)).catch((e: unknown) => e);
    expect((error as TokenscapeError).format()).toMatch(/has no tokenizer\.ggml\.pre[\s\S]*tokenizer: </);
  });

  it('names a tokenizer family it does not read', async () => {
    const path = join(dir, 't5.gguf');
    writeFileSync(path, encodeGguf({ metadata: [{ key: 'tokenizer.ggml.model', type: 'str', value: 't5' }, { key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: ['a'] }] }));
    const error = await open(path).catch((e: unknown) => e);
    expect((error as TokenscapeError).format()).toMatch(/does not read GGUF tokenizers of type "t5"[\s\S]*tokenizer: /);
  });
});

describe('GGUF SentencePiece options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tks-gguf-spm-'));
  const spm = (addSpacePrefix: boolean | null) => {
    const path = join(dir, `spm-${addSpacePrefix}.gguf`);
    const pieces = ['<unk>', '<s>', '</s>', '\u2581', 'a', 'b', 'ab', '\u2581ab'];
    writeFileSync(
      path,
      encodeGguf({
        metadata: [
          { key: 'tokenizer.ggml.model', type: 'str', value: 'llama' },
          { key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: pieces },
          { key: 'tokenizer.ggml.scores', type: 'arr', of: 'f32', value: [0, 0, 0, -1, -2, -3, -4, -5] },
          { key: 'tokenizer.ggml.token_type', type: 'arr', of: 'i32', value: [2, 3, 3, 1, 1, 1, 1, 1] },
          ...(addSpacePrefix === null ? [] : [{ key: 'tokenizer.ggml.add_space_prefix', type: 'bool' as const, value: addSpacePrefix }]),
        ],
      }),
    );
    return path;
  };

  it('puts the dummy ▁ before the text unless tokenizer.ggml.add_space_prefix is false', async () => {
    expect((await open(spm(null))).tokenizer.encode('ab ab', false)).toEqual([7, 7]);
    expect((await open(spm(true))).tokenizer.encode('ab ab', false)).toEqual([7, 7]);
    const bare = (await open(spm(false))).tokenizer;
    expect(bare.encode('ab ab', false)).toEqual([6, 7]);
    expect(bare.decodeOne(6)).toBe('ab');
  });
});

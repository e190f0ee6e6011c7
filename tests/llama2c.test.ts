/**
 * llama2.c checkpoints and tokenizers: the header, the embedding table (bit for bit), and tokenizer.bin
 * converted to a Hugging Face tokenizer that counts exactly as SentencePiece does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, POINTS_FILE, type ExhibitManifest } from '../src/artifact/manifest.ts';
import { readExhibit } from '../src/artifact/readExhibit.ts';
import { parseGalleryConfig } from '../src/config/index.ts';
import { parseLlama2cHeader } from '../src/embeddings/llama2cCheckpoint.ts';
import { parseGgufHeader } from '../src/gguf/ggufHeader.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { loadBuiltTokenizer } from '../src/tokens/builtTokenizer.ts';
import { countTokens, splitLines } from '../src/tokens/countTokens.ts';
import { readLlama2cTokenizer } from '../src/tokens/llama2cTokenizer.ts';
import type { ModelTokenizer } from '../src/tokens/loadTokenizer.ts';
import { mergesFromScores, sentencePieceBpeFiles } from '../src/tokens/sentencepieceFromScores.ts';
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

const offlineEnv = (dir: string): HubEnvironment => ({
  endpoint: 'http://127.0.0.1:9',
  token: null,
  cacheDir: join(dir, 'hf'),
  offline: true,
  urlMirror: null,
  network: { retries: 0, retryDelayMs: 1, maxRetryDelayMs: 1, maxRetryAfterMs: 1, stallTimeoutMs: 1000 },
});

describe.skipIf(!hasFixtures)('llama2.c tokenizer.bin as a Hugging Face tokenizer', () => {
  let tokenizer: ModelTokenizer;
  let files: ReturnType<typeof sentencePieceBpeFiles>;
  beforeAll(async () => {
    const vocabulary = await readLlama2cTokenizer(fixture('models/llama2c/llama2-tokenizer/tokenizer.bin'), 'tokenizer.bin');
    files = sentencePieceBpeFiles(vocabulary);
    tokenizer = await loadBuiltTokenizer(files, mkdtempSync(join(tmpdir(), 'tks-l2c-')), './tokenizer.bin');
  });

  it("has Meta's LLaMA-2 vocabulary and exactly its 61249 merges, derived from the scores", () => {
    const meta = JSON.parse(readFileSync(fixture('tokenizers/llama2/tokenizer.json'), 'utf8'));
    const ours = JSON.parse(files['tokenizer.json']);
    expect(ours.model.vocab).toEqual(meta.model.vocab);
    expect(ours.model.merges).toHaveLength(61249);
    expect(ours.model.merges).toEqual(meta.model.merges);
    expect(ours.normalizer).toEqual(meta.normalizer);
    expect(ours.decoder).toEqual(meta.decoder);
    expect(ours.post_processor).toEqual(meta.post_processor);
  });

  it('ranks merges by the merged piece’s score, ties in vocabulary order', () => {
    // "ab" (score -1) outranks "bc" (-2); "abc" splits as a+bc and ab+c, in the order of the left piece's id.
    expect(mergesFromScores(['a', 'b', 'c', 'ab', 'bc', 'abc'], [0, 0, 0, -1, -2, -3])).toEqual(['a b', 'b c', 'a bc', 'ab c']);
  });

  it.skipIf(!pythonHas('sentencepiece'))("counts WikiText-2 test line by line exactly as SentencePiece does with Meta's tokenizer.model", () => {
    const corpus = fixture('corpora/wikitext-2-raw/wiki.test.raw');
    const ours = countTokens(tokenizer, splitLines(readFileSync(corpus, 'utf8')), false, tokenizer.vocabSize);
    const reference = runPython<Record<string, number>>(SENTENCEPIECE_COUNTS, [fixture('tokenizers/llama2/tokenizer.model'), corpus]);
    const expected = new Map(Object.entries(reference).map(([k, v]) => [Number(k), v]));
    const mismatches: string[] = [];
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      if (ours.counts[id] !== (expected.get(id) ?? 0)) mismatches.push(`${id} ${tokenizer.pieces[id]}: ${ours.counts[id]} vs ${expected.get(id) ?? 0}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(ours.total).toBe([...expected.values()].reduce((a, b) => a + b, 0));
  }, 120_000);

  it('counts through the memoised line encoder (the fast path), and exports the files the browser loads', async () => {
    expect(tokenizer.lineEncoder?.().strategy).toBe('segments');
    expect(await tokenizer.exportFiles()).toEqual(files);
    expect(tokenizer.encode('Hello world', false)).toEqual([15043, 3186]);
    expect(tokenizer.decodeOne(13)).toBe('\n');
    expect([...tokenizer.specialIds].sort()).toEqual([0, 1, 2]);
  });
});

describe.skipIf(!hasFixtures)('llama2.c checkpoints', () => {
  const stories = fixture('models/llama2c/stories260K/stories260K.bin');

  it('reads the header of stories260K: dim 64, hidden 172, 5 layers, 8 heads, 4 kv heads, 512 tokens, tied', () => {
    const bytes = readFileSync(stories);
    const h = parseLlama2cHeader(bytes.subarray(0, 28), bytes.length, 'stories260K.bin');
    expect(h).toMatchObject({ dim: 64, hiddenDim: 172, layers: 5, heads: 8, kvHeads: 4, vocabSize: 512, seqLen: 512, tied: true });
    expect(h.embedding).toEqual({ begin: 28, end: 28 + 512 * 64 * 4 });
    expect(h.totalBytes).toBe(bytes.length);
  });

  it('has the embedding table of stories260K.gguf’s token_embd.weight, bit for bit', async () => {
    const gguf = readFileSync(fixture('gguf/stories260K.gguf'));
    const header = parseGgufHeader(gguf, 'stories260K.gguf');
    const embd = header.tensors.find((t) => t.name === 'token_embd.weight')!;
    expect(embd.type.name).toBe('F32');
    expect(embd.dims).toEqual([64, 512]);
    const ours = readFileSync(stories).subarray(28, 28 + 512 * 64 * 4);
    expect(Buffer.compare(gguf.subarray(embd.begin, embd.end), ours)).toBe(0);
  });

  it('builds an exhibit of aidreams260K with its tok512.bin: the page data reads back, the model is tied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-aidreams-'));
    const l2c = fixture('models/llama2c/aidreams260K');
    writeFileSync(join(dir, 'corpus.txt'), 'Once upon a time I dreamed of a robot.\nThe machine dreamed of electric sheep and of the sea.\n');
    const config = parseGalleryConfig(
      `title: llama2.c
exhibits:
  - id: aidreams-vocabulary
    title: aidreams260K, every token
    model: { llama2c: ${join(l2c, 'aidreams260K.bin')}, tokenizer: ${join(l2c, 'tok512.bin')} }
    corpus: vocabulary
  - id: aidreams-output
    title: aidreams260K, the classifier
    model: { llama2c: ${join(l2c, 'aidreams260K.bin')}, tokenizer: ${join(l2c, 'tok512.bin')} }
    tensor: output
    corpus: { file: ./corpus.txt }
`,
      join(dir, 'gallery.yaml'),
    );
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    const outcomes = await precompute({ config, env: offlineEnv(dir), workspace });
    expect(outcomes.map((o) => o.status)).toEqual(['built', 'built']);
    const manifest = JSON.parse(await readFile(join(workspace.exhibitsDir, 'aidreams-vocabulary', MANIFEST_FILE), 'utf8')) as ExhibitManifest;
    expect(manifest.model).toMatchObject({ tensor: 'token_embedding_table', tensorRole: 'input', tied: true, dtype: 'F32', vocabSize: 512, hiddenSize: 64, source: 'local' });
    const points = readExhibit(await readFile(join(workspace.exhibitsDir, 'aidreams-vocabulary', POINTS_FILE)));
    expect(points.count).toBe(512);
    expect(points.texts[1]).toBe('<s>');
    const output = JSON.parse(await readFile(join(workspace.exhibitsDir, 'aidreams-output', MANIFEST_FILE), 'utf8')) as ExhibitManifest;
    // Tied: the classifier is the embedding table, one matrix (and one cached slice).
    expect(output.model).toMatchObject({ tensor: 'token_embedding_table', tensorRole: 'output', tied: true });
    expect(output.tokens.total).toBeGreaterThan(20);
  }, 60_000);

  it('takes its tokenizer from a Hugging Face tokenizer folder when tokenizer: names one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-l2c-folder-'));
    // A one-layer checkpoint over LLaMA-2's 32000 tokens, dim 8: header, table, then the other weights.
    const [dim, hidden, layers, heads, kvHeads, vocab, seqLen] = [8, 8, 1, 1, 1, 32000, 1];
    const rest = layers * dim + 4 * layers * dim * dim + layers * dim + 3 * layers * hidden * dim + dim + seqLen * (dim / heads);
    const table = Float32Array.from({ length: vocab * dim }, (_, i) => Math.sin(i * 0.37) * (1 + (i % dim)));
    const header = Buffer.alloc(28);
    [dim, hidden, layers, heads, kvHeads, vocab, seqLen].forEach((v, i) => header.writeInt32LE(v, i * 4));
    writeFileSync(join(dir, 'llama2-8.bin'), Buffer.concat([header, Buffer.from(table.buffer), Buffer.alloc(rest * 4)]));
    writeFileSync(join(dir, 'corpus.txt'), 'Nel mezzo del cammin di nostra vita\nmi ritrovai per una selva oscura\n');
    const config = parseGalleryConfig(
      `title: T\nexhibits:\n  - { id: l2c, title: T, model: { llama2c: ./llama2-8.bin, tokenizer: ${fixture('tokenizers/llama2')} }, corpus: { file: ./corpus.txt } }\n`,
      join(dir, 'gallery.yaml'),
    );
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    await precompute({ config, env: offlineEnv(dir), workspace });
    const manifest = JSON.parse(await readFile(join(workspace.exhibitsDir, 'l2c', MANIFEST_FILE), 'utf8')) as ExhibitManifest;
    expect(manifest.model).toMatchObject({ vocabSize: 32000, hiddenSize: 8, tied: true });
    const points = readExhibit(await readFile(join(workspace.exhibitsDir, 'l2c', POINTS_FILE)));
    expect(points.pieces).toEqual(expect.arrayContaining(['▁del', '▁per', '▁vita']));
  }, 60_000);

  it('maps the separate classifier of an untied checkpoint (negative vocab_size) from its own bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tks-untied-'));
    // aidreams260K with its vocab_size negated and a classifier appended: the classifier is the table × -1.
    const original = readFileSync(fixture('models/llama2c/aidreams260K/aidreams260K.bin'));
    const table = original.subarray(28, 28 + 512 * 64 * 4);
    const negated = new Float32Array(table.buffer.slice(table.byteOffset, table.byteOffset + table.length)).map((v) => -v);
    const untied = Buffer.concat([original, Buffer.from(negated.buffer)]);
    untied.writeInt32LE(-512, 20);
    writeFileSync(join(dir, 'untied.bin'), untied);
    const config = parseGalleryConfig(
      `title: untied
exhibits:
  - { id: input, title: input, model: { llama2c: ./untied.bin, tokenizer: ${fixture('models/llama2c/aidreams260K/tok512.bin')} }, corpus: vocabulary }
  - { id: output, title: output, tensor: output, model: { llama2c: ./untied.bin, tokenizer: ${fixture('models/llama2c/aidreams260K/tok512.bin')} }, corpus: vocabulary }
`,
      join(dir, 'gallery.yaml'),
    );
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    await precompute({ config, env: offlineEnv(dir), workspace });
    const read = async (id: string) => ({
      manifest: JSON.parse(await readFile(join(workspace.exhibitsDir, id, MANIFEST_FILE), 'utf8')) as ExhibitManifest,
      points: readExhibit(await readFile(join(workspace.exhibitsDir, id, POINTS_FILE))),
    });
    const input = await read('input');
    const output = await read('output');
    expect(input.manifest.model).toMatchObject({ tensor: 'token_embedding_table', tied: false, tensorRole: 'input' });
    expect(output.manifest.model).toMatchObject({ tensor: 'wcls', tied: false, tensorRole: 'output' });
    // PCA of −X is PCA of X with every axis flipped; the sign convention flips them back: equal maps.
    const diff = input.points.positions.reduce((m, v, i) => Math.max(m, Math.abs(v - output.points.positions[i])), 0);
    const span = Math.max(...input.points.max.map((v, a) => v - input.points.min[a]));
    expect(diff / span).toBeLessThan(1e-3);
    // And the slice really came from the end of the file.
    const handle = await open(join(dir, 'untied.bin'), 'r');
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, untied.length - 512 * 64 * 4);
    await handle.close();
    expect(tail.readFloatLE(0)).toBe(-table.readFloatLE(0));
  }, 60_000);
});

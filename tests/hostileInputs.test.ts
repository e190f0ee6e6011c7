/**
 * Broken and hostile inputs, one at a time, through the real precompute: each must stop the build with one
 * error that names the file and the problem, and leave no output for that exhibit. A header that claims
 * an absurd size must be refused before anything of that size is allocated or requested.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackHub, type LoopbackHub } from '../scripts/loopback-hub/server.ts';
import { readExhibit } from '../src/artifact/readExhibit.ts';
import { parseGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import type { HubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';
import { encodeGguf, tinyLlamaGguf, type GgufKv, type GgufTensorSpec } from './support/ggufFile.ts';
import { editHeader, parseCsv, rawSafetensors } from './support/hostileFiles.ts';
import { encodeSafetensors } from './support/safetensors.ts';
import { TINY_CORPUS, TINY_VOCAB, tinyEmbedding, tinyModelFiles, tinyTensors, type TinyModelOptions } from './support/tinyModel.ts';

const V = TINY_VOCAB.length; // 43 rows, 8 columns in the valid model
const good = () => tinyModelFiles();
const goodSafetensors = () => good()['model.safetensors'] as Uint8Array;
const withSafetensors = (bytes: Uint8Array): TinyModelOptions => ({ files: { 'model.safetensors': bytes } });
const embeddingEntry = (edit: (e: { dtype: string; shape: unknown; data_offsets: unknown }) => void) =>
  withSafetensors(editHeader(goodSafetensors(), (h) => edit(h['model.embed_tokens.weight'])));
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function parquet(rows: string[], column = 'text'): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: [{ name: column, data: rows, type: 'STRING' }] }));
}

interface HostileCase {
  /** What is wrong, as the test name. */
  name: string;
  /** The model: a local folder built from the tiny model with these changes, or a YAML model value (a Hub repo of the loopback mirror). */
  model?: TinyModelOptions | { yaml: string };
  /** The corpus: text or bytes for ./corpus.txt, or a YAML corpus value (vocabulary, { url }, { dataset }). */
  corpus?: string | Uint8Array | { yaml: string };
  /** The whole exhibit entry's id line, for config cases. */
  id?: string;
  /** Everything that must be in the formatted error. */
  error: RegExp[];
  /** Where the problem is: this must appear in the message. */
  file?: string;
  /**
   * Not met yet, because the code that would have to change is someone else's: says what and where. The
   * case runs as an expected failure, so it turns red (and should move up) once that change lands.
   */
  gap?: string;
}

const CASES: HostileCase[] = [
  // ---- safetensors: the 8-byte length and the header
  { name: 'header length of 2^60 bytes', model: withSafetensors(rawSafetensors({}, 0, 1n << 60n)), error: [/is not a safetensors file: it announces a header of 1152921504606846976 bytes/, /LFS pointer or an HTML error page/], file: 'model.safetensors' },
  { name: 'header length of 0 bytes', model: withSafetensors(rawSafetensors('', 64, 0n)), error: [/announces a header of 0 bytes/], file: 'model.safetensors' },
  { name: 'header longer than the file', model: withSafetensors(rawSafetensors('{}', 0, 4096n)), error: [/ends at byte 10, before byte 4104/], file: 'model.safetensors' },
  { name: 'file shorter than the length prefix', model: withSafetensors(new Uint8Array(5)), error: [/ends at byte 5, before byte 8/], file: 'model.safetensors' },
  { name: 'empty safetensors file', model: withSafetensors(new Uint8Array(0)), error: [/ends at byte 0, before byte 8/], file: 'model.safetensors' },
  { name: 'git LFS pointer instead of the weights', model: withSafetensors(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n')), error: [/is not a safetensors file: it announces a header of \d+ bytes/, /LFS pointer/], file: 'model.safetensors' },
  { name: 'HTML error page saved as the weights', model: withSafetensors(new TextEncoder().encode('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>')), error: [/is not a safetensors file/, /HTML error page/], file: 'model.safetensors' },
  { name: 'header that is not JSON', model: withSafetensors(rawSafetensors('{"model.embed_tokens.weight": {dtype', 16)), error: [/has a safetensors header that is not valid JSON/], file: 'model.safetensors' },
  { name: 'header that is a JSON array', model: withSafetensors(rawSafetensors('[1, 2, 3]', 16)), error: [/header that is not a JSON object/], file: 'model.safetensors' },
  { name: 'header that is not UTF-8', model: withSafetensors(rawSafetensors(Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 16)), error: [/header that is not valid JSON/], file: 'model.safetensors' },
  // ---- safetensors: tensor entries
  { name: 'tensor without a dtype', model: embeddingEntry((e) => delete (e as Partial<typeof e>).dtype), error: [/tensor "model\.embed_tokens\.weight" has no dtype/], file: 'model.safetensors' },
  { name: 'negative dimension', model: embeddingEntry((e) => (e.shape = [-V, 8])), error: [/tensor "model\.embed_tokens\.weight" has an invalid shape \[-43,8\]/], file: 'model.safetensors' },
  { name: 'fractional dimension', model: embeddingEntry((e) => (e.shape = [42.5, 8])), error: [/has an invalid shape \[42\.5,8\]/], file: 'model.safetensors' },
  { name: 'data_offsets that are not a pair', model: embeddingEntry((e) => (e.data_offsets = [0])), error: [/has invalid data_offsets \[0\]/], file: 'model.safetensors' },
  { name: 'data_offsets that end before they begin', model: embeddingEntry((e) => (e.data_offsets = [2752, 1376])), error: [/has data_offsets \[2752, 1376\] that end before they begin/], file: 'model.safetensors' },
  { name: 'shape that does not match the bytes', model: embeddingEntry((e) => (e.shape = [V, 4])), error: [/is F32 \[43,4\] \(688 bytes\) but its data_offsets span 1376 bytes/], file: 'model.safetensors' },
  { name: 'dtype that does not match the bytes', model: embeddingEntry((e) => (e.dtype = 'F16')), error: [/is F16 \[43,8\] \(688 bytes\) but its data_offsets span 1376 bytes/], file: 'model.safetensors' },
  { name: 'a 2^62-byte tensor in a 40-byte span', model: embeddingEntry((e) => ((e.shape = [2 ** 30, 2 ** 30]), (e.data_offsets = [0, 40]))), error: [/is F32 \[1073741824,1073741824\] \(4611686018427387904 bytes\) but its data_offsets span 40 bytes/], file: 'model.safetensors' },
  {
    name: 'a 2 PB tensor that the offsets agree with',
    model: {
      files: {
        'config.json': JSON.stringify({ vocab_size: 2 ** 25 }),
        'model.safetensors': rawSafetensors({ 'model.embed_tokens.weight': { dtype: 'F16', shape: [2 ** 25, 2 ** 25], data_offsets: [0, 2 ** 51] } }, 64),
      },
    },
    error: [/tensor "model\.embed_tokens\.weight" \(F16 \[33554432,33554432\]\) ends at byte 2251799813685\d+, past the end of the file/],
    file: 'model.safetensors',
  },
  { name: 'offsets past the end of the file (a truncated download)', model: withSafetensors(goodSafetensors().subarray(0, goodSafetensors().length - 100)), error: [/tensor "model\.embed_tokens\.weight" \(F32 \[43,8\]\) ends at byte \d+, past the end of the file/, /truncated/], file: 'model.safetensors' },
  {
    name: 'overlapping tensors',
    model: withSafetensors(editHeader(goodSafetensors(), (h) => (h['model.embed_tokens.weight'].data_offsets = [688, 688 + 1376]))),
    error: [/tensors "lm_head\.weight" \[0, 1376\] and "model\.embed_tokens\.weight" \[688, 2064\] overlap/],
    file: 'model.safetensors',
  },
  // ---- safetensors: the embedding itself
  { name: 'embedding stored as I8', model: { tensors: {}, files: { 'model.safetensors': rawSafetensors({ 'model.embed_tokens.weight': { dtype: 'I8', shape: [V, 8], data_offsets: [0, V * 8] } }, V * 8) } }, error: [/The embedding tensor model\.embed_tokens\.weight of .* is I8; Tokenscape reads F32, F16 and BF16/], file: 'model.safetensors' },
  { name: 'no embedding tensor', model: { tensors: { 'model.norm.weight': tinyTensors(V, 8)['model.norm.weight'] } }, error: [/No input-embedding tensor found in \.\/model/, /Looked for model\.embed_tokens\.weight/], file: 'model.safetensors' },
  {
    name: 'only the output embedding, and config.json says the model is not tied',
    model: {
      tensors: { 'lm_head.weight': tinyTensors(V, 8)['lm_head.weight'] },
      files: { 'config.json': JSON.stringify({ model_type: 'llama', hidden_size: 8, vocab_size: V, tie_word_embeddings: false }) },
    },
    error: [/No input-embedding tensor found in \.\/model/, /stores only the output embedding lm_head\.weight/, /tie_word_embeddings: false/, /tensor: output/],
    file: 'model.safetensors',
  },
  { name: 'embedding smaller than the vocabulary', model: { rows: 20 }, error: [/No input-embedding tensor found/, /Candidates did not match the vocabulary \(43 tokens, config vocab_size 20\): model\.embed_tokens\.weight \[20,8\]/] },
  { name: 'embedding with no columns', model: { files: { 'model.safetensors': rawSafetensors({ 'model.embed_tokens.weight': { dtype: 'F32', shape: [V, 0], data_offsets: [0, 0] } }) } }, error: [/has shape \[43,0\]: no dimensions to project/], file: 'model.safetensors' },
  {
    name: 'NaN and Infinity in two embedding rows',
    model: { tensors: { 'model.embed_tokens.weight': { dtype: 'F32', shape: [V, 8], values: tinyEmbedding(V, 8).map((v, i) => (i === 17 ? NaN : i === 8 * 30 + 2 ? -Infinity : v)) } } },
    corpus: { yaml: 'vocabulary' },
    error: [/2 of 43 embedding rows of model\.embed_tokens\.weight of .*model\.safetensors contain NaN or Infinity/],
  },
  { name: 'only PyTorch weights', model: { files: { 'model.safetensors': null, 'pytorch_model.bin': 'not a pickle' } }, error: [/has only pytorch_model\.bin, no safetensors weights/, /cannot be read in part/, /save_pretrained/] },
  // ---- sharded checkpoints
  { name: 'index that is not JSON', model: { files: { 'model.safetensors.index.json': '{"weight_map": {' } }, error: [/model\.safetensors\.index\.json of \.\/model is not valid JSON/], file: 'model.safetensors.index.json' },
  { name: 'index without a weight_map', model: { files: { 'model.safetensors.index.json': '{"metadata": {}}' } }, error: [/model\.safetensors\.index\.json of \.\/model has no weight_map/], file: 'model.safetensors.index.json' },
  { name: 'index naming a missing shard', model: { files: { 'model.safetensors.index.json': JSON.stringify({ weight_map: { 'model.embed_tokens.weight': 'model-00002-of-00002.safetensors' } }) } }, error: [/names the shard model-00002-of-00002\.safetensors, which is not there/], file: 'model.safetensors.index.json' },
  { name: 'index pointing outside the model folder', model: { files: { 'model.safetensors.index.json': JSON.stringify({ weight_map: { 'model.embed_tokens.weight': '../../etc/passwd' } }) } }, error: [/maps "model\.embed_tokens\.weight" to "\.\.\/\.\.\/etc\/passwd", which is not a file name/], file: 'model.safetensors.index.json' },
  // ---- tokenizer
  { name: 'tokenizer.json that is not JSON', model: { files: { 'tokenizer.json': 'this is not json' } }, error: [/tokenizer\.json of \.\/model is not valid JSON/, /damaged or incomplete/], file: 'tokenizer.json' },
  { name: 'tokenizer.json cut off half-way', model: { files: { 'tokenizer.json': tinyModelFiles()['tokenizer.json'].slice(0, 200) } }, error: [/tokenizer\.json of \.\/model is not valid JSON/], file: 'tokenizer.json' },
  { name: 'tokenizer.json of an unknown kind', model: { files: { 'tokenizer.json': JSON.stringify({ model: { type: 'Telepathy', vocab: {} } }) } }, error: [/The tokenizer of \.\/model could not be loaded/], file: 'tokenizer.json' },
  { name: 'config.json that is not JSON', model: { files: { 'config.json': '{"vocab_size": 43,' } }, error: [/config\.json .*not valid JSON/], file: 'config.json' },
  { name: 'tokenizer_config.json that is not JSON', model: { files: { 'tokenizer_config.json': '{"unk_token": ' } }, error: [/tokenizer_config\.json .*not valid JSON/], file: 'tokenizer_config.json' },
  { name: 'no tokenizer.json', model: { files: { 'tokenizer.json': null } }, error: [/\.\/model has no tokenizer\.json/] },
  // ---- corpora
  { name: 'empty corpus', corpus: '', error: [/The corpus .*corpus\.txt is empty/], file: 'corpus.txt' },
  { name: 'corpus of blank lines', corpus: '\n \n\t\n\r\n', error: [/The corpus .*corpus\.txt is empty/], file: 'corpus.txt' },
  { name: 'Latin-1 corpus', corpus: latin1('the cat\nsat on a caf\xe9 mat\n'), error: [/corpus\.txt is not valid UTF-8: byte 20 \(line 2, column 13\) is 0xe9/, /iconv/], file: 'corpus.txt' },
  { name: 'UTF-16 corpus with a byte order mark', corpus: Uint8Array.from([0xff, 0xfe, ...Buffer.from('the cat sat', 'utf16le')]), error: [/is not UTF-8 text: it starts with a UTF-16 byte order mark/], file: 'corpus.txt' },
  { name: 'UTF-16 corpus without a byte order mark', corpus: new Uint8Array(Buffer.from('the cat sat on a mat\n', 'utf16le')), error: [/is not UTF-8 text: 50% of its first characters are NUL, as in UTF-16/], file: 'corpus.txt' },
  { name: 'gzip-compressed corpus', corpus: new Uint8Array(gzipSync(TINY_CORPUS)), error: [/is not UTF-8 text: it is gzip-compressed/], file: 'corpus.txt' },
  { name: 'character cut off at the end of the corpus', corpus: Uint8Array.from([...Buffer.from('the cat sat \u2014'), 0xe2, 0x80]), error: [/is not valid UTF-8: byte 15 \(line 1, column 16\) is 0xe2, a character cut off at the end of the file/], file: 'corpus.txt' },
  { name: 'corpus file that does not exist', corpus: { yaml: '{ file: ./missing.txt }' }, error: [/The corpus file \.\/missing\.txt does not exist/], file: 'missing.txt' },
  { name: 'corpus without a single known word', corpus: 'lorem ipsum dolor sit amet', error: [/PCA to 3D needs at least 3 distinct tokens; this exhibit has 1/] },
  { name: 'corrupted parquet', corpus: { yaml: '{ dataset: test-org/corrupted, config: default, split: train }' }, error: [/test-org\/corrupted\/default\/train-00000-of-00001\.parquet is not a readable parquet file/], file: 'train-00000-of-00001.parquet' },
  { name: 'truncated parquet', corpus: { yaml: '{ dataset: test-org/truncated, config: default, split: train }' }, error: [/test-org\/truncated\/default\/train-00000-of-00001\.parquet is not a readable parquet file/] },
  { name: 'parquet with damaged data pages', corpus: { yaml: '{ dataset: test-org/damaged-pages, config: default, split: train }' }, error: [/test-org\/damaged-pages\/default\/train-00000-of-00001\.parquet is not a readable parquet file/] },
  { name: 'parquet without the column', corpus: { yaml: '{ dataset: test-org/other-column, config: default, split: train }' }, error: [/dataset test-org\/other-column has no column "text"/, /Its columns: body/] },
  { name: 'parquet of empty rows', corpus: { yaml: '{ dataset: test-org/blank, config: default, split: train }' }, error: [/The corpus test-org\/blank train is empty/] },
  { name: 'URL corpus that is not there', corpus: { yaml: '{ url: https://example.org/gone.txt }' }, error: [/Downloading the corpus https:\/\/example\.org\/gone\.txt failed with HTTP 404/] },
  { name: 'URL corpus in Latin-1', corpus: { yaml: '{ url: https://example.org/latin1.txt }' }, error: [/https:\/\/example\.org\/latin1\.txt is not valid UTF-8: byte 12 \(line 1, column 13\) is 0xe9/] },
  // ---- models on the Hub
  { name: 'Hub shard with an absurd header length', model: { yaml: 'test-org/absurd-header' }, corpus: { yaml: 'vocabulary' }, error: [/test-org\/absurd-header\/model\.safetensors \([0-9a-f]{10}\) is not a safetensors file: it announces a header of 1152921504606846976 bytes/] },
  { name: 'Hub shard cut short', model: { yaml: 'test-org/truncated-shard' }, corpus: { yaml: 'vocabulary' }, error: [/test-org\/truncated-shard\/model\.safetensors \([0-9a-f]{10}\): tensor "model\.embed_tokens\.weight" \(F32 \[43,8\]\) ends at byte \d+, past the end of the file/] },
  // ---- exhibit ids (the config refuses them before anything runs)
  { name: 'exhibit id with a slash', id: 'a/b', error: [/exhibits\[0\]\.id: must not contain "\/" or "\\"/], file: 'gallery.yaml' },
  { name: 'exhibit id with a backslash', id: '"a\\\\b"', error: [/exhibits\[0\]\.id: must not contain "\/" or "\\"/], file: 'gallery.yaml' },
  { name: 'exhibit id ..', id: '..', error: [/exhibits\[0\]\.id: must not contain "\.\."/], file: 'gallery.yaml' },
  { name: 'model folder that does not exist', model: { yaml: '{ path: ./nowhere }' }, error: [/The model folder \.\/nowhere does not exist/] },
];

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

let root: string;
let hub: LoopbackHub;

function hubEnv(dir: string): HubEnvironment {
  return {
    endpoint: hub.url,
    token: null,
    cacheDir: join(dir, 'hf', 'hub'),
    offline: false,
    urlMirror: `${hub.url}/urls`,
    network: { retries: 1, retryDelayMs: 5, stallTimeoutMs: 5000 },
  };
}

/** Writes the case's folder: gallery.yaml, ./model, ./corpus.txt. Returns the config text and path. */
function writeCase(c: HostileCase): { dir: string; configFile: string; configText: string; exhibitId: string } {
  const dir = join(root, 'cases', slug(c.name));
  mkdirSync(dir, { recursive: true });
  let modelYaml = '{ path: ./model }';
  if (c.model && 'yaml' in c.model) modelYaml = c.model.yaml;
  else {
    const files = tinyModelFiles(c.model ?? {});
    mkdirSync(join(dir, 'model'), { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, 'model', name), content);
  }
  let corpusYaml = '{ file: ./corpus.txt }';
  if (c.corpus && typeof c.corpus === 'object' && 'yaml' in c.corpus) corpusYaml = c.corpus.yaml;
  else writeFileSync(join(dir, 'corpus.txt'), c.corpus ?? TINY_CORPUS);
  const exhibitId = c.id ?? 'broken';
  const configText = `title: Hostile\nexhibits:\n  - id: ${exhibitId}\n    title: Broken\n    model: ${modelYaml}\n    corpus: ${corpusYaml}\n`;
  const configFile = join(dir, 'gallery.yaml');
  writeFileSync(configFile, configText);
  return { dir, configFile, configText, exhibitId };
}

/** Leftovers that a later run might trust: temp files of any kind. */
function partials(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => /\.partial-|\.incomplete$|\.tmp$/.test(p));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tks-hostile-'));
  const mirror = join(root, 'mirror');
  const put = (path: string, content: string | Uint8Array) => {
    mkdirSync(join(mirror, path, '..'), { recursive: true });
    writeFileSync(join(mirror, path), content);
  };
  const rows = TINY_CORPUS.split('\n');
  const valid = parquet(rows);
  put('datasets/test-org/corrupted/default/train-00000-of-00001.parquet', Uint8Array.from([...Buffer.from('PAR1'), ...new Uint8Array(300).map((_, i) => (i * 97) & 0xff), 44, 1, 0, 0, ...Buffer.from('PAR1')]));
  put('datasets/test-org/truncated/default/train-00000-of-00001.parquet', valid.subarray(0, valid.length - 20));
  // Flip bytes inside the column chunk: the footer still parses, the pages do not.
  const damaged = valid.slice();
  for (let i = 4; i < 40; i++) damaged[i] ^= 0x5a;
  put('datasets/test-org/damaged-pages/default/train-00000-of-00001.parquet', damaged);
  put('datasets/test-org/other-column/default/train-00000-of-00001.parquet', parquet(rows, 'body'));
  put('datasets/test-org/blank/default/train-00000-of-00001.parquet', parquet(['', ' ', '\n']));
  put('urls/example.org/latin1.txt', latin1('the cat sat \xe9 on the mat\n'));
  const hubModel = (id: string, safetensors: Uint8Array) => {
    for (const [name, content] of Object.entries(tinyModelFiles({ files: { 'model.safetensors': safetensors } }))) put(`models/${id}/${name}`, content);
  };
  hubModel('test-org/absurd-header', rawSafetensors({}, 64, 1n << 60n));
  hubModel('test-org/truncated-shard', goodSafetensors().subarray(0, goodSafetensors().length - 100));
  hub = await startLoopbackHub({ root: mirror });
});

afterAll(async () => {
  await hub?.close();
});

describe('hostile inputs: one clear error, nothing written', () => {
  it('covers at least 30 cases', () => {
    expect(CASES.filter((c) => !c.gap).length).toBeGreaterThanOrEqual(30);
  });

  const check = async (c: HostileCase) => {
    const { dir, configFile, configText, exhibitId } = writeCase(c);
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    const before = process.memoryUsage().arrayBuffers;
    const error = await (async () => precompute({ config: parseGalleryConfig(configText, configFile), env: hubEnv(dir), workspace }))().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, 'the build must fail').toBeInstanceOf(TokenscapeError);
    const text = (error as TokenscapeError).format();
    for (const pattern of c.error) expect(text).toMatch(pattern);
    if (c.file) expect(text).toContain(c.file);
    if (!c.id) expect(text).toMatch(new RegExp(`^exhibit "${exhibitId}"`));
    expect(text).not.toMatch(/\n\s+at /); // a message, not a stack trace
    // A config refused up front creates not even the exhibits folder (and ".." must never be joined to it).
    if (c.id) expect(existsSync(workspace.exhibitsDir)).toBe(false);
    else expect(existsSync(join(workspace.exhibitsDir, exhibitId))).toBe(false);
    expect(existsSync(join(workspace.exhibitsDir, 'gallery.json'))).toBe(false);
    expect(partials(workspace.exhibitsDir)).toEqual([]);
    expect(partials(workspace.cacheDir)).toEqual([]);
    expect(partials(join(dir, 'hf'))).toEqual([]);
    // Whatever a header claims, memory follows the file's real size.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  };
  it.each(CASES.filter((c) => !c.gap).map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));
  it.fails.each(CASES.filter((c) => c.gap).map((c) => [c.name, c] as const))('%s (known gap)', (_name, c) => check(c));
});

describe('hostile inputs through the command line', () => {
  const run = (c: HostileCase) => {
    const { dir, configFile, exhibitId } = writeCase({ ...c, name: `cli ${c.name}` });
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/precompute.ts'], {
      env: {
        ...process.env,
        GALLERY_CONFIG: configFile,
        TOKENSCAPE_EXHIBITS: join(dir, 'exhibits'),
        TOKENSCAPE_CACHE: join(dir, 'cache'),
        HF_HOME: join(dir, 'hf'),
        HF_HUB_OFFLINE: '1',
      },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise<{ code: number | null; stderr: string; dir: string; exhibitId: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stderr, dir, exhibitId })),
    );
  };

  it('exits 1 with the one message and writes nothing', async () => {
    const picked = ['header length of 2^60 bytes', 'Latin-1 corpus', 'exhibit id ..', 'NaN and Infinity in two embedding rows'].map(
      (name) => CASES.find((c) => c.name === name)!,
    );
    const results = await Promise.all(picked.map(run));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.match(/error:/g)).toHaveLength(1);
      for (const pattern of picked[i].error) expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(r.dir, 'exhibits', r.exhibitId === '..' ? '' : r.exhibitId))).toBe(false);
      expect(existsSync(join(r.dir, 'exhibits', 'gallery.json'))).toBe(false);
    });
  }, 60_000);
});

describe('hostile tokens are data', () => {
  it('carries markup, quotes, line breaks, control characters and broken surrogates through unharmed', async () => {
    const hostile = ['</script><script>alert(1)</script>', 'say "hi"', 'a,b', 'line\nbreak', 'tab\there', '\u0000nul', '\u202eevil', '\ud800lone', '${x}', '🙂'];
    const vocab = [...TINY_VOCAB, ...hostile];
    const dir = join(root, 'hostile-tokens');
    mkdirSync(join(dir, 'model'), { recursive: true });
    for (const [name, content] of Object.entries(tinyModelFiles({ vocab }))) writeFileSync(join(dir, 'model', name), content);
    const configFile = join(dir, 'gallery.yaml');
    const config = parseGalleryConfig('title: T\nexhibits:\n  - id: tokens\n    title: T\n    model: { path: ./model }\n    corpus: vocabulary\n', configFile);
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    await precompute({ config, env: { ...hubEnv(dir), offline: true }, workspace });

    const points = readExhibit(readFileSync(join(workspace.exhibitsDir, 'tokens', 'points.bin')));
    // Stored as UTF-8, so a lone surrogate becomes U+FFFD; everything else is kept byte for byte.
    const expected = vocab.map((p) => p.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
    expect(points.pieces).toEqual(expected);
    const csv = parseCsv(readFileSync(join(workspace.exhibitsDir, 'tokens', 'points.csv'), 'utf8'));
    expect(csv[0].slice(0, 7)).toEqual(['token_id', 'token', 'piece', 'count', 'x', 'y', 'z']);
    expect(csv.slice(1).map((row) => row[2])).toEqual(expected);
    expect(csv.slice(1).every((row) => row.length === csv[0].length)).toBe(true);
  });
});

describe.skipIf(!hasFixtures)('hostile llama2.c inputs: one clear error naming the file and the field, nothing written', () => {
  // The cases below are built from the fixtures' bytes while tests are collected.
  if (!hasFixtures) return;
  const checkpoint = () => readFileSync(fixture('models/llama2c/aidreams260K/aidreams260K.bin'));
  const tokenizerBin = () => readFileSync(fixture('models/llama2c/aidreams260K/tok512.bin'));
  /** The checkpoint with header field `index` (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) set. */
  const withHeader = (index: number, value: number) => {
    const b = Buffer.from(checkpoint());
    b.writeInt32LE(value, index * 4);
    return b;
  };
  /** tok512.bin with token `id`'s length field replaced (and, optionally, its bytes). */
  const withToken = (id: number, edit: (b: Buffer, at: number) => void) => {
    const b = Buffer.from(tokenizerBin());
    let at = 4;
    for (let i = 0; i < id; i++) at += 8 + b.readInt32LE(at + 4);
    edit(b, at);
    return b;
  };
  const ggufMagic = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60)]);
  const version1 = Buffer.concat([Buffer.from([0x32, 0x34, 0x6b, 0x61]), Buffer.alloc(252)]);

  interface Llama2cCase {
    name: string;
    model?: Uint8Array | null;
    tokenizer?: Uint8Array | null;
    error: RegExp[];
    /** The file the message must name. */
    names: 'model.bin' | 'tokenizer.bin';
  }
  const L2C_CASES: Llama2cCase[] = [
    { name: 'empty checkpoint', model: new Uint8Array(0), error: [/is 0 bytes long, shorter than its 28-byte header/], names: 'model.bin' },
    { name: 'truncated header', model: checkpoint().subarray(0, 17), error: [/is 17 bytes long, shorter than its 28-byte header/], names: 'model.bin' },
    { name: 'dim 0', model: withHeader(0, 0), error: [/has dim 0 in its header; it must be positive/], names: 'model.bin' },
    { name: 'negative hidden_dim', model: withHeader(1, -172), error: [/has hidden_dim -172 in its header; it must be positive/], names: 'model.bin' },
    { name: 'negative n_layers', model: withHeader(2, -4), error: [/has n_layers -4/], names: 'model.bin' },
    { name: 'zero n_heads', model: withHeader(3, 0), error: [/has n_heads 0/], names: 'model.bin' },
    { name: 'more kv heads than heads', model: withHeader(4, 8), error: [/has n_kv_heads 8 > n_heads 4/], names: 'model.bin' },
    { name: 'dim not a multiple of the heads', model: withHeader(3, 5), error: [/has dim 64, not a multiple of n_heads 5/], names: 'model.bin' },
    { name: 'zero vocab_size', model: withHeader(5, 0), error: [/has vocab_size 0 in its header; it must be non-zero/], names: 'model.bin' },
    { name: 'zero seq_len', model: withHeader(6, 0), error: [/has seq_len 0/], names: 'model.bin' },
    { name: 'sizes whose product overflows 2^53', model: withHeader(0, 0x7ffffff0), error: [/is 932124 bytes, but its header \(dim 2147483632, .*\) describes \d{20,} bytes of weights/], names: 'model.bin' },
    { name: 'a vocabulary larger than the file', model: withHeader(5, 2_000_000), error: [/is 932124 bytes, but its header .*vocab_size 2000000.* describes \d+ bytes/], names: 'model.bin' },
    { name: 'truncated weights', model: checkpoint().subarray(0, 500_000), error: [/is 500000 bytes, but its header .* describes 932124 bytes of weights/], names: 'model.bin' },
    { name: 'an untied header (negative vocab_size) without the classifier', model: withHeader(5, -512), error: [/vocab_size -512.* describes 1063196 bytes/], names: 'model.bin' },
    { name: 'a GGUF file given as llama2c', model: ggufMagic, error: [/is a GGUF file, not a llama2\.c checkpoint/, /model: \{ gguf: \.\.\. \}/], names: 'model.bin' },
    { name: 'a llama2.c version 1 export', model: version1, error: [/"version 1\/2" export \(magic ak42\)/, /--version 0/], names: 'model.bin' },
    { name: 'missing checkpoint', model: null, error: [/The llama2\.c checkpoint \.\/model\.bin does not exist/], names: 'model.bin' },
    { name: 'a tokenizer of another vocabulary size', tokenizer: readFileSync(fixture('models/llama2c/llama2-tokenizer/tokenizer.bin')), error: [/has vocab_size 512, but its tokenizer has 32000 tokens/], names: 'model.bin' },
    { name: 'missing tokenizer.bin', tokenizer: null, error: [/The llama2\.c tokenizer \.\/tokenizer\.bin does not exist/], names: 'tokenizer.bin' },
    { name: 'empty tokenizer.bin', tokenizer: new Uint8Array(2), error: [/is 2 bytes long, too short for its header \(max_token_length/], names: 'tokenizer.bin' },
    { name: 'zero max_token_length', tokenizer: (() => { const b = Buffer.from(tokenizerBin()); b.writeInt32LE(0, 0); return b; })(), error: [/has max_token_length 0; it must be positive/], names: 'tokenizer.bin' },
    { name: 'a token length past the end of the file', tokenizer: withToken(300, (b, at) => b.writeInt32LE(0x7fffffff, at + 4)), error: [/gives token 300 a length of 2147483647 bytes, past the end of the file/], names: 'tokenizer.bin' },
    { name: 'a negative token length', tokenizer: withToken(7, (b, at) => b.writeInt32LE(-3, at + 4)), error: [/gives token 7 the length -3; it must be positive/], names: 'tokenizer.bin' },
    { name: 'a file that ends inside a token header', tokenizer: tokenizerBin().subarray(0, tokenizerBin().length - 2).subarray(0, 4 + 8 + 5 + 3), error: [/ends inside token 1/], names: 'tokenizer.bin' },
    { name: 'a piece that is not UTF-8', tokenizer: withToken(300, (b, at) => b.writeUInt8(0xff, at + 8)), error: [/has token 300 whose bytes are not valid UTF-8/], names: 'tokenizer.bin' },
    { name: 'a NaN score', tokenizer: withToken(400, (b, at) => b.writeFloatLE(NaN, at)), error: [/gives token 400 the score NaN/], names: 'tokenizer.bin' },
  ];

  it('covers at least 20 cases', () => expect(L2C_CASES.length).toBeGreaterThanOrEqual(20));

  it.each(L2C_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = join(root, 'llama2c-cases', slug(c.name));
    mkdirSync(dir, { recursive: true });
    const model = c.model === undefined ? checkpoint() : c.model;
    const tokenizer = c.tokenizer === undefined ? tokenizerBin() : c.tokenizer;
    if (model) writeFileSync(join(dir, 'model.bin'), model);
    if (tokenizer) writeFileSync(join(dir, 'tokenizer.bin'), tokenizer);
    const configFile = join(dir, 'gallery.yaml');
    const config = parseGalleryConfig('title: T\nexhibits:\n  - id: l2c\n    title: T\n    model: { llama2c: ./model.bin, tokenizer: ./tokenizer.bin }\n    corpus: vocabulary\n', configFile);
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    const before = process.memoryUsage().arrayBuffers;
    const error = await precompute({ config, env: { ...hubEnv(dir), offline: true }, workspace }).then(() => null, (e: unknown) => e);
    expect(error, 'the build must fail').toBeInstanceOf(TokenscapeError);
    const text = (error as TokenscapeError).format();
    for (const pattern of c.error) expect(text).toMatch(pattern);
    expect(text).toContain(c.names);
    expect(text).toMatch(/^exhibit "l2c"/);
    expect(text).not.toMatch(/\n\s+at /);
    expect(existsSync(join(workspace.exhibitsDir, 'l2c'))).toBe(false);
    expect(existsSync(join(workspace.exhibitsDir, 'gallery.json'))).toBe(false);
    expect(partials(workspace.exhibitsDir)).toEqual([]);
    expect(partials(workspace.cacheDir)).toEqual([]);
    expect(existsSync(join(workspace.cacheDir, 'embeddings'))).toBe(false);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('hostile GGUF files: one clear error naming the file and the field, bounded memory, nothing written', () => {
  const PIECES = ['<unk>', '<s>', '</s>', '\u2581', 'a', 'b', 'c', 'd', 'e', '\u2581a', '\u2581b', 'ab', 'cd', '\u2581ab', 'de', '\u2581cd'];
  const ROWS = PIECES.length;
  const COLS = 8;
  const embedding = () => Float32Array.from({ length: ROWS * COLS }, (_, i) => Math.sin(i * 0.7) + (i % 5) * 0.1);
  const embdTensor = (edit: Partial<GgufTensorSpec> = {}): GgufTensorSpec => {
    const e = embedding();
    return { name: 'token_embd.weight', dims: [COLS, ROWS], type: 0, data: new Uint8Array(e.buffer), ...edit };
  };
  const gguf = (extra: Parameters<typeof tinyLlamaGguf>[3] = {}) => tinyLlamaGguf(PIECES, embedding(), COLS, extra);
  const u64 = (v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return b;
  };
  const raw = (key: string, typeId: number, bytes: Uint8Array): GgufKv => ({ key, type: 'raw', typeId, bytes });
  const setU32 = (bytes: Uint8Array, at: number, v: number) => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(at, v, true);
    return b;
  };
  const valid = gguf();
  const oneKey = encodeGguf({ metadata: [{ key: 'general.architecture', type: 'str', value: 'llama' }] });

  interface GgufCase {
    name: string;
    /** The file's bytes; null: no file at all. */
    file: Uint8Array | null;
    error: RegExp[];
  }
  const GGUF_CASES: GgufCase[] = [
    { name: 'empty file', file: new Uint8Array(0), error: [/is not a readable GGUF file: it has only 0 bytes/, /at magic/] },
    { name: 'bad magic', file: Uint8Array.from([...Buffer.from('GGUX'), ...valid.subarray(4)]), error: [/it starts with "GGUX", not "GGUF"/, /at magic/] },
    { name: 'git LFS pointer instead of the file', file: new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n'), error: [/it starts with "vers", not "GGUF"/, /Git LFS pointer/] },
    { name: 'GGUF version 1', file: gguf({ version: 1 }), error: [/its version is 1; Tokenscape reads versions 2 and 3 \(GGUF v1 is obsolete/, /at version/] },
    { name: 'a big-endian GGUF file', file: setU32(valid, 4, 0x03000000), error: [/its version is 50331648; .*big-endian/] },
    { name: 'absurd tensor count', file: gguf({ tensorCount: 1n << 40n }), error: [/claims 1099511627776 tensors, impossible in \d+ bytes/, /at tensor_count/] },
    { name: 'absurd key count', file: gguf({ kvCount: 1n << 33n }), error: [/claims 8589934592 metadata keys, impossible in \d+ bytes/, /at metadata_kv_count/] },
    { name: 'tensor count past 2^53', file: gguf({ tensorCount: 1n << 62n }), error: [/tensor_count is 4611686018427387904, far beyond any file/] },
    { name: 'string length past the end of the file', file: gguf({ metadata: [raw('general.name', 8, u64(1n << 40n))] }), error: [/general\.name claims 1099511627776 bytes, past the end of the file/, /at general\.name/] },
    { name: 'key length past the end of the file', file: Uint8Array.from([...valid.subarray(0, 24), ...u64(1n << 50n), ...valid.subarray(32)]), error: [/metadata key 0 claims 1125899906842624 bytes, past the end of the file/] },
    { name: 'array count larger than the file', file: gguf({ metadata: [raw('tokenizer.ggml.merges', 9, Uint8Array.from([...[8, 0, 0, 0], ...u64(1n << 45n)]))] }), error: [/tokenizer\.ggml\.merges claims 35184372088832 elements, more than the \d+ bytes left in the file hold/] },
    { name: 'unknown value type', file: gguf({ metadata: [raw('general.weird', 99, new Uint8Array(4))] }), error: [/the key "general\.weird" has the unknown value type 99/, /at general\.weird/] },
    { name: 'array of an unknown value type', file: gguf({ metadata: [raw('general.list', 9, Uint8Array.from([...[42, 0, 0, 0], ...u64(2n)]))] }), error: [/general\.list is an array of the unknown value type 42/] },
    { name: 'file cut off inside a key', file: oneKey.subarray(0, 40), error: [/metadata key 0 claims 20 bytes, past the end of the file \(40 bytes\)/] },
    { name: 'file cut off inside the token list', file: valid.subarray(0, 200), error: [/tokenizer\.ggml\.tokens claims 16 elements, more than the 41 bytes left in the file hold/, /at tokenizer\.ggml\.tokens/] },
    { name: 'file cut off after a value type', file: oneKey.subarray(0, 24 + 8 + 20 + 2), error: [/the file ends at byte 54, but general\.architecture \(value type\) needs bytes up to 56/] },
    { name: 'general.alignment that is not a power of two', file: gguf({ metadata: [{ key: 'general.alignment', type: 'u32', value: 24 }] }), error: [/general\.alignment is 24, not a power of two/] },
    { name: 'tensor with seven dimensions', file: gguf({ tensors: [embdTensor({ dims: [COLS, ROWS, 1, 1, 1, 1, 1] })] }), error: [/the tensor "token_embd\.weight" has 7 dimensions; GGUF allows 1 to 4/, /at token_embd\.weight/] },
    { name: 'dims whose product overflows', file: gguf({ tensors: [embdTensor({ dims: [1n << 32n, 1n << 32n] })] }), error: [/the tensor "token_embd\.weight" has dimensions whose product overflows/] },
    { name: 'unknown tensor type', file: gguf({ tensors: [embdTensor({ type: 99 })] }), error: [/the tensor "token_embd\.weight" has the unknown ggml type 99/] },
    { name: 'misaligned tensor offset', file: gguf({ tensors: [embdTensor({ offset: 3 })] }), error: [/the tensor "token_embd\.weight" starts at data offset 3, not a multiple of the alignment 32/] },
    { name: 'tensor offset past the end of the file', file: gguf({ tensors: [embdTensor({ offset: 1 << 20 })] }), error: [/the tensor "token_embd\.weight" \(F32 \[8, 16\]\) ends at byte \d+, past the end of the file \(\d+ bytes; a truncated download\?\)/] },
    { name: 'truncated tensor data', file: valid.subarray(0, valid.length - 40), error: [/the tensor "token_embd\.weight" \(F32 \[8, 16\]\) ends at byte \d+, past the end of the file/] },
    { name: 'overlapping tensors', file: gguf({ tensors: [embdTensor(), { name: 'output.weight', dims: [COLS, ROWS], type: 0, data: embdTensor().data, offset: 64 }] }), error: [/the tensors "token_embd\.weight" and "output\.weight" overlap/] },
    { name: 'rows that are not whole blocks', file: gguf({ tensors: [embdTensor({ dims: [40, ROWS], type: 8, data: new Uint8Array(34 * ROWS * 2) })] }), error: [/the tensor "token_embd\.weight" is Q8_0 \(blocks of 32\) but its rows have 40 values/] },
    { name: 'embedding in a type Tokenscape does not dequantise', file: gguf({ tensors: [embdTensor({ dims: [256, ROWS], type: 16, data: new Uint8Array(66 * ROWS) })] }), error: [/token_embd\.weight of .*model\.gguf is stored as IQ2_XXS, which Tokenscape does not dequantise/, /Readable types: F32, F16, BF16, Q8_0/] },
    { name: 'vocabulary-only GGUF file', file: gguf({ tensors: [] }), error: [/model\.gguf holds no tensors \(a vocabulary-only GGUF file\)/] },
    { name: 'no token_embd.weight', file: gguf({ tensors: [embdTensor({ name: 'blk.0.attn_q.weight' })] }), error: [/has no token_embd\.weight tensor\. Its tensors: blk\.0\.attn_q\.weight/] },
    { name: 'embedding smaller than the vocabulary', file: gguf({ tensors: [embdTensor({ dims: [COLS, 10], data: new Uint8Array(COLS * 10 * 4) })] }), error: [/has 10 rows, fewer than the tokenizer's 16 tokens/] },
    { name: 'scores that do not match the tokens', file: encodeGguf({ metadata: [{ key: 'tokenizer.ggml.model', type: 'str', value: 'llama' }, { key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: PIECES }, { key: 'tokenizer.ggml.scores', type: 'arr', of: 'f32', value: [0, 1, 2] }], tensors: [embdTensor()] }), error: [/tokenizer\.ggml\.scores has 3 entries for 16 tokens/, /at tokenizer\.ggml\.scores/] },
    { name: 'a byte-level vocabulary with an unknown pre-tokenizer', file: encodeGguf({ metadata: [{ key: 'tokenizer.ggml.model', type: 'str', value: 'gpt2' }, { key: 'tokenizer.ggml.pre', type: 'str', value: 'kimi-k2' }, { key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: PIECES }, { key: 'tokenizer.ggml.merges', type: 'arr', of: 'str', value: ['a b'] }], tensors: [embdTensor()] }), error: [/cannot reproduce the pre-tokenizer "kimi-k2"/, /tokenizer: <org\/name/] },
    { name: 'no tokenizer in the file', file: encodeGguf({ tensors: [embdTensor()] }), error: [/the file carries no tokenizer \(no tokenizer\.ggml\.model\)/, /tokenizer: <org\/name>/] },
    { name: 'missing GGUF file', file: null, error: [/The GGUF file \.\/model\.gguf does not exist/] },
  ];

  describe('from a Hub repo', () => {
    let ggufHub: LoopbackHub;
    const sizes = new Map<string, number>();
    beforeAll(async () => {
      const mirror = join(root, 'gguf-mirror');
      const put = (id: string, bytes: Uint8Array) => {
        mkdirSync(join(mirror, 'models', id), { recursive: true });
        writeFileSync(join(mirror, 'models', id, 'model.gguf'), bytes);
        sizes.set(id, bytes.length);
      };
      put('test-org/gguf-absurd-counts', gguf({ tensorCount: 1n << 40n }));
      put('test-org/gguf-cut-short', valid.subarray(0, valid.length - 40));
      put('test-org/gguf-iq', gguf({ tensors: [embdTensor({ dims: [256, ROWS], type: 19, data: new Uint8Array(50 * ROWS) })] }));
      ggufHub = await startLoopbackHub({ root: mirror });
    });
    afterAll(async () => {
      await ggufHub?.close();
    });

    it.each([
      ['test-org/gguf-absurd-counts', /test-org\/gguf-absurd-counts\/model\.gguf \([0-9a-f]{10}\) is not a readable GGUF file: it claims 1099511627776 tensors/],
      ['test-org/gguf-cut-short', /the tensor "token_embd\.weight" \(F32 \[8, 16\]\) ends at byte \d+, past the end of the file/],
      ['test-org/gguf-iq', /token_embd\.weight of test-org\/gguf-iq\/model\.gguf .* is stored as IQ1_S, which Tokenscape does not dequantise/],
    ])('%s: one error naming the repo file, only header bytes requested, nothing written', async (id, pattern) => {
      const dir = join(root, 'gguf-hub-cases', slug(id));
      mkdirSync(dir, { recursive: true });
      const config = parseGalleryConfig(`title: T\nexhibits:\n  - id: g\n    title: T\n    model: { hub: ${id}, file: model.gguf }\n    corpus: vocabulary\n`, join(dir, 'gallery.yaml'));
      const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
      ggufHub.clearLog();
      const env = { ...hubEnv(dir), endpoint: ggufHub.url };
      const error = await precompute({ config, env, workspace }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(TokenscapeError);
      expect((error as TokenscapeError).format()).toMatch(pattern);
      const got = ggufHub.requests.filter((r) => r.path.includes('model.gguf') && r.method === 'GET');
      expect(got.every((r) => r.range !== null)).toBe(true);
      // At most the file once over (these are small), besides the bytes=0-0 probe that finds the file's size.
      expect(got.reduce((n, r) => n + r.bodyBytes, 0)).toBeLessThanOrEqual(sizes.get(id)! + 1);
      expect(existsSync(join(workspace.exhibitsDir, 'g'))).toBe(false);
      expect(existsSync(join(workspace.cacheDir, 'embeddings'))).toBe(false);
      expect(partials(workspace.cacheDir)).toEqual([]);
      expect(partials(join(dir, 'hf'))).toEqual([]);
    });
  });

  it('covers at least 25 cases', () => expect(GGUF_CASES.length).toBeGreaterThanOrEqual(25));

  it('the valid file of the table builds', async () => {
    const dir = join(root, 'gguf-cases', 'valid');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.gguf'), valid);
    const config = parseGalleryConfig('title: T\nexhibits:\n  - id: g\n    title: T\n    model: { gguf: ./model.gguf }\n    corpus: vocabulary\n', join(dir, 'gallery.yaml'));
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    await precompute({ config, env: { ...hubEnv(dir), offline: true }, workspace });
    expect(readExhibit(readFileSync(join(workspace.exhibitsDir, 'g', 'points.bin'))).pieces).toEqual(PIECES);
  });

  it.each(GGUF_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = join(root, 'gguf-cases', slug(c.name));
    mkdirSync(dir, { recursive: true });
    if (c.file) writeFileSync(join(dir, 'model.gguf'), c.file);
    const configFile = join(dir, 'gallery.yaml');
    const config = parseGalleryConfig('title: T\nexhibits:\n  - id: g\n    title: T\n    model: { gguf: ./model.gguf }\n    corpus: vocabulary\n', configFile);
    const workspace = { cacheDir: join(dir, 'cache'), exhibitsDir: join(dir, 'exhibits') };
    const before = process.memoryUsage().arrayBuffers;
    const error = await precompute({ config, env: { ...hubEnv(dir), offline: true }, workspace }).then(() => null, (e: unknown) => e);
    expect(error, 'the build must fail').toBeInstanceOf(TokenscapeError);
    const text = (error as TokenscapeError).format();
    for (const pattern of c.error) expect(text).toMatch(pattern);
    expect(text).toContain('model.gguf');
    expect(text).toMatch(/^exhibit "g"/);
    expect(text).not.toMatch(/\n\s+at /);
    expect(existsSync(join(workspace.exhibitsDir, 'g'))).toBe(false);
    expect(existsSync(join(workspace.exhibitsDir, 'gallery.json'))).toBe(false);
    expect(partials(workspace.exhibitsDir)).toEqual([]);
    expect(partials(workspace.cacheDir)).toEqual([]);
    expect(existsSync(join(workspace.cacheDir, 'embeddings'))).toBe(false);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});

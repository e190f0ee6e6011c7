/**
 * Builds a loopback-hub mirror (see server.ts) out of the public fixtures in ../shared/fixtures,
 * shaped like the real repos the app downloads from: a sharded F16 LLaMA-2 stand-in, a gated
 * copy of it, the WikiText-2 parquet split, and one plain web text.
 *
 * The fixtures folder is read in place and never copied into the repo; the mirror belongs in a
 * gitignored folder (.tokenscape-cache/) or a temp dir.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

export const DEFAULT_FIXTURES = '../shared/fixtures';
export const LLAMA_REPO = 'meta-llama/Llama-2-7b-hf';
export const GATED_REPO = 'gated-org/gated-model';
export const WIKITEXT_REPO = 'Salesforce/wikitext';
export const WIKITEXT_CONFIG = 'wikitext-2-raw-v1';
export const WIKITEXT_SPLITS = ['test', 'validation', 'train'] as const;
export const COMMEDIA_URL_PATH = 'dmf.unicatt.it/~della/pythoncourse18/commedia.txt';

export function resolveFixtures(fixtures?: string): string {
  return path.resolve(process.cwd(), fixtures ?? process.env.TOKENSCAPE_FIXTURES ?? DEFAULT_FIXTURES);
}

// ---------------------------------------------------------------------------------------------
// Number formats
// ---------------------------------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a float32 value, round-to-nearest-even, with subnormals, ±inf and NaN. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Below 2^-25 everything rounds to zero; exactly 2^-25 is a tie that goes to the even zero.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (m & 1) === 1)) m++;
    // m may carry into 0x400, which is exactly the smallest normal: the bit layout makes that right.
    return sign | m;
  }
  let out = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and from 65504 up it lands on inf: both correct.
  if (rem > 0x1000 || (rem === 0x1000 && (out & 1) === 1)) out++;
  return out;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits (upper half of float32), round-to-nearest-even, NaN kept quiet. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

// ---------------------------------------------------------------------------------------------
// safetensors
// ---------------------------------------------------------------------------------------------

export type Dtype = 'F16' | 'BF16' | 'F32';
const DTYPE_BYTES: Record<Dtype, number> = { F16: 2, BF16: 2, F32: 4 };

export interface TensorSpec {
  name: string;
  dtype: Dtype;
  shape: number[];
}

export interface SafetensorsHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function tensorBytes(t: TensorSpec): number {
  return t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
}

/**
 * The 8-byte length prefix plus the JSON header, for tensors packed in the given order.
 * The header is space-padded to a multiple of 8 so the data section stays aligned, as the
 * reference writer does.
 */
export function safetensorsHeader(
  tensors: TensorSpec[],
  metadata: Record<string, string> = { format: 'pt' },
): { bytes: Buffer; offsets: Map<string, [number, number]>; dataBytes: number } {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const offsets = new Map<string, [number, number]>();
  let pos = 0;
  for (const t of tensors) {
    const n = tensorBytes(t);
    const span: [number, number] = [pos, pos + n];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: span };
    offsets.set(t.name, span);
    pos += n;
  }
  let json = JSON.stringify(header);
  const padded = Math.ceil(Buffer.byteLength(json) / 8) * 8;
  json += ' '.repeat(padded - Buffer.byteLength(json));
  const bytes = Buffer.alloc(8 + padded);
  bytes.writeBigUInt64LE(BigInt(padded), 0);
  bytes.write(json, 8, 'utf8');
  return { bytes, offsets, dataBytes: pos };
}

export function parseSafetensorsHeader(buf: Uint8Array): {
  headerLength: number;
  dataStart: number;
  tensors: Record<string, SafetensorsHeaderEntry>;
  metadata: Record<string, string> | undefined;
} {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const json = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, n).toString('utf8')) as Record<string, unknown>;
  const { __metadata__, ...tensors } = json;
  return {
    headerLength: n,
    dataStart: 8 + n,
    tensors: tensors as Record<string, SafetensorsHeaderEntry>,
    metadata: __metadata__ as Record<string, string> | undefined,
  };
}

function encodeSafetensors(tensors: { spec: TensorSpec; data: Uint8Array }[]): Buffer {
  const { bytes } = safetensorsHeader(tensors.map((t) => t.spec));
  return Buffer.concat([bytes, ...tensors.map((t) => t.data)]);
}

function f32ToF16Buffer(src: Float32Array): Uint8Array {
  const out = Buffer.alloc(src.length * 2);
  for (let i = 0; i < src.length; i++) out.writeUInt16LE(f32ToF16Bits(src[i]!), i * 2);
  return out;
}

// ---------------------------------------------------------------------------------------------
// File writing: idempotent, atomic
// ---------------------------------------------------------------------------------------------

function tempName(dest: string): string {
  // The loopback server skips this suffix pattern, so a half-written file is never listed.
  return `${dest}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

async function sizeOf(p: string): Promise<number | null> {
  try {
    const st = await fsp.stat(p);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

async function writeAtomic(dest: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if ((await sizeOf(dest)) === bytes.byteLength) return;
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempName(dest);
  try {
    await fsp.writeFile(tmp, bytes);
    await fsp.rename(tmp, dest);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

async function copyAtomic(src: string, dest: string): Promise<void> {
  const want = await sizeOf(src);
  if (want === null) throw new Error(`fixture file missing: ${src}`);
  if ((await sizeOf(dest)) === want) return;
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempName(dest);
  try {
    await fsp.copyFile(src, tmp);
    // Fixtures are read-only; the mirror copy must not be, or a rebuild could not replace it.
    await fsp.chmod(tmp, 0o644);
    await fsp.rename(tmp, dest);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

/** xoshiro128**: fast, 32-bit, seedable; Math.random cannot be seeded. */
export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number) {
    // splitmix32 to spread a small seed over the whole state
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  u32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in (0, 1). */
  uniform(): number {
    return (this.u32() + 0.5) / 4294967296;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const th = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// WikiText
// ---------------------------------------------------------------------------------------------

/**
 * Rows as the HF `wikitext-2-raw-v1` split has them: one per line, each keeping its `\n`,
 * except that a blank line (" \n" in the raw file) is the empty string.
 */
export function wikitextRows(raw: string): string[] {
  const rows: string[] = [];
  let start = 0;
  while (start < raw.length) {
    const nl = raw.indexOf('\n', start);
    const end = nl < 0 ? raw.length : nl + 1;
    const line = raw.slice(start, end);
    rows.push(line === ' \n' ? '' : line);
    start = end;
  }
  return rows;
}

function wikitextParquet(rows: string[]): Uint8Array {
  const buf = parquetWriteBuffer({
    columnData: [{ name: 'text', data: rows, type: 'STRING' }],
    kvMetadata: [
      // what `datasets` writes, so readers that look for features find a plain string column
      { key: 'huggingface', value: JSON.stringify({ info: { features: { text: { dtype: 'string', _type: 'Value' } } } }) },
    ],
  });
  return new Uint8Array(buf);
}

// ---------------------------------------------------------------------------------------------
// The LLaMA-2 stand-in
// ---------------------------------------------------------------------------------------------

const GITATTRIBUTES = [
  '*.bin filter=lfs diff=lfs merge=lfs -text',
  '*.gguf filter=lfs diff=lfs merge=lfs -text',
  '*.model filter=lfs diff=lfs merge=lfs -text',
  '*.onnx filter=lfs diff=lfs merge=lfs -text',
  '*.parquet filter=lfs diff=lfs merge=lfs -text',
  '*.safetensors filter=lfs diff=lfs merge=lfs -text',
  '',
].join('\n');

const GENERATION_CONFIG = {
  bos_token_id: 1,
  do_sample: true,
  eos_token_id: 2,
  max_length: 4096,
  pad_token_id: 0,
  temperature: 0.6,
  top_p: 0.9,
  transformers_version: '4.31.0.dev0',
};

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model'];

/** Which tensors go to the second shard; everything else goes to the first. */
const SHARD2 = new Set(['model.embed_tokens.weight', 'model.norm.weight']);

interface LlamaFiles {
  /** file name -> content, for everything generated in memory */
  generated: Map<string, Uint8Array | string>;
}

async function llamaStandIn(fixtures: string): Promise<LlamaFiles> {
  const st = new Uint8Array(await fsp.readFile(path.join(fixtures, 'models/tiny-random-llama/model.safetensors')));
  const { tensors, dataStart } = parseSafetensorsHeader(st);
  const shards: { spec: TensorSpec; data: Uint8Array }[][] = [[], []];
  // Sorted by name, as the reference writer orders same-dtype tensors.
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name]!;
    if (t.dtype !== 'F32') throw new Error(`expected F32 in fixture, got ${t.dtype} for ${name}`);
    const [b, e] = t.data_offsets;
    // copy out: the source view may be unaligned for a Float32Array
    const src = new Float32Array(st.slice(dataStart + b, dataStart + e).buffer);
    shards[SHARD2.has(name) ? 1 : 0]!.push({ spec: { name, dtype: 'F16', shape: t.shape }, data: f32ToF16Buffer(src) });
  }
  const generated = new Map<string, Uint8Array | string>();
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  shards.forEach((tensorsInShard, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    generated.set(file, encodeSafetensors(tensorsInShard));
    for (const t of tensorsInShard) {
      weightMap[t.spec.name] = file;
      totalSize += t.data.byteLength;
    }
  });
  const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
  generated.set('model.safetensors.index.json', `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sortedMap }, null, 2)}\n`);

  // Bulky files a careless client might download; random bytes, never meant to be parsed.
  const rng = new Rng(0x11a7a2);
  const bin1 = rng.bytes(2 * 1024 * 1024);
  const bin2 = rng.bytes(1024 * 1024);
  generated.set('pytorch_model-00001-of-00002.bin', bin1);
  generated.set('pytorch_model-00002-of-00002.bin', bin2);
  const binMap = Object.fromEntries(
    Object.keys(sortedMap).map((name) => [name, SHARD2.has(name) ? 'pytorch_model-00002-of-00002.bin' : 'pytorch_model-00001-of-00002.bin']),
  );
  generated.set(
    'pytorch_model.bin.index.json',
    `${JSON.stringify({ metadata: { total_size: bin1.length + bin2.length }, weight_map: binMap }, null, 2)}\n`,
  );
  generated.set('generation_config.json', `${JSON.stringify(GENERATION_CONFIG, null, 2)}\n`);
  generated.set('.gitattributes', GITATTRIBUTES);
  generated.set(
    'README.md',
    [
      '---',
      'license: llama2',
      'language: [en]',
      '---',
      '# Llama-2-7b-hf (loopback stand-in)',
      '',
      'Real LLaMA-2 tokenizer; tiny random weights (hidden 16) from trl-internal-testing/tiny-random-LlamaForCausalLM,',
      'converted to F16 and sharded like the real repo. The pytorch_model-*.bin files are random bytes.',
      '',
    ].join('\n'),
  );
  return { generated };
}

async function writeLlamaRepo(root: string, repoId: string, fixtures: string, files: LlamaFiles): Promise<void> {
  const dir = path.join(root, 'models', ...repoId.split('/'));
  await copyAtomic(path.join(fixtures, 'models/tiny-random-llama/config.json'), path.join(dir, 'config.json'));
  for (const f of TOKENIZER_FILES) await copyAtomic(path.join(fixtures, 'tokenizers/llama2', f), path.join(dir, f));
  for (const [name, data] of files.generated) await writeAtomic(path.join(dir, name), data);
}

export async function buildFixtureMirror(root: string, fixtures?: string): Promise<void> {
  const fx = resolveFixtures(fixtures);
  if (!fs.existsSync(path.join(fx, 'SOURCES.md'))) {
    throw new Error(`fixtures not found at ${fx} (set TOKENSCAPE_FIXTURES to the shared fixtures folder)`);
  }
  root = path.resolve(root);

  const llama = await llamaStandIn(fx);
  await writeLlamaRepo(root, LLAMA_REPO, fx, llama);
  await writeLlamaRepo(root, GATED_REPO, fx, llama);

  // Only the test split is in the fixtures (validation/train were not found anywhere public and
  // small); all three split files carry the test rows so clients that pick any split still work.
  const raw = await fsp.readFile(path.join(fx, 'corpora/wikitext-2-raw/wiki.test.raw'), 'utf8');
  const parquet = wikitextParquet(wikitextRows(raw));
  const dsDir = path.join(root, 'datasets', ...WIKITEXT_REPO.split('/'));
  for (const split of WIKITEXT_SPLITS) {
    await writeAtomic(path.join(dsDir, WIKITEXT_CONFIG, `${split}-00000-of-00001.parquet`), parquet);
  }
  await writeAtomic(path.join(dsDir, '.gitattributes'), GITATTRIBUTES);
  await writeAtomic(
    path.join(dsDir, 'README.md'),
    [
      '---',
      'license: [cc-by-sa-3.0, gfdl]',
      'configs:',
      `- config_name: ${WIKITEXT_CONFIG}`,
      '  data_files:',
      ...WIKITEXT_SPLITS.map((s) => `  - split: ${s}\n    path: ${WIKITEXT_CONFIG}/${s}-*`),
      '---',
      '# WikiText (loopback mirror)',
      '',
      'Only wikitext-2-raw-v1 is mirrored, and all three splits hold the test rows (4358).',
      '',
    ].join('\n'),
  );

  await copyAtomic(path.join(fx, 'corpora/commedia.txt'), path.join(root, 'urls', ...COMMEDIA_URL_PATH.split('/')));
}

// ---------------------------------------------------------------------------------------------
// Full-size synthetic model
// ---------------------------------------------------------------------------------------------

export interface SyntheticModelOptions {
  vocab: number;
  hidden: number;
  dtype: Dtype;
  seed: number;
  /** Write an untied `lm_head.weight` ahead of the embedding (default true), as LLaMA-2 does. */
  lmHead?: boolean;
  /** Where the LLaMA-2 tokenizer files come from; defaults like buildFixtureMirror. */
  fixtures?: string;
}

export interface SyntheticModelInfo {
  dir: string;
  file: string;
  fileBytes: number;
  /** Absolute byte offset of `model.embed_tokens.weight` in the file. */
  embeddingOffset: number;
  embeddingBytes: number;
  /** Expected standard deviations of the embedding along its principal axes, largest first. */
  principalStd: number[];
}

/**
 * An orthogonal map that mixes all coordinates in O(h·log h + h·m) per row, where h = 2^a·m with m
 * odd: (Hadamard_2^a ⊗ Q_m) applied twice with random signs, after a random permutation. A dense
 * random h×h rotation would cost h² per row, which is minutes of CPU for 32000×4096.
 */
class Mixer {
  private readonly p: number;
  private readonly m: number;
  private readonly q: Float64Array;
  private readonly perm: Uint32Array;
  private readonly d1: Float64Array;
  private readonly d2: Float64Array;
  private readonly tmp: Float64Array;

  constructor(
    private readonly h: number,
    rng: Rng,
  ) {
    let m = h;
    while (m % 2 === 0) m /= 2;
    this.m = m;
    this.p = h / m;
    this.q = randomOrthogonal(m, rng);
    this.perm = new Uint32Array(h);
    for (let i = 0; i < h; i++) this.perm[i] = i;
    for (let i = h - 1; i > 0; i--) {
      const j = rng.u32() % (i + 1);
      const t = this.perm[i]!;
      this.perm[i] = this.perm[j]!;
      this.perm[j] = t;
    }
    this.d1 = Float64Array.from({ length: h }, () => (rng.u32() & 1 ? 1 : -1));
    this.d2 = Float64Array.from({ length: h }, () => (rng.u32() & 1 ? 1 : -1));
    this.tmp = new Float64Array(h);
  }

  /** out = M·x, with M orthogonal. */
  apply(x: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.h; i++) out[i] = this.d1[i]! * x[this.perm[i]!]!;
    this.kron(out);
    for (let i = 0; i < this.h; i++) out[i]! *= this.d2[i]!;
    this.kron(out);
  }

  private kron(y: Float64Array): void {
    const { p, m, q, tmp } = this;
    if (m > 1) {
      for (let b = 0; b < p; b++) {
        const o = b * m;
        for (let r = 0; r < m; r++) {
          let s = 0;
          for (let c = 0; c < m; c++) s += q[r * m + c]! * y[o + c]!;
          tmp[o + r] = s;
        }
      }
      y.set(tmp.subarray(0, p * m));
    }
    for (let len = 1; len < p; len <<= 1) {
      for (let i = 0; i < p; i += len << 1) {
        for (let k = i; k < i + len; k++) {
          const a0 = k * m;
          const b0 = (k + len) * m;
          for (let j = 0; j < m; j++) {
            const a = y[a0 + j]!;
            const b = y[b0 + j]!;
            y[a0 + j] = a + b;
            y[b0 + j] = a - b;
          }
        }
      }
    }
    if (p > 1) {
      const s = 1 / Math.sqrt(p);
      for (let i = 0; i < y.length; i++) y[i]! *= s;
    }
  }
}

/** Gram–Schmidt on a Gaussian matrix; m is the odd part of the hidden size, so small in practice. */
function randomOrthogonal(m: number, rng: Rng): Float64Array {
  const q = new Float64Array(m * m);
  for (let i = 0; i < m * m; i++) q[i] = rng.normal();
  for (let r = 0; r < m; r++) {
    for (let k = 0; k < r; k++) {
      let dot = 0;
      for (let c = 0; c < m; c++) dot += q[r * m + c]! * q[k * m + c]!;
      for (let c = 0; c < m; c++) q[r * m + c]! -= dot * q[k * m + c]!;
    }
    let norm = 0;
    for (let c = 0; c < m; c++) norm += q[r * m + c]! ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < m; c++) q[r * m + c]! /= norm;
  }
  return q;
}

/** Typical element scale of real LLaMA embeddings; only the shape of the spectrum matters here. */
const TARGET_STD = 0.02;
const BLOCK_BYTES = 4 << 20;

/**
 * A LLaMA-shaped single-file `model.safetensors` with a decaying spectrum: each embedding row is
 * M·(g ⊙ c·s) with g ~ N(0, I), s_i = i^-0.5 and M orthogonal, so the principal axes are dense
 * (not coordinate axes) and their standard deviations are c·s_i. Streams to disk in row blocks
 * of about 4 MB, so 32000×4096 needs no big buffers.
 */
export async function buildSyntheticModel(
  root: string,
  repoId: string,
  options: SyntheticModelOptions,
): Promise<SyntheticModelInfo> {
  const { vocab, hidden, dtype, seed } = options;
  const lmHead = options.lmHead ?? true;
  if (os.endianness() !== 'LE') throw new Error('buildSyntheticModel writes typed arrays directly and needs a little-endian host');
  if (!(Number.isInteger(vocab) && vocab > 0 && Number.isInteger(hidden) && hidden > 0)) {
    throw new Error(`vocab and hidden must be positive integers (got ${vocab}, ${hidden})`);
  }
  const fx = resolveFixtures(options.fixtures);
  const dir = path.join(path.resolve(root), 'models', ...repoId.split('/'));
  await fsp.mkdir(dir, { recursive: true });

  const specs: TensorSpec[] = [];
  if (lmHead) specs.push({ name: 'lm_head.weight', dtype, shape: [vocab, hidden] });
  specs.push({ name: 'model.embed_tokens.weight', dtype, shape: [vocab, hidden] });
  specs.push({ name: 'model.norm.weight', dtype, shape: [hidden] });
  const header = safetensorsHeader(specs);
  const file = path.join(dir, 'model.safetensors');
  const fileBytes = header.bytes.length + header.dataBytes;
  const embSpan = header.offsets.get('model.embed_tokens.weight')!;

  const s = Array.from({ length: hidden }, (_, i) => (i + 1) ** -0.5);
  const meanS2 = s.reduce((a, v) => a + v * v, 0) / hidden;
  const c = TARGET_STD / Math.sqrt(meanS2);
  const principalStd = s.map((v) => c * v);

  const info: SyntheticModelInfo = {
    dir,
    file,
    fileBytes,
    embeddingOffset: header.bytes.length + embSpan[0],
    embeddingBytes: embSpan[1] - embSpan[0],
    principalStd,
  };

  for (const f of TOKENIZER_FILES) await copyAtomic(path.join(fx, 'tokenizers/llama2', f), path.join(dir, f));
  const heads = hidden % 128 === 0 ? hidden / 128 : 1;
  const config = {
    architectures: ['LlamaForCausalLM'],
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: hidden,
    initializer_range: 0.02,
    intermediate_size: Math.round((hidden * 8) / 3 / 256) * 256 || hidden * 4,
    max_position_embeddings: 4096,
    model_type: 'llama',
    num_attention_heads: heads,
    // Only the embedding, the final norm and lm_head are stored; no transformer layers.
    num_hidden_layers: 0,
    num_key_value_heads: heads,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: !lmHead,
    torch_dtype: dtype === 'F16' ? 'float16' : dtype === 'BF16' ? 'bfloat16' : 'float32',
    transformers_version: '4.31.0',
    vocab_size: vocab,
  };
  await writeAtomic(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeAtomic(path.join(dir, '.gitattributes'), GITATTRIBUTES);

  if ((await sizeOf(file)) === fileBytes) return info;

  const bytesPer = DTYPE_BYTES[dtype];
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_BYTES / (hidden * bytesPer)));
  const block = new ArrayBuffer(rowsPerBlock * hidden * bytesPer);
  const as16 = new Uint16Array(block);
  const as32 = new Float32Array(block);
  const put = (i: number, v: number): void => {
    if (dtype === 'F32') as32[i] = v;
    else as16[i] = dtype === 'F16' ? f32ToF16Bits(v) : f32ToBf16Bits(v);
  };

  const tmp = tempName(file);
  const fh = await fsp.open(tmp, 'w');
  try {
    let pos = 0;
    const write = async (bytes: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, pos);
        done += bytesWritten;
        pos += bytesWritten;
      }
    };
    await write(header.bytes);

    const rng = new Rng(seed);
    // Separate streams so the embedding does not change when lm_head is switched on or off.
    const mixer = new Mixer(hidden, new Rng(seed ^ 0x5eed));
    const headRng = new Rng(seed ^ 0x1e4d);
    const g = new Float64Array(hidden);
    const row = new Float64Array(hidden);

    const writeMatrix = async (fill: (r: number, base: number) => void): Promise<void> => {
      for (let r0 = 0; r0 < vocab; r0 += rowsPerBlock) {
        const n = Math.min(rowsPerBlock, vocab - r0);
        for (let k = 0; k < n; k++) fill(r0 + k, k * hidden);
        await write(new Uint8Array(block, 0, n * hidden * bytesPer));
      }
    };
    for (const spec of specs) {
      if (spec.name === 'lm_head.weight') {
        await writeMatrix((_r, base) => {
          for (let j = 0; j < hidden; j++) put(base + j, TARGET_STD * headRng.normal());
        });
      } else if (spec.name === 'model.embed_tokens.weight') {
        await writeMatrix((_r, base) => {
          for (let j = 0; j < hidden; j++) g[j] = rng.normal() * c * s[j]!;
          mixer.apply(g, row);
          for (let j = 0; j < hidden; j++) put(base + j, row[j]!);
        });
      } else {
        for (let j = 0; j < hidden; j++) put(j, 1);
        await write(new Uint8Array(block, 0, hidden * bytesPer));
      }
    }
    await fh.close();
    await fsp.rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  return info;
}

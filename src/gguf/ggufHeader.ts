/**
 * The GGUF header (versions 2 and 3, little-endian): magic, version, tensor and key counts, the key/value
 * metadata, the tensor infos and where the tensor data starts. Everything a header claims is checked against
 * the file's real size before anything of that size is allocated or requested, so a hostile header costs
 * nothing; the header is read by ranges, growing only as far as the parse actually gets.
 */
import { TokenscapeError } from '../errors.ts';
import { GGML_TYPES, type GgmlType } from './ggmlTypes.ts';

export type GgufScalar = number | bigint | boolean | string;
export type GgufArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array
  | boolean[]
  | string[]
  | GgufArray[];
export type GgufValue = GgufScalar | GgufArray;

export interface GgufTensorInfo {
  name: string;
  /** GGUF order: fastest-varying first, so a matrix of `rows` vectors of `n` values is [n, rows]. */
  dims: number[];
  typeId: number;
  type: GgmlType;
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Where the tensor data section starts (absolute, aligned). */
  dataOffset: number;
  fileSize: number;
}

/** Something that serves byte ranges of one file. */
export interface ByteRanges {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
/** ggml refuses more; real models have a few thousand tensors and a few dozen keys. */
const MAX_TENSORS = 1 << 20;
const MAX_KEYS = 1 << 20;
const MAX_DIMS = 4;
/** The largest tokenizer metadata seen (256k-token vocabularies with scores and merges) is ~20 MB. */
export const MAX_HEADER_BYTES = 512 * 1024 * 1024;
const FIRST_READ_BYTES = 256 * 1024;

const VALUE_TYPES = ['UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32', 'BOOL', 'STRING', 'ARRAY', 'UINT64', 'INT64', 'FLOAT64'] as const;
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Thrown inside the parse when the bytes read so far end before the header does. */
class NeedMore {
  constructor(readonly end: number) {}
}

class Cursor {
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8');
  pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileSize: number,
    private readonly fail: (message: string, field: string) => never,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Makes sure [pos, pos + n) exists in the file and has been read. */
  need(n: number, field: string): void {
    const end = this.pos + n;
    if (end > this.fileSize) this.fail(`the file ends at byte ${this.fileSize}, but ${field} needs bytes up to ${end}`, field);
    if (end > MAX_HEADER_BYTES) this.fail(`the header runs past ${MAX_HEADER_BYTES} bytes at ${field}`, field);
    if (end > this.bytes.length) throw new NeedMore(end);
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(field: string): number {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${field} is ${v}, far beyond any file`, field);
    return Number(v);
  }

  string(field: string): string {
    const length = this.u64(`${field} (length)`);
    if (this.pos + length > this.fileSize) this.fail(`${field} claims ${length} bytes, past the end of the file (${this.fileSize} bytes)`, field);
    this.need(length, field);
    const s = this.decoder.decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return s;
  }

  /** `count` elements of `size` bytes each, copied out into their own aligned buffer. */
  elements(count: number, size: number, field: string): ArrayBuffer {
    if (this.pos + count * size > this.fileSize) this.fail(`${field} claims ${count} elements, past the end of the file (${this.fileSize} bytes)`, field);
    this.need(count * size, field);
    // A copy, never a view: a Node Buffer's slice shares (and .buffer exposes) its whole pool.
    const out = new Uint8Array(count * size);
    out.set(this.bytes.subarray(this.pos, this.pos + count * size));
    this.pos += count * size;
    return out.buffer;
  }

  scalar(type: number, field: string): GgufScalar {
    const size = FIXED_SIZE[type];
    if (type === 8) return this.string(field);
    if (size === undefined) this.fail(`${field} has the unknown value type ${type}`, field);
    this.need(size, field);
    const p = this.pos;
    this.pos += size;
    const v = this.view;
    switch (type) {
      case 0: return v.getUint8(p);
      case 1: return v.getInt8(p);
      case 2: return v.getUint16(p, true);
      case 3: return v.getInt16(p, true);
      case 4: return v.getUint32(p, true);
      case 5: return v.getInt32(p, true);
      case 6: return v.getFloat32(p, true);
      case 7: return v.getUint8(p) !== 0;
      case 10: return safeNumber(v.getBigUint64(p, true));
      case 11: return safeNumber(v.getBigInt64(p, true));
      default: return v.getFloat64(p, true);
    }
  }

  value(type: number, field: string, depth = 0): GgufValue {
    if (type !== 9) return this.scalar(type, field);
    if (depth > 2) this.fail(`${field} nests arrays too deeply`, field);
    const itemType = this.u32(`${field} (array type)`);
    const count = this.u64(`${field} (array length)`);
    // Every element takes at least one byte (a string at least its 8-byte length), so the count is bounded by what is left.
    const minSize = itemType === 8 ? 8 : itemType === 9 ? 12 : FIXED_SIZE[itemType];
    if (minSize === undefined) this.fail(`${field} is an array of the unknown value type ${itemType}`, field);
    if (this.pos + count * minSize > this.fileSize) {
      this.fail(`${field} claims ${count} elements, more than the ${this.fileSize - this.pos} bytes left in the file hold`, field);
    }
    switch (itemType) {
      case 0: return new Uint8Array(this.elements(count, 1, field));
      case 1: return new Int8Array(this.elements(count, 1, field));
      case 2: return new Uint16Array(this.elements(count, 2, field));
      case 3: return new Int16Array(this.elements(count, 2, field));
      case 4: return new Uint32Array(this.elements(count, 4, field));
      case 5: return new Int32Array(this.elements(count, 4, field));
      case 6: return new Float32Array(this.elements(count, 4, field));
      case 7: return Array.from(new Uint8Array(this.elements(count, 1, field)), (b) => b !== 0);
      case 10: return new BigUint64Array(this.elements(count, 8, field));
      case 11: return new BigInt64Array(this.elements(count, 8, field));
      case 12: return new Float64Array(this.elements(count, 8, field));
      case 8: {
        const out = new Array<string>(count);
        for (let i = 0; i < count; i++) out[i] = this.string(`${field}[${i}]`);
        return out;
      }
      default: {
        const out = new Array<GgufArray>(count);
        for (let i = 0; i < count; i++) out[i] = this.value(9, `${field}[${i}]`, depth + 1) as GgufArray;
        return out;
      }
    }
  }
}

function safeNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Parses a header from the first bytes of a file of `fileSize` bytes. Throws NeedMore when `bytes` ends
 * before the header does, and a TokenscapeError naming `label` and the field for anything malformed.
 */
function parseHeader(bytes: Uint8Array, fileSize: number, label: string): GgufHeader {
  const fail = (message: string, field: string): never => {
    throw new TokenscapeError(`${label} is not a readable GGUF file: ${message}.`, {
      file: label,
      field,
      hint: 'The file is damaged, truncated or not GGUF; download it again (a Git LFS pointer or an HTML page saved under a .gguf name looks like this too).',
    });
  };
  const c = new Cursor(bytes, fileSize, fail);
  if (fileSize < 4) fail(`it has only ${fileSize} bytes`, 'magic');
  const magic = c.u32('magic');
  if (magic !== MAGIC) {
    const text = Array.from(bytes.subarray(0, 4), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    fail(`it starts with "${text}", not "GGUF"`, 'magic');
  }
  const version = c.u32('version');
  if (version !== 2 && version !== 3) {
    const why = version === 1 ? ' (GGUF v1 is obsolete; convert the model again with a current llama.cpp)' : version > 0xffff ? ' (a big-endian file?)' : '';
    fail(`its version is ${version}; Tokenscape reads versions 2 and 3${why}`, 'version');
  }
  const tensorCount = c.u64('tensor_count');
  if (tensorCount > MAX_TENSORS || 16 + tensorCount * 24 > fileSize) fail(`it claims ${tensorCount} tensors, impossible in ${fileSize} bytes`, 'tensor_count');
  const keyCount = c.u64('metadata_kv_count');
  if (keyCount > MAX_KEYS || 24 + keyCount * 13 > fileSize) fail(`it claims ${keyCount} metadata keys, impossible in ${fileSize} bytes`, 'metadata_kv_count');

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < keyCount; i++) {
    const key = c.string(`metadata key ${i}`);
    const type = c.u32(`${key} (value type)`);
    if (type > 12) fail(`the key "${key}" has the unknown value type ${type}`, key);
    const value = c.value(type, key);
    // Some converters wrote a key twice (e.g. general.file_type); like gguf_find_key, the first one counts.
    if (!metadata.has(key)) metadata.set(key, value);
  }

  let alignment = 32;
  if (metadata.has('general.alignment')) {
    const a = metadata.get('general.alignment');
    if (typeof a !== 'number' || !Number.isInteger(a) || a <= 0 || (a & (a - 1)) !== 0 || a > 1 << 20) {
      fail(`general.alignment is ${String(a)}, not a power of two`, 'general.alignment');
    }
    alignment = a as number;
  }

  const infos: { name: string; dims: number[]; typeId: number; type: GgmlType; offset: number; bytes: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor ${i} name`);
    if (names.has(name)) fail(`the tensor "${name}" appears twice`, name);
    names.add(name);
    const nDims = c.u32(`${name} n_dims`);
    if (nDims < 1 || nDims > MAX_DIMS) fail(`the tensor "${name}" has ${nDims} dimensions; GGUF allows 1 to ${MAX_DIMS}`, name);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = c.u64(`${name} dims[${d}]`);
      elements *= n;
      if (elements > Number.MAX_SAFE_INTEGER) fail(`the tensor "${name}" has dimensions whose product overflows`, name);
      dims.push(n);
    }
    const typeId = c.u32(`${name} type`);
    const type = GGML_TYPES.get(typeId);
    if (!type) fail(`the tensor "${name}" has the unknown ggml type ${typeId}`, name);
    if (dims[0] % type!.blockElements !== 0) {
      fail(`the tensor "${name}" is ${type!.name} (blocks of ${type!.blockElements}) but its rows have ${dims[0]} values`, name);
    }
    const offset = c.u64(`${name} offset`);
    if (offset % alignment !== 0) fail(`the tensor "${name}" starts at data offset ${offset}, not a multiple of the alignment ${alignment}`, name);
    infos.push({ name, dims, typeId, type: type!, offset, bytes: (elements / type!.blockElements) * type!.blockBytes });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;

  const tensors: GgufTensorInfo[] = infos.map(({ name, dims, typeId, type, offset, bytes: length }) => {
    const begin = dataOffset + offset;
    const end = begin + length;
    if (end > fileSize) {
      fail(`the tensor "${name}" (${type.name} [${dims.join(', ')}]) ends at byte ${end}, past the end of the file (${fileSize} bytes; a truncated download?)`, name);
    }
    return { name, dims, typeId, type, begin, end };
  });
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) fail(`the tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`, sorted[i].name);
  }
  return { version, metadata, tensors, alignment, dataOffset, fileSize };
}

/** Reads and parses the header, fetching only as many leading bytes of the file as the header takes. */
export async function readGgufHeader(source: ByteRanges, label: string): Promise<GgufHeader> {
  let bytes: Uint8Array = await source.read(0, Math.min(source.size, FIRST_READ_BYTES));
  for (;;) {
    try {
      return parseHeader(bytes, source.size, label);
    } catch (error) {
      if (!(error instanceof NeedMore)) throw error;
      const end = Math.min(source.size, MAX_HEADER_BYTES, Math.max(error.end, bytes.length * 2));
      const more = await source.read(bytes.length, end);
      const grown = new Uint8Array(end);
      grown.set(bytes);
      grown.set(more, bytes.length);
      bytes = grown;
    }
  }
}

/** Parses a header held in memory entirely (tests, small files). */
export function parseGgufHeader(bytes: Uint8Array, label: string, fileSize = bytes.length): GgufHeader {
  try {
    return parseHeader(bytes, fileSize, label);
  } catch (error) {
    if (error instanceof NeedMore) throw new TokenscapeError(`${label}: the header continues past the ${bytes.length} bytes given.`, { file: label });
    throw error;
  }
}

/** A metadata value, checked to be of the expected kind; `undefined` when absent. */
export function metadataString(header: GgufHeader, key: string): string | undefined {
  const v = header.metadata.get(key);
  return typeof v === 'string' ? v : undefined;
}

export function metadataNumber(header: GgufHeader, key: string): number | undefined {
  const v = header.metadata.get(key);
  return typeof v === 'number' ? v : undefined;
}

export function describeValueType(type: number): string {
  return VALUE_TYPES[type] ?? `type ${type}`;
}

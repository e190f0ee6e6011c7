/**
 * Writes GGUF files for tests, following the GGUF spec (little-endian, v3): header, key/value metadata with
 * explicit value types, tensor infos, padding to the alignment, tensor data. Every count and field can be
 * overridden, so hostile headers are written by the same code as valid ones.
 */

export type GgufKv =
  | { key: string; type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'u64' | 'i64' | 'f64' | 'bool'; value: number | boolean }
  | { key: string; type: 'str'; value: string }
  | { key: string; type: 'arr'; of: 'str'; value: string[] }
  | { key: string; type: 'arr'; of: 'f32' | 'i32' | 'u32'; value: ArrayLike<number> }
  /** Raw bytes after the value type (for hostile values). */
  | { key: string; type: 'raw'; typeId: number; bytes: Uint8Array };

export interface GgufTensorSpec {
  name: string;
  /** Fastest first, as GGUF stores them. */
  dims: (number | bigint)[];
  /** ggml type id (0 F32, 1 F16, 8 Q8_0, ...). */
  type: number;
  data: Uint8Array;
  /** Override the stored offset (relative to the data section). */
  offset?: number | bigint;
}

export interface GgufSpec {
  magic?: string;
  version?: number;
  metadata?: GgufKv[];
  tensors?: GgufTensorSpec[];
  alignment?: number;
  tensorCount?: bigint;
  kvCount?: bigint;
}

const TYPE_IDS = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9, u64: 10, i64: 11, f64: 12 } as const;

class Bytes {
  private parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array) {
    this.parts.push(b);
    this.length += b.length;
  }
  num(kind: keyof typeof TYPE_IDS, v: number | bigint | boolean) {
    const dv = new DataView(new ArrayBuffer(8));
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    const size = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8, str: 0, arr: 0 }[kind];
    switch (kind) {
      case 'u8': case 'bool': dv.setUint8(0, Number(n)); break;
      case 'i8': dv.setInt8(0, Number(n)); break;
      case 'u16': dv.setUint16(0, Number(n), true); break;
      case 'i16': dv.setInt16(0, Number(n), true); break;
      case 'u32': dv.setUint32(0, Number(n), true); break;
      case 'i32': dv.setInt32(0, Number(n), true); break;
      case 'f32': dv.setFloat32(0, Number(n), true); break;
      case 'u64': dv.setBigUint64(0, BigInt(n), true); break;
      case 'i64': dv.setBigInt64(0, BigInt(n), true); break;
      case 'f64': dv.setFloat64(0, Number(n), true); break;
    }
    this.push(new Uint8Array(dv.buffer, 0, size));
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.num('u64', BigInt(b.length));
    this.push(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export function encodeGguf(spec: GgufSpec): Uint8Array {
  const metadata = spec.metadata ?? [];
  const tensors = spec.tensors ?? [];
  const alignment = spec.alignment ?? 32;
  const b = new Bytes();
  b.push(new TextEncoder().encode(spec.magic ?? 'GGUF'));
  b.num('u32', spec.version ?? 3);
  b.num('u64', spec.tensorCount ?? BigInt(tensors.length));
  b.num('u64', spec.kvCount ?? BigInt(metadata.length));
  for (const kv of metadata) {
    b.str(kv.key);
    if (kv.type === 'raw') {
      b.num('u32', kv.typeId);
      b.push(kv.bytes);
    } else if (kv.type === 'arr') {
      b.num('u32', TYPE_IDS.arr);
      b.num('u32', TYPE_IDS[kv.of]);
      b.num('u64', BigInt(kv.value.length));
      if (kv.of === 'str') for (const s of kv.value as string[]) b.str(s);
      else for (let i = 0; i < kv.value.length; i++) b.num(kv.of, (kv.value as ArrayLike<number>)[i]);
    } else {
      b.num('u32', TYPE_IDS[kv.type]);
      if (kv.type === 'str') b.str(kv.value);
      else b.num(kv.type, kv.value);
    }
  }
  let offset = 0;
  const placed: { data: Uint8Array; at: number }[] = [];
  for (const t of tensors) {
    b.str(t.name);
    b.num('u32', t.dims.length);
    for (const d of t.dims) b.num('u64', BigInt(d));
    b.num('u32', t.type);
    b.num('u64', BigInt(t.offset ?? offset));
    placed.push({ data: t.data, at: offset });
    offset = Math.ceil((offset + t.data.length) / alignment) * alignment;
  }
  const headerEnd = Math.ceil(b.length / alignment) * alignment;
  b.push(new Uint8Array(headerEnd - b.length));
  const data = new Uint8Array(offset);
  for (const p of placed) data.set(p.data, p.at);
  b.push(data);
  return b.concat();
}

/** A small LLaMA-style GGUF: a SentencePiece vocabulary of `pieces` and an F32 token_embd.weight of rows × cols. */
export function tinyLlamaGguf(pieces: string[], embedding: Float32Array, cols: number, extra: Partial<GgufSpec> = {}): Uint8Array {
  const rows = embedding.length / cols;
  return encodeGguf({
    metadata: [
      { key: 'general.architecture', type: 'str', value: 'llama' },
      { key: 'tokenizer.ggml.model', type: 'str', value: 'llama' },
      { key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: pieces },
      { key: 'tokenizer.ggml.scores', type: 'arr', of: 'f32', value: pieces.map((_, i) => -i) },
      { key: 'tokenizer.ggml.token_type', type: 'arr', of: 'i32', value: pieces.map((p, i) => (i === 0 ? 2 : i < 3 ? 3 : /^<0x[0-9A-F]{2}>$/.test(p) ? 6 : 1)) },
      { key: 'tokenizer.ggml.unknown_token_id', type: 'u32', value: 0 },
      { key: 'tokenizer.ggml.bos_token_id', type: 'u32', value: 1 },
      { key: 'tokenizer.ggml.eos_token_id', type: 'u32', value: 2 },
      ...(extra.metadata ?? []),
    ],
    tensors: extra.tensors ?? [{ name: 'token_embd.weight', dims: [cols, rows], type: 0, data: new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength) }],
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'metadata' && k !== 'tensors')),
  });
}

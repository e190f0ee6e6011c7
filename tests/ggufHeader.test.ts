/**
 * The GGUF header as the spec defines it: both versions, every metadata value type (arrays and nested arrays
 * too), the alignment and where tensor data starts; and a header is read by ranges, only as far as it goes.
 */
import { describe, expect, it } from 'vitest';
import { parseGgufHeader, readGgufHeader } from '../src/gguf/ggufHeader.ts';
import { encodeGguf, type GgufKv } from './support/ggufFile.ts';

const u32 = (v: number) => Uint8Array.from([v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24]);
const u64 = (v: number) => Uint8Array.from([...u32(v), 0, 0, 0, 0]);
const str = (s: string) => Uint8Array.from([...u64(Buffer.byteLength(s)), ...Buffer.from(s)]);

const EVERY_TYPE: GgufKv[] = [
  { key: 'a.u8', type: 'u8', value: 250 },
  { key: 'a.i8', type: 'i8', value: -7 },
  { key: 'a.u16', type: 'u16', value: 65000 },
  { key: 'a.i16', type: 'i16', value: -30000 },
  { key: 'a.u32', type: 'u32', value: 4_000_000_000 },
  { key: 'a.i32', type: 'i32', value: -2_000_000_000 },
  { key: 'a.f32', type: 'f32', value: 0.5 },
  { key: 'a.bool', type: 'bool', value: true },
  { key: 'a.str', type: 'str', value: 'héllo ▁world' },
  { key: 'a.u64', type: 'u64', value: 2 ** 40 },
  { key: 'a.i64', type: 'i64', value: -(2 ** 40) },
  { key: 'a.f64', type: 'f64', value: Math.PI },
  { key: 'a.strings', type: 'arr', of: 'str', value: ['x', '', 'zz'] },
  { key: 'a.floats', type: 'arr', of: 'f32', value: [1.5, -2] },
  { key: 'a.ints', type: 'arr', of: 'i32', value: [3, -4] },
  // An array of two arrays of u8: [[1, 2], [3]] (written raw: type 9 of type 9).
  { key: 'a.nested', type: 'raw', typeId: 9, bytes: Uint8Array.from([...u32(9), ...u64(2), ...u32(0), ...u64(2), 1, 2, ...u32(0), ...u64(1), 3]) },
  // An array of bools, and a big-number u64 past 2^53 (kept exact as a bigint).
  { key: 'a.bools', type: 'raw', typeId: 9, bytes: Uint8Array.from([...u32(7), ...u64(3), 1, 0, 1]) },
  { key: 'a.huge', type: 'raw', typeId: 10, bytes: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0x80]) },
];

describe('GGUF header', () => {
  it.each([2, 3])('reads every metadata value type (version %i)', (version) => {
    const h = parseGgufHeader(encodeGguf({ version, metadata: EVERY_TYPE }), 'x.gguf');
    expect(h.version).toBe(version);
    const m = Object.fromEntries(h.metadata);
    expect(m).toMatchObject({ 'a.u8': 250, 'a.i8': -7, 'a.u16': 65000, 'a.i16': -30000, 'a.u32': 4_000_000_000, 'a.i32': -2_000_000_000, 'a.f32': 0.5, 'a.bool': true });
    expect(m['a.str']).toBe('héllo ▁world');
    expect(m['a.u64']).toBe(2 ** 40);
    expect(m['a.i64']).toBe(-(2 ** 40));
    expect(m['a.f64']).toBe(Math.PI);
    expect(m['a.strings']).toEqual(['x', '', 'zz']);
    expect(Array.from(m['a.floats'] as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(m['a.ints'] as Int32Array)).toEqual([3, -4]);
    expect((m['a.nested'] as Uint8Array[]).map((a) => Array.from(a))).toEqual([[1, 2], [3]]);
    expect(m['a.bools']).toEqual([true, false, true]);
    expect(m['a.huge']).toBe(0x8000000000000001n);
  });

  it('places tensor data at the next multiple of the alignment, 32 by default or general.alignment', () => {
    const tensor = { name: 't', dims: [8, 2], type: 0, data: new Uint8Array(64).fill(7) };
    for (const alignment of [undefined, 64, 256]) {
      const metadata: GgufKv[] = alignment ? [{ key: 'general.alignment', type: 'u32', value: alignment }] : [];
      const bytes = encodeGguf({ metadata, tensors: [tensor, { ...tensor, name: 'u' }], alignment });
      const h = parseGgufHeader(bytes, 'x.gguf');
      const a = alignment ?? 32;
      expect(h.alignment).toBe(a);
      expect(h.dataOffset % a).toBe(0);
      expect(h.tensors.map((t) => [t.name, t.dims, t.type.name, t.begin - h.dataOffset, t.end - t.begin])).toEqual([
        ['t', [8, 2], 'F32', 0, 64],
        ['u', [8, 2], 'F32', Math.ceil(64 / a) * a, 64],
      ]);
      expect(Array.from(bytes.subarray(h.tensors[1].begin, h.tensors[1].end))).toEqual(new Array(64).fill(7));
    }
  });

  it('sizes quantised tensors by whole blocks', () => {
    const h = parseGgufHeader(encodeGguf({ tensors: [{ name: 'q', dims: [512, 3], type: 12, data: new Uint8Array(2 * 144 * 3) }] }), 'x.gguf');
    expect(h.tensors[0]).toMatchObject({ type: { name: 'Q4_K', blockElements: 256, blockBytes: 144 } });
    expect(h.tensors[0].end - h.tensors[0].begin).toBe(864);
  });

  it('reads a header by ranges, only as far as the header goes', async () => {
    const tokens = Array.from({ length: 40_000 }, (_, i) => `token-${i}`);
    const bytes = encodeGguf({
      metadata: [{ key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: tokens }],
      tensors: [{ name: 'token_embd.weight', dims: [64, 40_000], type: 0, data: new Uint8Array(64 * 40_000 * 4) }],
    });
    const asked: [number, number][] = [];
    const h = await readGgufHeader({ size: bytes.length, read: async (s, e) => (asked.push([s, e]), bytes.slice(s, e)) }, 'x.gguf');
    expect((h.metadata.get('tokenizer.ggml.tokens') as string[]).at(-1)).toBe('token-39999');
    const fetched = asked.reduce((n, [s, e]) => n + e - s, 0);
    // The ranges join up from byte 0, and stop within a doubling of the header's end, far from the 10 MB of data.
    expect(asked[0][0]).toBe(0);
    for (let i = 1; i < asked.length; i++) expect(asked[i][0]).toBe(asked[i - 1][1]);
    expect(fetched).toBeGreaterThanOrEqual(h.dataOffset - 32);
    expect(fetched).toBeLessThan(2 * h.dataOffset + 256 * 1024);
    expect(bytes.length).toBeGreaterThan(10_000_000);
  });

  it('keeps the first of a key written twice, as gguf_find_key does', () => {
    const h = parseGgufHeader(encodeGguf({ metadata: [{ key: 'k', type: 'u32', value: 1 }, { key: 'k', type: 'str', value: 'two' }] }), 'x.gguf');
    expect(h.metadata.get('k')).toBe(1);
  });

  it('reads strings as UTF-8', () => {
    const h = parseGgufHeader(encodeGguf({ metadata: [{ key: 'general.name', type: 'raw', typeId: 8, bytes: str('日本語 🙂') }] }), 'x.gguf');
    expect(h.metadata.get('general.name')).toBe('日本語 🙂');
  });
});

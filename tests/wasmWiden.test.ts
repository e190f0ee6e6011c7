import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { halfToFloatTable } from '../src/embeddings/decodeRows.ts';
import { WasmArena, WIDEN_WASM, widenWasm } from '../src/embeddings/wasmWiden.ts';
import { widenBf16, widenInto } from '../src/embeddings/widenRows.ts';
import { mulberry32 } from '../src/projection/seededRandom.ts';

const WAT = fileURLToPath(new URL('../src/embeddings/widen16.wat', import.meta.url));
const DTYPES = ['F16', 'BF16'] as const;

/** Every 16-bit pattern once (zeros, subnormals, infinities, NaNs, both signs), then random ones. */
function patterns(n: number): Uint16Array {
  const random = mulberry32(11);
  return Uint16Array.from({ length: n }, (_, i) => (i < 65536 ? (i * 40503) & 0xffff : Math.floor(random() * 65536)));
}

/** What each pattern means, decoded the plain way: a shift for bfloat16, the IEEE table for float16. */
function reference(bits: Uint16Array, dtype: 'F16' | 'BF16'): Float32Array {
  const out = new Float32Array(bits.length);
  if (dtype === 'BF16') widenBf16(bits, out);
  else {
    const table = halfToFloatTable();
    for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  }
  return out;
}

/** Equal values, NaN where NaN (payload bits of a NaN are not part of its meaning), -0 distinct from 0. */
function expectSameValues(actual: Float32Array, expected: Float32Array, label: string) {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)))) throw new Error(`${label}: value ${i} is ${a}, expected ${e}`);
  }
}

describe('16-bit float widening in WebAssembly', () => {
  it('is the module compiled from widen16.wat, byte for byte', async () => {
    const wabt = await wabtInit();
    const module = wabt.parseWat('widen16.wat', readFileSync(WAT, 'utf8'), { simd: true });
    expect(Buffer.from(module.toBinary({}).buffer).toString('base64')).toBe(WIDEN_WASM);
    module.destroy();
  });

  for (const dtype of DTYPES) {
    it(`decodes every ${dtype} pattern as the plain decoder does, for every length (SIMD body and scalar tail), in an arena and through the scratch path`, () => {
      for (const n of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 65536 + 13, 300_001]) {
        const bits = patterns(n);
        const expected = reference(bits, dtype);

        const viaScratch = new Float32Array(n);
        expect(widenWasm(bits, dtype, viaScratch)).toBe(true);
        expectSameValues(viaScratch, expected, `${dtype} scratch, n=${n}`);

        const arena = WasmArena.create(n * 6 + 256)!;
        const held = arena.uint16(n);
        held.set(bits);
        const out = arena.float32(n);
        expect(arena.widenWithin(held, dtype, out)).toBe(true);
        expectSameValues(out, expected, `${dtype} arena, n=${n}`);
      }
    });

    it(`widens a sub-range of held ${dtype} rows without touching the values beside it`, async () => {
      const arena = WasmArena.create(4096 * 6 + 256)!;
      const held = arena.uint16(4096);
      held.set(patterns(4096));
      const out = arena.float32(4096).fill(42);
      await widenInto(held.subarray(100, 1100), dtype, out.subarray(5, 1005));
      expectSameValues(out.subarray(5, 1005), reference(held.subarray(100, 1100), dtype), dtype);
      expect([out[4], out[1005]]).toEqual([42, 42]);
    });
  }

  it('refuses arenas beyond the 32-bit address space (the caller falls back to ordinary arrays)', () => {
    expect(WasmArena.create(2 ** 32)).toBeNull();
  });
});

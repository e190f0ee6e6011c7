import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { WasmArena, WIDEN_WASM, widenBf16Wasm } from '../src/embeddings/wasmWiden.ts';
import { widenBf16, widenInto } from '../src/embeddings/widenRows.ts';
import { mulberry32 } from '../src/projection/seededRandom.ts';

const WAT = fileURLToPath(new URL('../src/embeddings/widenBf16.wat', import.meta.url));

/** Every interesting bfloat16 pattern (zeros, subnormals, infinities, NaNs, both signs) plus random ones. */
function bf16Patterns(n: number): Uint16Array {
  const random = mulberry32(11);
  const fixed = [0x0000, 0x8000, 0x0001, 0x807f, 0x3f80, 0xbf80, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0xffff, 0x7f81];
  return Uint16Array.from({ length: n }, (_, i) => (i < fixed.length ? fixed[i] : Math.floor(random() * 65536)));
}

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('bfloat16 widening in WebAssembly', () => {
  it('is the module compiled from widenBf16.wat, byte for byte', async () => {
    const wabt = await wabtInit();
    const module = wabt.parseWat('widenBf16.wat', readFileSync(WAT, 'utf8'), { simd: true });
    expect(Buffer.from(module.toBinary({}).buffer).toString('base64')).toBe(WIDEN_WASM);
    module.destroy();
  });

  it('gives the same bits as the JS shift for every length (SIMD body and scalar tail), in an arena and through the scratch path', () => {
    for (const n of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 65536 + 13, 300_001]) {
      const bits = bf16Patterns(n);
      const expected = new Float32Array(n);
      widenBf16(bits, expected);

      const viaScratch = new Float32Array(n);
      expect(widenBf16Wasm(bits, viaScratch)).toBe(true);
      expect(sameBits(viaScratch, expected), `scratch, n=${n}`).toBe(true);

      const arena = WasmArena.create(n * 6 + 256)!;
      const held = arena.uint16(n);
      held.set(bits);
      const out = arena.float32(n);
      expect(arena.widenWithin(held, out)).toBe(true);
      expect(sameBits(out, expected), `arena, n=${n}`).toBe(true);
    }
  });

  it('widens a sub-range of held rows without touching the values beside it', async () => {
    const arena = WasmArena.create(4096 * 6 + 256)!;
    const held = arena.uint16(4096);
    held.set(bf16Patterns(4096));
    const out = arena.float32(4096).fill(42);
    await widenInto(held.subarray(100, 1100), 'BF16', out.subarray(5, 1005));
    const expected = new Float32Array(1000);
    widenBf16(held.subarray(100, 1100), expected);
    expect(sameBits(out.subarray(5, 1005), expected)).toBe(true);
    expect([out[4], out[1005]]).toEqual([42, 42]);
  });

  it('refuses arenas beyond the 32-bit address space (the caller falls back to ordinary arrays)', () => {
    expect(WasmArena.create(2 ** 32)).toBeNull();
  });
});

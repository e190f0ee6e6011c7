/**
 * Contiguous 16-bit rows (F16 or BF16 bits) to float32, as fast as this runtime allows: these loops run once
 * per PCA pass over a vocabulary held as its stored bytes, so they are on the critical path. WebAssembly SIMD
 * first (wasmWiden.ts); the JS shift (BF16) and onnxruntime's cast (F16) where wasm SIMD is missing.
 */
import { widenHalves } from '../projection/pcaKernels.ts';
import { widenWasm } from './wasmWiden.ts';

/** Elements per onnxruntime cast: its cast slows down several-fold once a chunk outgrows the CPU cache. */
const F16_CHUNK_ELEMENTS = 512 * 1024;

/**
 * bfloat16 is the top half of a float32, so widening is a shift. Reading two values per 32-bit load and
 * writing through an Int32Array view is ~1.5–2× faster in V8 than one `u16 << 16` per element.
 */
export function widenBf16(bits: Uint16Array, out: Float32Array): void {
  const n = bits.length;
  const o = new Int32Array(out.buffer, out.byteOffset, n);
  let i = 0;
  if (bits.byteOffset % 4 === 0) {
    const pairs = new Uint32Array(bits.buffer, bits.byteOffset, n >> 1);
    for (let p = 0, m = pairs.length; p < m; p++, i += 2) {
      const w = pairs[p];
      o[i] = w << 16; // little-endian: the first value is the low half
      o[i + 1] = w & 0xffff0000;
    }
  }
  for (; i < n; i++) o[i] = bits[i] << 16;
}

/** `halves` (F16 or BF16 bits) widened into `out` (same length). */
export async function widenInto(halves: Uint16Array, dtype: 'F16' | 'BF16', out: Float32Array): Promise<void> {
  if (widenWasm(halves, dtype, out)) return;
  if (dtype === 'BF16') {
    widenBf16(halves, out);
    return;
  }
  for (let start = 0; start < halves.length; start += F16_CHUNK_ELEMENTS) {
    const end = Math.min(halves.length, start + F16_CHUNK_ELEMENTS);
    await widenHalves(halves.subarray(start, end), 1, end - start, out.subarray(start, end));
  }
}

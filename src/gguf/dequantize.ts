/**
 * ggml's block formats to float32, following the layouts of ggml-common.h and the reference dequantisers of
 * ggml-quants.c. Each function turns whole blocks: `src` holds n blocks, `out` receives n × block elements.
 * Plain loops over typed arrays, no allocation per block: a 128k × 4096 Q4_K matrix takes a few seconds.
 */
import { TokenscapeError } from '../errors.ts';
import { halfToFloatTable } from '../embeddings/decodeRows.ts';
import { GGML_TYPES, isReadableGgmlType, READABLE_GGML_TYPES, type ReadableGgmlType } from './ggmlTypes.ts';

const H = halfToFloatTable();
const half = (b: Uint8Array, p: number) => H[b[p] | (b[p + 1] << 8)];
const i8 = (v: number) => (v << 24) >> 24;

type Dequantiser = (src: Uint8Array, blocks: number, out: Float32Array) => void;

function f32(src: Uint8Array, n: number, out: Float32Array): void {
  if (src.byteOffset % 4 === 0) out.set(new Float32Array(src.buffer, src.byteOffset, n));
  else out.set(new Float32Array(src.slice(0, n * 4).buffer));
}

function f16(src: Uint8Array, n: number, out: Float32Array): void {
  for (let i = 0, p = 0; i < n; i++, p += 2) out[i] = H[src[p] | (src[p + 1] << 8)];
}

function bf16(src: Uint8Array, n: number, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, n);
  for (let i = 0, p = 0; i < n; i++, p += 2) bits[i] = ((src[p] | (src[p + 1] << 8)) << 16) >>> 0;
}

/** d (f16), then 32 signed bytes. */
function q8_0(src: Uint8Array, blocks: number, out: Float32Array): void {
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 34, o += 32) {
    const d = half(src, p);
    for (let j = 0; j < 32; j++) out[o + j] = d * i8(src[p + 2 + j]);
  }
}

/** d, then 16 bytes: element j in the low nibble of byte j, element j + 16 in its high nibble; offset 8. */
function q4_0(src: Uint8Array, blocks: number, out: Float32Array): void {
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 18, o += 32) {
    const d = half(src, p);
    for (let j = 0; j < 16; j++) {
      const q = src[p + 2 + j];
      out[o + j] = d * ((q & 15) - 8);
      out[o + j + 16] = d * ((q >> 4) - 8);
    }
  }
}

/** d and m, then nibbles as Q4_0, unsigned: x = d q + m. */
function q4_1(src: Uint8Array, blocks: number, out: Float32Array): void {
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 20, o += 32) {
    const d = half(src, p);
    const m = half(src, p + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[p + 4 + j];
      out[o + j] = d * (q & 15) + m;
      out[o + j + 16] = d * (q >> 4) + m;
    }
  }
}

/** d, 32 high bits (bit j for element j), nibbles as Q4_0; offset 16. */
function q5_0(src: Uint8Array, blocks: number, out: Float32Array): void {
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 22, o += 32) {
    const d = half(src, p);
    const qh = (src[p + 2] | (src[p + 3] << 8) | (src[p + 4] << 16) | (src[p + 5] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = src[p + 6 + j];
      out[o + j] = d * (((q & 15) | (((qh >>> j) & 1) << 4)) - 16);
      out[o + j + 16] = d * (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16);
    }
  }
}

/** d, m, 32 high bits, nibbles; unsigned: x = d q + m. */
function q5_1(src: Uint8Array, blocks: number, out: Float32Array): void {
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 24, o += 32) {
    const d = half(src, p);
    const m = half(src, p + 2);
    const qh = (src[p + 4] | (src[p + 5] << 8) | (src[p + 6] << 16) | (src[p + 7] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = src[p + 8 + j];
      out[o + j] = d * ((q & 15) | (((qh >>> j) & 1) << 4)) + m;
      out[o + j + 16] = d * ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) + m;
    }
  }
}

/** scales[16] (4-bit scale, 4-bit min), qs[64] (2-bit), d, dmin. */
function q2_K(src: Uint8Array, blocks: number, out: Float32Array): void {
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 84) {
    const d = half(src, p + 80);
    const dmin = half(src, p + 82);
    let is = 0;
    for (let n = 0; n < 2; n++) {
      const q = p + 16 + n * 32;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half16 = 0; half16 < 32; half16 += 16) {
          const sc = src[p + is++];
          const dl = d * (sc & 15);
          const ml = dmin * (sc >> 4);
          for (let l = 0; l < 16; l++) out[o++] = dl * ((src[q + half16 + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

/** hmask[32], qs[64] (2-bit), scales[12] (16 packed 6-bit scales, offset 32), d. A clear hmask bit subtracts 4. */
function q3_K(src: Uint8Array, blocks: number, out: Float32Array): void {
  const scales = new Int8Array(16);
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 110) {
    const dAll = half(src, p + 108);
    const s = p + 96;
    for (let k = 0; k < 16; k++) {
      const low = k < 8 ? src[s + k] & 15 : src[s + k - 8] >> 4;
      const high = (src[s + 8 + (k & 3)] >> (2 * (k >> 2))) & 3;
      scales[k] = (low | (high << 4)) - 32;
    }
    let is = 0;
    let m = 1;
    for (let n = 0; n < 2; n++) {
      const q = p + 32 + n * 32;
      for (let shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (let half16 = 0; half16 < 32; half16 += 16) {
          const dl = dAll * scales[is++];
          for (let l = 0; l < 16; l++) {
            const i = half16 + l;
            out[o++] = dl * (((src[q + i] >> shift) & 3) - (src[p + i] & m ? 0 : 4));
          }
        }
      }
    }
  }
}

/**
 * The eight 6-bit (scale, min) pairs of a K-quant super-block (get_scale_min_k4), times d and dmin: pair j
 * goes to sm[2j] (d × scale) and sm[2j + 1] (dmin × min).
 */
function scalesMinsK4(src: Uint8Array, s: number, d: number, dmin: number, sm: Float32Array): void {
  for (let j = 0; j < 8; j++) {
    let sc: number;
    let m: number;
    if (j < 4) {
      sc = src[s + j] & 63;
      m = src[s + j + 4] & 63;
    } else {
      sc = (src[s + j + 4] & 15) | ((src[s + j - 4] >> 6) << 4);
      m = (src[s + j + 4] >> 4) | ((src[s + j] >> 6) << 4);
    }
    sm[2 * j] = d * sc;
    sm[2 * j + 1] = dmin * m;
  }
}

/** d, dmin, scales[12] (eight 6-bit scale/min pairs), qs[128]: 64-element groups, low nibbles then high. */
function q4_K(src: Uint8Array, blocks: number, out: Float32Array): void {
  const sm = new Float32Array(16);
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 144) {
    scalesMinsK4(src, p + 4, half(src, p), half(src, p + 2), sm);
    for (let g = 0; g < 4; g++, o += 64) {
      const q = p + 16 + g * 32;
      const d1 = sm[4 * g], m1 = sm[4 * g + 1], d2 = sm[4 * g + 2], m2 = sm[4 * g + 3];
      for (let l = 0; l < 32; l++) {
        const v = src[q + l];
        out[o + l] = d1 * (v & 15) - m1;
        out[o + 32 + l] = d2 * (v >> 4) - m2;
      }
    }
  }
}

/** d, dmin, scales[12], qh[32] (fifth bits), qs[128]. */
function q5_K(src: Uint8Array, blocks: number, out: Float32Array): void {
  const sm = new Float32Array(16);
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 176) {
    scalesMinsK4(src, p + 4, half(src, p), half(src, p + 2), sm);
    const qh = p + 16;
    for (let g = 0; g < 4; g++, o += 64) {
      const q = p + 48 + g * 32;
      const u1 = 1 << (2 * g), u2 = 2 << (2 * g);
      const d1 = sm[4 * g], m1 = sm[4 * g + 1], d2 = sm[4 * g + 2], m2 = sm[4 * g + 3];
      for (let l = 0; l < 32; l++) {
        const v = src[q + l];
        const h = src[qh + l];
        out[o + l] = d1 * ((v & 15) + (h & u1 ? 16 : 0)) - m1;
        out[o + 32 + l] = d2 * ((v >> 4) + (h & u2 ? 16 : 0)) - m2;
      }
    }
  }
}

/** ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d; offset 32. */
function q6_K(src: Uint8Array, blocks: number, out: Float32Array): void {
  const scaled = new Float32Array(16);
  for (let b = 0, p = 0, o = 0; b < blocks; b++, p += 210) {
    const d = half(src, p + 208);
    for (let k = 0; k < 16; k++) scaled[k] = d * i8(src[p + 192 + k]);
    for (let n = 0; n < 2; n++) {
      const ql = p + n * 64;
      const qh = p + 128 + n * 32;
      const y = o + n * 128;
      for (let l = 0; l < 32; l++) {
        const is = n * 8 + (l >> 4);
        const h = src[qh + l];
        const lo = src[ql + l];
        const hi = src[ql + l + 32];
        out[y + l] = scaled[is] * (((lo & 15) | ((h & 3) << 4)) - 32);
        out[y + l + 32] = scaled[is + 2] * (((hi & 15) | (((h >> 2) & 3) << 4)) - 32);
        out[y + l + 64] = scaled[is + 4] * (((lo >> 4) | (((h >> 4) & 3) << 4)) - 32);
        out[y + l + 96] = scaled[is + 6] * (((hi >> 4) | (((h >> 6) & 3) << 4)) - 32);
      }
    }
    o += 256;
  }
}

const TYPE_BY_NAME = new Map([...GGML_TYPES.values()].map((t) => [t.name, t]));

const DEQUANTISERS: Record<ReadableGgmlType, Dequantiser> = {
  F32: f32,
  F16: f16,
  BF16: bf16,
  Q8_0: q8_0,
  Q4_0: q4_0,
  Q4_1: q4_1,
  Q5_0: q5_0,
  Q5_1: q5_1,
  Q2_K: q2_K,
  Q3_K: q3_K,
  Q4_K: q4_K,
  Q5_K: q5_K,
  Q6_K: q6_K,
};

/** The error for a tensor stored in a type Tokenscape does not turn into floats. */
export function unreadableTypeError(typeName: string, tensor: string, file: string): TokenscapeError {
  return new TokenscapeError(`The tensor ${tensor} of ${file} is stored as ${typeName}, which Tokenscape does not dequantise.`, {
    file,
    field: tensor,
    hint: `Readable types: ${READABLE_GGML_TYPES.join(', ')}. Pick another quantisation of the model (e.g. a Q4_K_M or Q8_0 file of the same repo).`,
  });
}

/**
 * Turns `src` (whole blocks of ggml type `typeName`) into float32 values in `out`, which must hold
 * exactly as many values as the blocks do.
 */
export function dequantize(typeName: string, src: Uint8Array, out: Float32Array): void {
  if (!isReadableGgmlType(typeName)) throw new TokenscapeError(`Tokenscape does not dequantise ${typeName}.`);
  const type = TYPE_BY_NAME.get(typeName)!;
  const blocks = src.length / type.blockBytes;
  if (!Number.isInteger(blocks) || out.length !== blocks * type.blockElements) {
    throw new RangeError(`dequantize ${typeName}: ${src.length} bytes do not make ${out.length} values`);
  }
  DEQUANTISERS[typeName](src, blocks, out);
}

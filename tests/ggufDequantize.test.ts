/**
 * Every GGUF block type Tokenscape reads, checked against values computed here from first principles: the
 * test writes blocks with known scales and quants following the layouts of ggml-common.h, and states each
 * element's value by a per-element formula, independently of the dequantiser's loops.
 */
import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../scripts/loopback-hub/fixtureMirror.ts';
import { dequantize } from '../src/gguf/dequantize.ts';
import { mulberry32 } from '../src/projection/seededRandom.ts';

const random = mulberry32(2024);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
/** A scale exactly representable in float16, so the expected value needs no rounding model. */
const scale = () => {
  const bits = f32ToF16Bits((random() * 2 - 1) * 0.05);
  return { bits, value: f16BitsToF32(bits) };
};

interface Block {
  bytes: Uint8Array;
  values: number[];
}

class Writer {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  u16(at: number, v: number) {
    this.bytes[at] = v & 0xff;
    this.bytes[at + 1] = v >> 8;
  }
  orBits(at: number, bit: number) {
    this.bytes[at + (bit >> 3)] |= 1 << (bit & 7);
  }
}

/** Q8_0: d, then 32 signed bytes; x = d q. */
function q8_0(): Block {
  const w = new Writer(34);
  const d = scale();
  w.u16(0, d.bits);
  const values: number[] = [];
  for (let e = 0; e < 32; e++) {
    const q = int(-128, 127);
    w.bytes[2 + e] = q & 0xff;
    values.push(d.value * q);
  }
  return { bytes: w.bytes, values };
}

/** Q4_0 and Q4_1: 32 four-bit quants, element e < 16 in the low nibble of byte e, e ≥ 16 in the high nibble of byte e − 16. */
function q4(withMin: boolean): Block {
  const w = new Writer(withMin ? 20 : 18);
  const d = scale();
  const m = scale();
  w.u16(0, d.bits);
  if (withMin) w.u16(2, m.bits);
  const qs = withMin ? 4 : 2;
  const values: number[] = [];
  for (let e = 0; e < 32; e++) {
    const q = int(0, 15);
    w.bytes[qs + (e % 16)] |= e < 16 ? q : q << 4;
    values.push(withMin ? d.value * q + m.value : d.value * (q - 8));
  }
  return { bytes: w.bytes, values };
}

/** Q5_0 and Q5_1: as Q4 plus a 32-bit word whose bit e is the fifth bit of element e. */
function q5(withMin: boolean): Block {
  const w = new Writer(withMin ? 24 : 22);
  const d = scale();
  const m = scale();
  w.u16(0, d.bits);
  if (withMin) w.u16(2, m.bits);
  const qh = withMin ? 4 : 2;
  const values: number[] = [];
  for (let e = 0; e < 32; e++) {
    const q = int(0, 31);
    w.bytes[qh + 4 + (e % 16)] |= e < 16 ? q & 15 : (q & 15) << 4;
    if (q & 16) w.orBits(qh, e);
    values.push(withMin ? d.value * q + m.value : d.value * (q - 16));
  }
  return { bytes: w.bytes, values };
}

/**
 * Where element e (0..255) of a 2-bit K-quant plane lives: half h = e / 128, plane j = (e mod 128) / 32, lane
 * l = e mod 32; its two bits are bits 2j..2j+1 of qs[32h + l].
 */
const plane = (e: number) => ({ h: e >> 7, j: (e & 127) >> 5, l: e & 31 });

/** Q2_K: scales[16] (scale | min << 4, one pair per 16 elements), qs[64], d, dmin; x = d sc q − dmin min. */
function q2_K(): Block {
  const w = new Writer(84);
  const d = scale();
  const dmin = scale();
  w.u16(80, d.bits);
  w.u16(82, dmin.bits);
  const sc = Array.from({ length: 16 }, () => int(0, 15));
  const mn = Array.from({ length: 16 }, () => int(0, 15));
  sc.forEach((s, i) => (w.bytes[i] = s | (mn[i] << 4)));
  const values: number[] = [];
  for (let e = 0; e < 256; e++) {
    const q = int(0, 3);
    const { h, j, l } = plane(e);
    w.bytes[16 + 32 * h + l] |= q << (2 * j);
    values.push(d.value * sc[e >> 4] * q - dmin.value * mn[e >> 4]);
  }
  return { bytes: w.bytes, values };
}

/**
 * Q3_K: hmask[32], qs[64], scales[12], d. A 3-bit quant q: its low two bits as in Q2_K, its third bit is bit
 * 4h + j of hmask[l]; x = d (s − 32)(q − 4) with 16 six-bit scales s, one per 16 elements, packed as: low four
 * bits of scale k in the low (k < 8) or high (k ≥ 8) nibble of byte k mod 8, high two bits at bit 2⌊k/4⌋ of byte 8 + k mod 4.
 */
function q3_K(): Block {
  const w = new Writer(110);
  const d = scale();
  w.u16(108, d.bits);
  const s = Array.from({ length: 16 }, () => int(0, 63));
  s.forEach((v, k) => {
    w.bytes[96 + (k % 8)] |= k < 8 ? v & 15 : (v & 15) << 4;
    w.bytes[96 + 8 + (k % 4)] |= (v >> 4) << (2 * Math.floor(k / 4));
  });
  const values: number[] = [];
  for (let e = 0; e < 256; e++) {
    const q = int(0, 7);
    const { h, j, l } = plane(e);
    w.bytes[32 + 32 * h + l] |= (q & 3) << (2 * j);
    if (q & 4) w.bytes[l] |= 1 << (4 * h + j);
    values.push(d.value * (s[e >> 4] - 32) * (q - 4));
  }
  return { bytes: w.bytes, values };
}

/**
 * The 12 scale bytes of Q4_K / Q5_K: eight 6-bit (scale, min) pairs. Pair j < 4: scale in the low six bits of
 * byte j, min in those of byte j + 4. Pair j ≥ 4: low nibbles in byte j + 4 (scale low, min high), top two bits
 * in the top bits of byte j − 4 (scale) and byte j (min).
 */
function kScales(w: Writer, at: number, sc: number[], mn: number[]) {
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      w.bytes[at + j] |= sc[j];
      w.bytes[at + j + 4] |= mn[j];
    } else {
      w.bytes[at + j + 4] |= (sc[j] & 15) | ((mn[j] & 15) << 4);
      w.bytes[at + j - 4] |= (sc[j] >> 4) << 6;
      w.bytes[at + j] |= (mn[j] >> 4) << 6;
    }
  }
}

/**
 * Q4_K (d, dmin, scales[12], qs[128]) and Q5_K (… qh[32] before qs): eight groups of 32 elements; chunk c = e / 64
 * holds two groups in the low and high nibbles of qs[32c .. 32c + 31]; Q5_K's fifth bit of element e is bit
 * 2c + (e mod 64 ≥ 32) of qh[e mod 32]. x = d sc q − dmin min.
 */
function qK(fiveBits: boolean): Block {
  const w = new Writer(fiveBits ? 176 : 144);
  const d = scale();
  const dmin = scale();
  w.u16(0, d.bits);
  w.u16(2, dmin.bits);
  const sc = Array.from({ length: 8 }, () => int(0, 63));
  const mn = Array.from({ length: 8 }, () => int(0, 63));
  kScales(w, 4, sc, mn);
  const qs = fiveBits ? 48 : 16;
  const values: number[] = [];
  for (let e = 0; e < 256; e++) {
    const q = int(0, fiveBits ? 31 : 15);
    const c = e >> 6;
    const upper = (e & 63) >= 32;
    w.bytes[qs + 32 * c + (e & 31)] |= upper ? (q & 15) << 4 : q & 15;
    if (q & 16) w.bytes[16 + (e & 31)] |= 1 << (2 * c + (upper ? 1 : 0));
    values.push(d.value * sc[e >> 5] * q - dmin.value * mn[e >> 5]);
  }
  return { bytes: w.bytes, values };
}

/**
 * Q6_K: ql[128], qh[64], scales[16] (int8), d. Element e: half h, quarter k = (e mod 128) / 32, lane l; its low
 * four bits are the low (k < 2) or high (k ≥ 2) nibble of ql[64h + l + 32 (k mod 2)], its top two bits are bits
 * 2k..2k+1 of qh[32h + l]. x = d scale[e / 16] (q − 32).
 */
function q6_K(): Block {
  const w = new Writer(210);
  const d = scale();
  w.u16(208, d.bits);
  const s = Array.from({ length: 16 }, () => int(-128, 127));
  s.forEach((v, i) => (w.bytes[192 + i] = v & 0xff));
  const values: number[] = [];
  for (let e = 0; e < 256; e++) {
    const q = int(0, 63);
    const h = e >> 7;
    const k = (e & 127) >> 5;
    const l = e & 31;
    w.bytes[64 * h + l + 32 * (k % 2)] |= k < 2 ? q & 15 : (q & 15) << 4;
    w.bytes[128 + 32 * h + l] |= (q >> 4) << (2 * k);
    values.push(d.value * s[e >> 4] * (q - 32));
  }
  return { bytes: w.bytes, values };
}

function plain(type: 'F32' | 'F16' | 'BF16'): Block {
  const values = Array.from({ length: 8 }, () => (random() * 2 - 1) * 3);
  if (type === 'F32') return { bytes: new Uint8Array(Float32Array.from(values).buffer), values: Array.from(Float32Array.from(values)) };
  const bits = Uint16Array.from(values, type === 'F16' ? f32ToF16Bits : f32ToBf16Bits);
  const exact = Array.from(bits, (b) => (type === 'F16' ? f16BitsToF32(b) : new Float32Array(new Uint32Array([b << 16]).buffer)[0]));
  return { bytes: new Uint8Array(bits.buffer), values: exact };
}

const BLOCKS: Record<string, () => Block> = {
  F32: () => plain('F32'),
  F16: () => plain('F16'),
  BF16: () => plain('BF16'),
  Q8_0: q8_0,
  Q4_0: () => q4(false),
  Q4_1: () => q4(true),
  Q5_0: () => q5(false),
  Q5_1: () => q5(true),
  Q2_K: q2_K,
  Q3_K: q3_K,
  Q4_K: () => qK(false),
  Q5_K: () => qK(true),
  Q6_K: q6_K,
};

describe('GGUF dequantisation', () => {
  it.each(Object.keys(BLOCKS))('%s: three consecutive blocks give the values their scales and quants define', (type) => {
    const blocks = [BLOCKS[type](), BLOCKS[type](), BLOCKS[type]()];
    const bytes = new Uint8Array(blocks.reduce((n, b) => n + b.bytes.length, 0));
    let at = 0;
    for (const b of blocks) {
      bytes.set(b.bytes, at);
      at += b.bytes.length;
    }
    const expected = blocks.flatMap((b) => b.values);
    const out = new Float32Array(expected.length);
    // Read from an odd offset too: blocks in a file are not aligned to anything.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    dequantize(type, shifted.subarray(1), out);
    const largest = Math.max(...expected.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
    expect(worst).toBeLessThanOrEqual(largest * 2e-7);
    expect(expected.some((v) => v !== 0)).toBe(true);
  });

  it('refuses types it does not read, by name', () => {
    expect(() => dequantize('IQ2_XXS', new Uint8Array(66), new Float32Array(256))).toThrow(/IQ2_XXS/);
  });
});

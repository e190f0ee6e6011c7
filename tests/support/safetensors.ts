/** Writes small safetensors files for tests (the format: u64 header length, JSON header, packed data). */
import { writeFileSync } from 'node:fs';

export interface TensorSpec {
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  /** Values as float32; converted to the dtype. */
  values: Float32Array;
}

function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const m = (mantissa | 0x800000) >>> (1 - exponent);
    return sign | ((m + 0x1000) >>> 13);
  }
  return sign | ((exponent << 10) + ((mantissa + 0x1000) >>> 13));
}

export function encodeSafetensors(tensors: Record<string, TensorSpec>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    let data: Uint8Array;
    if (t.dtype === 'F32') data = new Uint8Array(Float32Array.from(t.values).buffer);
    else if (t.dtype === 'F16') data = new Uint8Array(Uint16Array.from(t.values, toHalf).buffer);
    else data = new Uint8Array(Uint16Array.from(new Uint32Array(Float32Array.from(t.values).buffer), (b) => b >>> 16).buffer);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + data.length] };
    parts.push(data);
    offset += data.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function writeSafetensors(path: string, tensors: Record<string, TensorSpec>): void {
  writeFileSync(path, encodeSafetensors(tensors));
}

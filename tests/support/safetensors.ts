/** Writes small safetensors files for tests (the format: u64 header length, JSON header, packed data). */
import { writeFileSync } from 'node:fs';
import { f32ToBf16Bits, f32ToF16Bits } from '../../scripts/loopback-hub/fixtureMirror.ts';

export interface TensorSpec {
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  /** Values as float32; converted to the dtype. */
  values: Float32Array;
}

export function encodeSafetensors(tensors: Record<string, TensorSpec>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    let data: Uint8Array;
    if (t.dtype === 'F32') data = new Uint8Array(Float32Array.from(t.values).buffer);
    else data = new Uint8Array(Uint16Array.from(t.values, t.dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits).buffer);
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

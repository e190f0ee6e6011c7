import {
  EXHIBIT_FORMAT_VERSION,
  EXHIBIT_HEADER_BYTES,
  EXHIBIT_MAGIC,
  TokenFlag,
  crc32,
  pieceFromText,
} from './format.ts';
import { TokenStreamWriter } from './tokenStream.ts';

export interface ExhibitPointInput {
  ids: Uint32Array;
  /** x0,y0,z0,x1,... in full precision. */
  positions: Float64Array | Float32Array;
  counts: Uint32Array;
  texts: string[];
  pieces: string[];
  special: boolean[];
  byteToken: boolean[];
}

/** Serialises points into the exhibit format (docs/format.md). Ids must be strictly ascending. */
export function encodeExhibit(input: ExhibitPointInput): Uint8Array {
  const n = input.ids.length;
  const min: number[] = [Infinity, Infinity, Infinity];
  const max: number[] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n * 3; i++) {
    const v = input.positions[i];
    const a = i % 3;
    if (v < min[a]) min[a] = v;
    if (v > max[a]) max[a] = v;
  }
  for (let a = 0; a < 3; a++) {
    if (n === 0) min[a] = max[a] = 0;
    // Store the box as float32 and quantise against exactly what the reader will see.
    min[a] = Math.fround(min[a]);
    max[a] = Math.fround(max[a]);
  }

  const stream = new TokenStreamWriter();
  const tail = stream.bytes;

  const flags = new Uint8Array(n);
  let previous = -1;
  for (let i = 0; i < n; i++) {
    const id = input.ids[i];
    if (id <= previous) throw new Error(`encodeExhibit: ids must be strictly ascending (id ${id} after ${previous})`);
    stream.varint(previous < 0 ? id : id - previous);
    previous = id;
    stream.varint(input.counts[i]);
    stream.string(input.texts[i]);
    let f = 0;
    if (input.special[i]) f |= TokenFlag.special;
    if (input.byteToken[i]) f |= TokenFlag.byte;
    if (pieceFromText(input.texts[i]) !== input.pieces[i]) {
      f |= TokenFlag.explicitPiece;
      stream.string(input.pieces[i]);
    }
    flags[i] = f;
  }

  const bodyLength = n * 6 + n + tail.length;
  const out = new Uint8Array(EXHIBIT_HEADER_BYTES + bodyLength + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = EXHIBIT_MAGIC.charCodeAt(i);
  view.setUint16(4, EXHIBIT_FORMAT_VERSION, true);
  view.setUint32(8, n, true);
  for (let a = 0; a < 3; a++) {
    view.setFloat32(12 + 4 * a, min[a], true);
    view.setFloat32(24 + 4 * a, max[a], true);
  }
  view.setUint32(36, bodyLength, true);
  let offset = EXHIBIT_HEADER_BYTES;
  for (let i = 0; i < n * 3; i++) {
    const a = i % 3;
    const span = max[a] - min[a];
    const q = span > 0 ? Math.round(((input.positions[i] - min[a]) / span) * 65535) : 0;
    view.setUint16(offset, Math.min(65535, Math.max(0, q)), true);
    offset += 2;
  }
  out.set(flags, offset);
  offset += n;
  out.set(tail, offset);
  offset += tail.length;
  view.setUint32(offset, crc32(out.subarray(0, offset)), true);
  return out;
}

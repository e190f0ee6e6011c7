import { TokenFlag, pieceFromText } from './format.ts';
import { TokenStreamWriter } from './tokenStream.ts';
import { sealFrame } from './binaryFile.ts';
import { NEIGHBORS_FORMAT_VERSION, NEIGHBORS_HEADER_BYTES, NEIGHBORS_MAGIC, SIMILARITY_SCALE } from './readNeighbors.ts';

export interface NeighborsInput {
  k: number;
  /** Number of points on the map. */
  count: number;
  /** count·k references (see ExhibitNeighbors.refs). */
  refs: Uint32Array;
  similarities: Float32Array | Float64Array;
  extra: { ids: Uint32Array; texts: string[]; pieces: string[]; special: boolean[]; byteToken: boolean[] };
}

/** Serialises neighbours into neighbors.bin (docs/format.md). */
export function encodeNeighbors(input: NeighborsInput): Uint8Array {
  const { k, count, refs, similarities, extra } = input;
  const m = extra.ids.length;
  if (refs.length !== count * k || similarities.length !== count * k) throw new Error('encodeNeighbors: refs/similarities must hold count·k entries');
  const refBytes = count + m <= 0x10000 ? 2 : 4;
  const stream = new TokenStreamWriter();
  const tail = stream.bytes;
  const flags = new Uint8Array(m);
  for (let j = 0; j < m; j++) {
    let f = 0;
    if (extra.special[j]) f |= TokenFlag.special;
    if (extra.byteToken[j]) f |= TokenFlag.byte;
    stream.string(extra.texts[j]);
    if (pieceFromText(extra.texts[j]) !== extra.pieces[j]) {
      f |= TokenFlag.explicitPiece;
      stream.string(extra.pieces[j]);
    }
    flags[j] = f;
  }
  const bodyLength = count * k * (refBytes + 2) + m * 5 + tail.length;
  const out = new Uint8Array(NEIGHBORS_HEADER_BYTES + bodyLength + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = NEIGHBORS_MAGIC.charCodeAt(i);
  view.setUint16(4, NEIGHBORS_FORMAT_VERSION, true);
  view.setUint16(6, k, true);
  view.setUint32(8, count, true);
  view.setUint32(12, m, true);
  view.setUint8(16, refBytes);
  view.setUint32(20, bodyLength, true);
  let offset = NEIGHBORS_HEADER_BYTES;
  for (let i = 0; i < refs.length; i++, offset += refBytes) {
    if (refs[i] >= count + m) throw new Error(`encodeNeighbors: reference ${refs[i]} out of range`);
    if (refBytes === 2) view.setUint16(offset, refs[i], true);
    else view.setUint32(offset, refs[i], true);
  }
  for (let i = 0; i < similarities.length; i++, offset += 2) {
    const q = Math.round(similarities[i] * SIMILARITY_SCALE);
    view.setInt16(offset, Math.max(-SIMILARITY_SCALE, Math.min(SIMILARITY_SCALE, q)), true);
  }
  for (let j = 0; j < m; j++, offset += 4) {
    if (j > 0 && extra.ids[j] <= extra.ids[j - 1]) throw new Error('encodeNeighbors: extra ids must be strictly ascending');
    view.setUint32(offset, extra.ids[j], true);
  }
  out.set(flags, offset);
  offset += m;
  out.set(tail, offset);
  offset += tail.length;
  sealFrame(out, offset);
  return out;
}

/**
 * Decodes neighbors.bin (docs/format.md): each point's k nearest tokens by cosine in the model's full
 * embedding space, searched over the whole vocabulary. Runs in the browser and in Node; throws only
 * ExhibitFormatError.
 */
import { TokenFlag, pieceFromText } from './format.ts';
import { checkFrame, decodeGuarded, failIn } from './binaryFile.ts';
import { tokenStreamReader } from './tokenStream.ts';

export const NEIGHBORS_MAGIC = 'TKNB';
export const NEIGHBORS_FORMAT_VERSION = 1;
export const NEIGHBORS_HEADER_BYTES = 24;
/** Similarities are stored as round(similarity × this) in an int16. */
export const SIMILARITY_SCALE = 32767;

export interface ExhibitNeighbors {
  /** Points (rows of points.bin). */
  count: number;
  k: number;
  /**
   * n·k references, nearest first: a value < count is the index of a point on this map; count + j is
   * entry j of `extra` (a token of the vocabulary that is not on this map).
   */
  refs: Uint32Array;
  /** n·k cosine similarities, parallel to refs (quantised to 1/32767). */
  similarities: Float32Array;
  /** Neighbours that are not on the map, so they can still be named. Ids ascending. */
  extra: { ids: Uint32Array; texts: string[]; pieces: string[]; flags: Uint8Array };
}

const FILE = 'neighbors.bin';

export function readNeighbors(bytes: ArrayBuffer | Uint8Array, expectedPointCount: number): ExhibitNeighbors {
  return decodeGuarded(FILE, bytes, (b) => decode(b, expectedPointCount));
}

function decode(bytes: Uint8Array, expectedPointCount: number): ExhibitNeighbors {
  const fail = failIn(FILE);
  const view = checkFrame(FILE, bytes, NEIGHBORS_MAGIC, NEIGHBORS_FORMAT_VERSION, NEIGHBORS_HEADER_BYTES, 20);
  const k = view.getUint16(6, true);
  const count = view.getUint32(8, true);
  const m = view.getUint32(12, true);
  const refBytes = view.getUint8(16);
  if (count !== expectedPointCount) fail(`it has neighbours for ${count} points, the map has ${expectedPointCount}`);
  if (refBytes !== 2 && refBytes !== 4) fail(`references of ${refBytes} bytes`);
  if (refBytes === 2 && count + m > 0x10000) fail('two-byte references cannot address every token');
  const end = bytes.length - 4;
  const fixed = count * k * (refBytes + 2) + m * 5;
  if (NEIGHBORS_HEADER_BYTES + fixed > end) fail(`${count} × ${k} neighbours and ${m} extra tokens cannot fit in ${end} bytes`);

  let offset = NEIGHBORS_HEADER_BYTES;
  const total = count * k;
  const refs = new Uint32Array(total);
  for (let i = 0; i < total; i++, offset += refBytes) {
    const r = refBytes === 2 ? view.getUint16(offset, true) : view.getUint32(offset, true);
    if (r >= count + m) fail(`neighbour ${i % k} of point ${Math.floor(i / k)} refers to token ${r} of ${count + m}`);
    refs[i] = r;
  }
  const similarities = new Float32Array(total);
  for (let i = 0; i < total; i++, offset += 2) {
    const q = view.getInt16(offset, true);
    if (q < -SIMILARITY_SCALE) fail('a similarity is out of range');
    similarities[i] = q / SIMILARITY_SCALE;
  }
  const ids = new Uint32Array(m);
  for (let j = 0; j < m; j++, offset += 4) {
    ids[j] = view.getUint32(offset, true);
    if (j > 0 && ids[j] <= ids[j - 1]) fail(`extra token ids are not strictly increasing at entry ${j}`);
  }
  const flags = bytes.slice(offset, offset + m);
  offset += m;

  const stream = tokenStreamReader(bytes, offset, end, fail);
  const texts: string[] = new Array(m);
  const pieces: string[] = new Array(m);
  for (let j = 0; j < m; j++) {
    texts[j] = stream.string();
    pieces[j] = flags[j] & TokenFlag.explicitPiece ? stream.string() : pieceFromText(texts[j]);
  }
  if (stream.offset !== end) fail(`${end - stream.offset} unexpected bytes after the last extra token`);
  return { count, k, refs, similarities, extra: { ids, texts, pieces, flags } };
}

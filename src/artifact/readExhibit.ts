/**
 * Decodes an exhibit file. Runs in the browser and in Node; it never throws anything but
 * ExhibitFormatError, so a truncated or corrupted download becomes a message, not a crash.
 */
import { tokenStreamReader } from './tokenStream.ts';
import {
  EXHIBIT_FORMAT_VERSION,
  EXHIBIT_HEADER_BYTES,
  EXHIBIT_MAGIC,
  TokenFlag,
  crc32,
  pieceFromText,
  type ExhibitPoints,
} from './format.ts';

export class ExhibitFormatError extends Error {
  override name = 'ExhibitFormatError';
}

const fail = (what: string): never => {
  throw new ExhibitFormatError(`Exhibit file is damaged: ${what}.`);
};

export function readExhibit(buffer: ArrayBuffer | Uint8Array): ExhibitPoints {
  try {
    return decode(buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer));
  } catch (error) {
    if (error instanceof ExhibitFormatError) throw error;
    // The promise is "only ExhibitFormatError", whatever the bytes (even an allocation they make fail).
    return fail(`it could not be decoded (${(error as Error)?.message ?? error})`);
  }
}

function decode(bytes: Uint8Array): ExhibitPoints {
  if (bytes.length < EXHIBIT_HEADER_BYTES + 4) fail(`only ${bytes.length} bytes, shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== EXHIBIT_MAGIC) fail('it does not start with the Tokenscape signature (is this an exhibit file?)');
  const version = view.getUint16(4, true);
  if (version !== EXHIBIT_FORMAT_VERSION) {
    fail(`format version ${version}, this reader understands version ${EXHIBIT_FORMAT_VERSION}; rebuild the gallery`);
  }
  const count = view.getUint32(8, true);
  const bodyLength = view.getUint32(36, true);
  const expected = EXHIBIT_HEADER_BYTES + bodyLength + 4;
  if (bytes.length !== expected) fail(`${bytes.length} bytes where the header announces ${expected} (truncated download?)`);
  const storedCrc = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== storedCrc) fail('checksum mismatch');
  // Each point needs at least 6 coordinate bytes, 1 flag byte and 3 one-byte varints.
  if (count * 10 > bodyLength) fail(`${count} points cannot fit in ${bodyLength} bytes`);

  const min: [number, number, number] = [view.getFloat32(12, true), view.getFloat32(16, true), view.getFloat32(20, true)];
  const max: [number, number, number] = [view.getFloat32(24, true), view.getFloat32(28, true), view.getFloat32(32, true)];
  for (let a = 0; a < 3; a++) {
    if (!Number.isFinite(min[a]) || !Number.isFinite(max[a]) || min[a] > max[a]) fail(`the bounding box [${min[a]}, ${max[a]}] is not a range`);
  }
  const positions = new Float32Array(count * 3);
  let offset = EXHIBIT_HEADER_BYTES;
  for (let i = 0; i < count * 3; i++) {
    const axis = i % 3;
    const q = view.getUint16(offset, true);
    offset += 2;
    positions[i] = min[axis] + (q / 65535) * (max[axis] - min[axis]);
  }
  const flags = bytes.slice(offset, offset + count);
  offset += count;

  const end = bytes.length - 4;
  const stream = tokenStreamReader(bytes, offset, end, fail);

  const ids = new Uint32Array(count);
  const counts = new Uint32Array(count);
  const texts: string[] = new Array(count);
  const pieces: string[] = new Array(count);
  let id = -1;
  for (let i = 0; i < count; i++) {
    const delta = stream.varint();
    if (i > 0 && delta === 0) fail(`token ids are not strictly increasing at point ${i}`);
    id = i === 0 ? delta : id + delta;
    if (id > 0xffffffff) fail('a token id is out of range');
    ids[i] = id;
    const n = stream.varint();
    if (n > 0xffffffff) fail(`a count is out of range at point ${i}`);
    counts[i] = n;
    texts[i] = stream.string();
    pieces[i] = flags[i] & TokenFlag.explicitPiece ? stream.string() : pieceFromText(texts[i]);
  }
  if (stream.offset !== end) fail(`${end - stream.offset} unexpected bytes after the last token`);
  return { formatVersion: version, count, ids, positions, counts, flags, texts, pieces, min, max };
}

/**
 * Decodes facets.bin (docs/format.md): per-point facets in points.bin order. Runs in the browser and
 * in Node; throws only ExhibitFormatError.
 */
import { POS_TAGS, SCRIPTS, type ExhibitFacets } from '../facets/facetTypes.ts';
import { checkFrame, decodeGuarded, failIn } from './binaryFile.ts';

export type { ExhibitFacets } from '../facets/facetTypes.ts';
export const FACETS_MAGIC = 'TKFC';
export const FACETS_FORMAT_VERSION = 1;
export const FACETS_HEADER_BYTES = 16;
/** Body bytes per point: norm f32, score f32, length u16, script, wordStart, undertrained, pos u8. */
export const FACETS_BYTES_PER_POINT = 14;

const FILE = 'facets.bin';

export function readFacets(bytes: ArrayBuffer | Uint8Array, expectedPointCount: number): ExhibitFacets {
  return decodeGuarded(FILE, bytes, (b) => decode(b, expectedPointCount));
}

function decode(bytes: Uint8Array, expectedPointCount: number): ExhibitFacets {
  const fail = failIn(FILE);
  const view = checkFrame(FILE, bytes, FACETS_MAGIC, FACETS_FORMAT_VERSION, FACETS_HEADER_BYTES, 12);
  const count = view.getUint32(8, true);
  if (count !== expectedPointCount) fail(`it has facets for ${count} points, the map has ${expectedPointCount}`);
  if (view.getUint32(12, true) !== count * FACETS_BYTES_PER_POINT) fail(`the body does not hold ${count} points`);
  let offset = FACETS_HEADER_BYTES;
  const floats = (what: string, nonNegative: boolean) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++, offset += 4) {
      const v = view.getFloat32(offset, true);
      if (!Number.isFinite(v) || (nonNegative && v < 0)) fail(`${what} of point ${i} is ${v}`);
      out[i] = v;
    }
    return out;
  };
  const norm = floats('the norm', true);
  const undertrainedScore = floats('the under-trained score', false);
  const length = new Uint16Array(count);
  for (let i = 0; i < count; i++, offset += 2) length[i] = view.getUint16(offset, true);
  const bytesOf = (what: string, limit: number) => {
    const out = bytes.slice(offset, offset + count);
    offset += count;
    for (let i = 0; i < count; i++) if (out[i] >= limit) fail(`${what} of point ${i} is ${out[i]}, beyond the ${limit} known values`);
    return out;
  };
  const script = bytesOf('the script', SCRIPTS.length);
  const wordStart = bytesOf('the word-start value', 3);
  const undertrained = bytesOf('the under-trained flag', 2);
  const pos = bytesOf('the part of speech', POS_TAGS.length);
  return { count, length, script, wordStart, norm, undertrainedScore, undertrained, pos };
}

import type { ExhibitFacets } from '../facets/facetTypes.ts';
import { sealFrame } from './binaryFile.ts';
import { FACETS_BYTES_PER_POINT, FACETS_FORMAT_VERSION, FACETS_HEADER_BYTES, FACETS_MAGIC } from './readFacets.ts';

/** Serialises per-point facets into facets.bin (docs/format.md). */
export function encodeFacets(facets: ExhibitFacets): Uint8Array {
  const n = facets.count;
  const bodyLength = n * FACETS_BYTES_PER_POINT;
  const out = new Uint8Array(FACETS_HEADER_BYTES + bodyLength + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = FACETS_MAGIC.charCodeAt(i);
  view.setUint16(4, FACETS_FORMAT_VERSION, true);
  view.setUint32(8, n, true);
  view.setUint32(12, bodyLength, true);
  let offset = FACETS_HEADER_BYTES;
  for (let i = 0; i < n; i++, offset += 4) view.setFloat32(offset, facets.norm[i], true);
  for (let i = 0; i < n; i++, offset += 4) view.setFloat32(offset, facets.undertrainedScore[i], true);
  for (let i = 0; i < n; i++, offset += 2) view.setUint16(offset, Math.min(65535, facets.length[i]), true);
  for (const column of [facets.script, facets.wordStart, facets.undertrained, facets.pos]) {
    out.set(column.subarray(0, n), offset);
    offset += n;
  }
  sealFrame(out, offset);
  return out;
}

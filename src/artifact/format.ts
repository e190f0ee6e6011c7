/**
 * The exhibit file (`points.bin`): one model × corpus map, compact enough for the browser.
 * Layout is documented in docs/format.md; this module is the single source of its constants.
 */

export const EXHIBIT_MAGIC = 'TKSC';
export const EXHIBIT_FORMAT_VERSION = 1;
/** Bytes before the coordinate section. */
export const EXHIBIT_HEADER_BYTES = 48;

/** Per-point flag bits. */
export const TokenFlag = {
  /** A special/control token (`<s>`, `</s>`, added special tokens). */
  special: 1,
  /** A byte-fallback token such as `<0x0A>`. */
  byte: 2,
  /** The raw piece is stored explicitly (it is not derivable from the text). */
  explicitPiece: 4,
} as const;

/** What one exhibit file holds, decoded. Arrays are parallel, sorted by token id. */
export interface ExhibitPoints {
  formatVersion: number;
  count: number;
  /** Token ids, ascending. */
  ids: Uint32Array;
  /** Coordinates as x0,y0,z0,x1,... (dequantised; full precision lives in points.csv). */
  positions: Float32Array;
  /** Occurrences in the corpus (0 for tokens that never occur, e.g. in a full-vocabulary exhibit). */
  counts: Uint32Array;
  flags: Uint8Array;
  /** Decoded, human-readable text of each token (e.g. " Birmingham", "\n"). */
  texts: string[];
  /** The raw vocabulary piece (e.g. "▁Birmingham", "<0x0A>"). */
  pieces: string[];
  /** Bounding box of the unquantised coordinates. */
  min: [number, number, number];
  max: [number, number, number];
}

/** The default piece for a text: SentencePiece marks spaces with U+2581. */
export function pieceFromText(text: string): string {
  return text.replaceAll(' ', '\u2581');
}

/** CRC-32 (IEEE), used to reject corrupted or truncated files before they are drawn. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

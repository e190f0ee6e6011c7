/**
 * The token stream that points.bin and neighbors.bin share (docs/format.md): unsigned LEB128 varints and
 * strings as varint byte length + UTF-8 bytes. One writer and one reader, so both files agree on it.
 */

/** Appends varints and strings to a growing byte list. */
export class TokenStreamWriter {
  readonly bytes: number[] = [];
  private readonly encoder = new TextEncoder();

  varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  string(s: string): void {
    const b = this.encoder.encode(s);
    this.varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]);
  }
}

export interface TokenStreamReader {
  varint(): number;
  string(): string;
  /** Where the next read starts. */
  readonly offset: number;
}

/** Reads `bytes[start, end)`; every number and string is checked against `end`, failing through `fail`. */
export function tokenStreamReader(bytes: Uint8Array, start: number, end: number, fail: (what: string) => never): TokenStreamReader {
  let offset = start;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift > 35) fail('a number is too long');
      if (offset >= end) fail('a number runs past the end of the file');
      const b = bytes[offset++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
  };
  return {
    varint,
    string() {
      const length = varint();
      if (offset + length > end) fail('a token string runs past the end of the file');
      const s = decoder.decode(bytes.subarray(offset, offset + length));
      offset += length;
      return s;
    },
    get offset() {
      return offset;
    },
  };
}

/** neighbors.bin and facets.bin: what the writer stores the reader returns; damaged bytes become one ExhibitFormatError. */
import { describe, expect, it } from 'vitest';
import { crc32 } from '../src/artifact/format.ts';
import { ExhibitFormatError } from '../src/artifact/readExhibit.ts';
import { readFacets } from '../src/artifact/readFacets.ts';
import { readNeighbors } from '../src/artifact/readNeighbors.ts';
import { encodeFacets } from '../src/artifact/writeFacets.ts';
import { encodeNeighbors } from '../src/artifact/writeNeighbors.ts';
import { POS_TAGS, SCRIPTS } from '../src/facets/facetTypes.ts';

const neighbors = (count: number, k: number, extraCount: number) =>
  encodeNeighbors({
    k,
    count,
    refs: Uint32Array.from({ length: count * k }, (_, i) => (i * 7 + 1) % (count + extraCount)),
    similarities: Float32Array.from({ length: count * k }, (_, i) => 1 - (i % k) / k),
    extra: {
      ids: Uint32Array.from({ length: extraCount }, (_, j) => 1000 + j * 3),
      texts: Array.from({ length: extraCount }, (_, j) => (j === 0 ? '<script>alert(1)</script>' : ` tok${j}`)),
      pieces: Array.from({ length: extraCount }, (_, j) => (j === 0 ? '<script>alert(1)</script>' : `Ġtok${j}`)),
      special: Array.from({ length: extraCount }, (_, j) => j === 1),
      byteToken: Array.from({ length: extraCount }, () => false),
    },
  });

const facets = (n: number) =>
  encodeFacets({
    count: n,
    length: Uint16Array.from({ length: n }, (_, i) => i % 9),
    script: Uint8Array.from({ length: n }, (_, i) => i % SCRIPTS.length),
    wordStart: Uint8Array.from({ length: n }, (_, i) => i % 3),
    norm: Float32Array.from({ length: n }, (_, i) => 0.5 + i),
    undertrainedScore: Float32Array.from({ length: n }, (_, i) => -i),
    undertrained: Uint8Array.from({ length: n }, (_, i) => (i === 3 ? 1 : 0)),
    pos: Uint8Array.from({ length: n }, (_, i) => i % POS_TAGS.length),
  });

describe('neighbors.bin', () => {
  it('round-trips references, similarities (to 1/32767) and the extra tokens', () => {
    const decoded = readNeighbors(neighbors(5, 3, 4), 5);
    expect(decoded.k).toBe(3);
    expect(Array.from(decoded.refs)).toEqual(Array.from({ length: 15 }, (_, i) => (i * 7 + 1) % 9));
    decoded.similarities.forEach((s, i) => expect(Math.abs(s - (1 - (i % 3) / 3))).toBeLessThanOrEqual(0.5 / 32767 + 1e-7));
    expect(Array.from(decoded.extra.ids)).toEqual([1000, 1003, 1006, 1009]);
    expect(decoded.extra.texts[0]).toBe('<script>alert(1)</script>');
    expect(decoded.extra.pieces[1]).toBe('Ġtok1');
    expect(decoded.extra.flags[1] & 1).toBe(1);
  });

  it('uses 4-byte references when the map and its extra tokens pass 65536', () => {
    const decoded = readNeighbors(neighbors(70000, 1, 2), 70000);
    expect(decoded.refs[69999]).toBe((69999 * 7 + 1) % 70002);
  });

  it('rejects truncation, a flipped bit, a wrong signature and a map of another size, with ExhibitFormatError only', () => {
    const good = neighbors(6, 2, 3);
    const flipped = good.slice();
    flipped[30] ^= 4;
    const cases: [Uint8Array, number, RegExp][] = [
      [good.subarray(0, good.length - 5), 6, /truncated/],
      [flipped, 6, /checksum/],
      [Uint8Array.from(good, (b, i) => (i === 0 ? 0x58 : b)), 6, /signature/],
      [good, 7, /map has 7/],
      [new Uint8Array(3), 6, /shorter than a header/],
    ];
    for (const [bytes, n, message] of cases) {
      expect(() => readNeighbors(bytes, n)).toThrow(ExhibitFormatError);
      expect(() => readNeighbors(bytes, n)).toThrow(message);
    }
  });
});

describe('facets.bin', () => {
  it('round-trips every facet', () => {
    const decoded = readFacets(facets(40), 40);
    expect(decoded.count).toBe(40);
    expect(decoded.length[10]).toBe(1);
    expect(decoded.script[21]).toBe(21 % SCRIPTS.length);
    expect(decoded.wordStart[5]).toBe(2);
    expect(decoded.norm[2]).toBe(2.5);
    expect(decoded.undertrainedScore[7]).toBe(-7);
    expect(Array.from(decoded.undertrained).indexOf(1)).toBe(3);
    expect(decoded.pos[12]).toBe(12 % POS_TAGS.length);
  });

  it('rejects damage and categories it does not know, with ExhibitFormatError only', () => {
    const good = facets(8);
    const unknownScript = good.slice();
    // A script index past SCRIPTS, with the checksum made right again, so only the category check can catch it.
    const body = unknownScript.subarray(16);
    body[8 * 10] = 250;
    new DataView(unknownScript.buffer).setUint32(unknownScript.length - 4, crc32(unknownScript.subarray(0, unknownScript.length - 4)), true);
    expect(() => readFacets(good.subarray(0, 20), 8)).toThrow(ExhibitFormatError);
    expect(() => readFacets(good, 9)).toThrow(/map has 9/);
    expect(() => readFacets(unknownScript, 8)).toThrow(/script of point 0 is 250/);
  });
});

/** The exhibit file: what the writer stores, the one reader gives back; a damaged file is an error, never garbage. */
import { describe, expect, it } from 'vitest';
import { TokenFlag } from '../src/artifact/format.ts';
import { ExhibitFormatError, readExhibit } from '../src/artifact/readExhibit.ts';
import { encodeExhibit } from '../src/artifact/writeExhibit.ts';

function sample(n: number) {
  const texts = Array.from({ length: n }, (_, i) => [' Birmingham', 'irmingham', '\n', '<script>alert(1)</script>', '给', ''][i % 6]);
  const pieces = texts.map((t, i) => (t === '\n' ? '<0x0A>' : i % 7 === 3 ? `Ġ${t}` : t.replaceAll(' ', '▁')));
  return {
    ids: Uint32Array.from({ length: n }, (_, i) => i * 3 + (i % 2)),
    positions: Float64Array.from({ length: n * 3 }, (_, i) => Math.sin(i) * (1 + (i % 3))),
    counts: Uint32Array.from({ length: n }, (_, i) => (i * 7919) % 100000),
    texts,
    pieces,
    special: texts.map((_, i) => i === 0),
    byteToken: texts.map((t) => t === '\n'),
  };
}

describe('exhibit file', () => {
  it('round-trips ids, counts, token strings and flags exactly, and coordinates within quantisation', () => {
    const input = sample(1000);
    const points = readExhibit(encodeExhibit(input));
    expect(points.count).toBe(1000);
    expect(Array.from(points.ids)).toEqual(Array.from(input.ids));
    expect(Array.from(points.counts)).toEqual(Array.from(input.counts));
    expect(points.texts).toEqual(input.texts);
    expect(points.pieces).toEqual(input.pieces);
    expect(points.flags[0] & TokenFlag.special).toBeTruthy();
    expect(points.flags[2] & TokenFlag.byte).toBeTruthy();
    for (let i = 0; i < input.positions.length; i++) {
      const axis = i % 3;
      const step = (points.max[axis] - points.min[axis]) / 65535;
      expect(Math.abs(points.positions[i] - input.positions[i])).toBeLessThanOrEqual(step);
    }
  });

  it('stays compact: at most 12 bytes per point besides the token text', () => {
    const input = sample(32000);
    const bytes = encodeExhibit(input);
    const textBytes = input.texts.reduce((a, t) => a + new TextEncoder().encode(t).length + 1, 0)
      + input.pieces.reduce((a, p, i) => a + (p === input.texts[i].replaceAll(' ', '▁') ? 0 : new TextEncoder().encode(p).length + 1), 0);
    expect((bytes.length - textBytes) / 32000).toBeLessThanOrEqual(12);
  });

  it('rejects truncated, corrupted and foreign files with an ExhibitFormatError', () => {
    const bytes = encodeExhibit(sample(50));
    expect(() => readExhibit(bytes.subarray(0, bytes.length - 1))).toThrow(ExhibitFormatError);
    expect(() => readExhibit(bytes.subarray(0, 10))).toThrow(/shorter than a header/);
    const flipped = bytes.slice();
    flipped[100] ^= 0x10;
    expect(() => readExhibit(flipped)).toThrow(/checksum/);
    expect(() => readExhibit(new TextEncoder().encode('<!doctype html><html>Not found</html>......................................'))).toThrow(/signature/);
  });

  it('refuses ids that are not strictly ascending when writing', () => {
    const input = sample(3);
    input.ids = Uint32Array.from([5, 5, 6]);
    expect(() => encodeExhibit(input)).toThrow(/strictly ascending/);
  });
});

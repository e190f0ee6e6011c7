/**
 * The exhibit reader against damaged files: random truncations, bit flips, and (with the checksum made
 * right again, so the decoder itself is exercised) flipped fields, lengths and garbage bodies. Whatever
 * the bytes, it must return quickly with either a well-formed result or an ExhibitFormatError.
 * Seeded, so a failure reproduces.
 */
import { describe, expect, it } from 'vitest';
import { crc32, EXHIBIT_HEADER_BYTES, type ExhibitPoints } from '../src/artifact/format.ts';
import { ExhibitFormatError, readExhibit } from '../src/artifact/readExhibit.ts';
import { encodeExhibit } from '../src/artifact/writeExhibit.ts';

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

function validFile(n: number, seed: number): Uint8Array {
  const rng = prng(seed);
  const words = [' the', 'cat', '\n', '<0x0A>', '给', ' Birmingham', '', '"quoted"', '🙂', 'a b c'];
  const texts = Array.from({ length: n }, (_, i) => words[(i * 7 + rng.int(3)) % words.length]);
  let id = rng.int(5);
  return encodeExhibit({
    ids: Uint32Array.from({ length: n }, () => (id += 1 + rng.int(300))),
    positions: Float64Array.from({ length: n * 3 }, () => (rng.next() - 0.5) * 20),
    counts: Uint32Array.from({ length: n }, () => (rng.next() < 0.3 ? 0 : rng.int(1 << 20))),
    texts,
    pieces: texts.map((t, i) => (i % 5 === 0 ? `Ġ${t}` : t.replaceAll(' ', '▁'))),
    special: texts.map((_, i) => i % 11 === 0),
    byteToken: texts.map((t) => t === '<0x0A>'),
  });
}

/** Rewrites the trailing CRC so that only the decoder, not the checksum, stands between the bytes and the result. */
function withCrc(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4) new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

function wellFormed(p: ExhibitPoints) {
  expect(p.ids.length).toBe(p.count);
  expect(p.counts.length).toBe(p.count);
  expect(p.flags.length).toBe(p.count);
  expect(p.texts.length).toBe(p.count);
  expect(p.pieces.length).toBe(p.count);
  expect(p.positions.length).toBe(p.count * 3);
  for (let i = 1; i < p.count; i++) if (p.ids[i] <= p.ids[i - 1]) throw new Error(`ids not ascending at ${i}`);
  for (let i = 0; i < p.positions.length; i++) if (!Number.isFinite(p.positions[i])) throw new Error(`position ${i} is ${p.positions[i]}`);
  for (const s of [...p.texts, ...p.pieces]) if (typeof s !== 'string') throw new Error('a token is not a string');
}

type Outcome = 'ok' | 'rejected';

/** Reads the bytes; anything thrown other than ExhibitFormatError fails the test, with the case named. */
function read(bytes: Uint8Array, label: string): Outcome {
  let points: ExhibitPoints;
  try {
    points = readExhibit(bytes);
  } catch (error) {
    if (error instanceof ExhibitFormatError) {
      expect(error.message).toMatch(/^Exhibit file is damaged: .+\.$/);
      return 'rejected';
    }
    throw new Error(`${label}: threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
  }
  wellFormed(points);
  return 'ok';
}

describe('exhibit reader fuzzing', () => {
  const seeds = [1, 2, 3];
  const files = seeds.map((seed, i) => validFile([1, 40, 300][i], seed));

  it('reads the undamaged files', () => {
    for (const f of files) expect(read(f, 'valid')).toBe('ok');
  });

  it('rejects every truncation and every bit flip (the checksum catches them)', () => {
    const rng = prng(0xdecade);
    let cases = 0;
    for (const file of files) {
      for (let k = 0; k < 600; k++) {
        const cut = rng.int(file.length);
        expect(read(file.subarray(0, cut), `truncated to ${cut}`)).toBe('rejected');
        const flipped = file.slice();
        const bits = 1 + rng.int(8);
        for (let b = 0; b < bits; b++) flipped[rng.int(flipped.length)] ^= 1 << rng.int(8);
        if (Buffer.compare(flipped, file) !== 0) expect(read(flipped, `${bits} bit flips`)).toBe('rejected');
        const longer = new Uint8Array(file.length + 1 + rng.int(16));
        longer.set(file);
        expect(read(longer, 'trailing bytes')).toBe('rejected');
        cases += 3;
      }
    }
    expect(cases).toBeGreaterThanOrEqual(5000);
  });

  it('never misbehaves when the checksum is made to match damaged content', () => {
    const rng = prng(0xfeed);
    const outcomes = { ok: 0, rejected: 0 };
    const started = performance.now();
    for (const file of files) {
      for (let k = 0; k < 800; k++) {
        const bytes = file.slice();
        const mode = k % 5;
        let label: string;
        if (mode === 0) {
          // Bit flips anywhere but the checksum.
          const bits = 1 + rng.int(6);
          for (let b = 0; b < bits; b++) bytes[rng.int(bytes.length - 4)] ^= 1 << rng.int(8);
          label = `${bits} flips, checksum fixed`;
        } else if (mode === 1) {
          // Flips inside the token stream, where varints and string lengths live.
          const count = new DataView(bytes.buffer).getUint32(8, true);
          const tokens = EXHIBIT_HEADER_BYTES + 7 * count;
          for (let b = 0; b < 1 + rng.int(3); b++) bytes[tokens + rng.int(bytes.length - 4 - tokens)] = rng.int(256);
          label = 'token stream bytes replaced';
        } else if (mode === 2) {
          // A header field set to something random: count, bounds, body length.
          const view = new DataView(bytes.buffer);
          const field = [8, 12, 16, 20, 24, 28, 32, 36][rng.int(8)];
          if (field === 8 || field === 36) view.setUint32(field, rng.next() < 0.5 ? rng.int(2 ** 32) : view.getUint32(field, true) + rng.int(9) - 4, true);
          else view.setFloat32(field, [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 0, rng.next() * 100 - 50][rng.int(7)], true);
          label = `header field at ${field} changed`;
        } else if (mode === 3) {
          // A body of random bytes behind a correct header and length.
          for (let i = EXHIBIT_HEADER_BYTES; i < bytes.length - 4; i++) bytes[i] = rng.int(256);
          label = 'random body';
        } else {
          // Cut short, with the announced body length and the checksum adjusted to the cut.
          const cut = EXHIBIT_HEADER_BYTES + 4 + rng.int(bytes.length - EXHIBIT_HEADER_BYTES - 4);
          const short = bytes.slice(0, cut);
          new DataView(short.buffer).setUint32(36, cut - EXHIBIT_HEADER_BYTES - 4, true);
          outcomes[read(withCrc(short), `cut to ${cut} with a consistent header`)]++;
          continue;
        }
        outcomes[read(withCrc(bytes), label)]++;
      }
    }
    // Most damage is caught; what gets through is still a well-formed set of points.
    expect(outcomes.rejected).toBeGreaterThan(outcomes.ok);
    expect(outcomes.ok + outcomes.rejected).toBe(2400);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('rejects foreign and tiny inputs', () => {
    const rng = prng(7);
    for (let k = 0; k < 500; k++) {
      const bytes = new Uint8Array(rng.int(200));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      if (k % 2 === 0 && bytes.length >= 8) bytes.set([0x54, 0x4b, 0x53, 0x43, 1, 0, 0, 0]); // TKSC, version 1
      expect(read(k % 3 === 0 ? withCrc(bytes) : bytes, 'random bytes')).toBe('rejected');
    }
    expect(read(new Uint8Array(0), 'empty')).toBe('rejected');
    expect(read(new ArrayBuffer(60) as unknown as Uint8Array, 'zeros')).toBe('rejected');
  });
});

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ExhibitFormatError } from '../../../src/artifact/readExhibit.ts';
import { encodeExhibit } from '../../../src/artifact/writeExhibit.ts';
import { ExhibitLoadError, describeLoadError, fetchExhibit, normalizePositions } from '../../../src/viewer/data.ts';

const bytes = encodeExhibit({
  ids: Uint32Array.from([1, 5]),
  positions: Float64Array.from([0, 0, 0, 4, 2, 1]),
  counts: Uint32Array.from([3, 0]),
  texts: ['<s>', ' a'],
  pieces: ['<s>', '▁a'],
  special: [true, false],
  byteToken: [false, false],
});
const respond = (body: BodyInit | null, init?: ResponseInit) => (async () => new Response(body, init)) as unknown as typeof fetch;

describe('fetchExhibit', () => {
  it('decodes a good file with the project reader', async () => {
    const p = await fetchExhibit('x', respond(new Uint8Array(bytes)));
    expect(p.count).toBe(2);
    expect(p.texts).toEqual(['<s>', ' a']);
  });
  it('inflates the gzip-compressed copy the site publishes, and reports a damaged one', async () => {
    const p = await fetchExhibit('x', respond(new Uint8Array(gzipSync(bytes))));
    expect(p.count).toBe(2);
    expect(p.pieces).toEqual(['<s>', '▁a']);
    const damaged = new Uint8Array(gzipSync(bytes));
    damaged[12] ^= 0xff;
    await expect(fetchExhibit('x', respond(damaged))).rejects.toThrow(ExhibitFormatError);
    await expect(fetchExhibit('x', respond(damaged.subarray(0, 20)))).rejects.toThrow(ExhibitFormatError);
  });
  it('turns HTTP and network failures into ExhibitLoadError', async () => {
    await expect(fetchExhibit('x', respond('nope', { status: 404, statusText: 'Not Found' }))).rejects.toThrow(ExhibitLoadError);
    await expect(fetchExhibit('x', respond('nope', { status: 404, statusText: 'Not Found' }))).rejects.toThrow(/404/);
    const broken = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    await expect(fetchExhibit('x', broken)).rejects.toThrow(/could not be downloaded \(Failed to fetch\)/);
  });
  it('passes damaged files on as ExhibitFormatError with a readable message', async () => {
    const damaged = new Uint8Array(bytes);
    damaged[damaged.length - 6] ^= 0xff;
    const error = await fetchExhibit('x', respond(damaged)).catch((e) => e);
    expect(error).toBeInstanceOf(ExhibitFormatError);
    expect(describeLoadError(error)).toMatch(/damaged.*reloading/);
    expect(describeLoadError(new ExhibitLoadError('gone'))).toBe('gone');
    expect(describeLoadError('weird')).toMatch(/weird/);
  });
});

describe('normalizePositions', () => {
  it('centres on the box and scales all axes by the largest half-extent', () => {
    const n = normalizePositions(Float32Array.from([0, 0, 0, 4, 2, 1]), [0, 0, 0], [4, 2, 1]);
    expect(n.center).toEqual([2, 1, 0.5]);
    expect(n.scale).toBe(2);
    expect(Array.from(n.positions)).toEqual([-1, -0.5, -0.25, 1, 0.5, 0.25]);
    expect(n.radius).toBeCloseTo(Math.hypot(1, 0.5, 0.25));
    expect(n.fitRadius).toBeCloseTo(n.radius);
  });
  it('copes with a single point', () => {
    const n = normalizePositions(Float32Array.from([3, 3, 3]), [3, 3, 3], [3, 3, 3]);
    expect(Array.from(n.positions)).toEqual([0, 0, 0]);
    expect(n.scale).toBe(1);
    expect(n.radius).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { buildSearchIndex, indexOfId, resolveToken, searchTokens } from '../../../src/viewer/search.ts';

const tokens = [
  { id: 1, text: '<s>', piece: '<s>', count: 0 },
  { id: 13, text: '\n', piece: '<0x0A>', count: 50 },
  { id: 400, text: ' Switzerland', piece: '▁Switzerland', count: 12 },
  { id: 401, text: 'Switzerland', piece: 'Switzerland', count: 3 },
  { id: 500, text: ' switch', piece: '▁switch', count: 90 },
  { id: 600, text: ' Birmingham', piece: '▁Birmingham', count: 7 },
  { id: 601, text: 'irmingham', piece: 'irmingham', count: 70 },
  { id: 700, text: '<img src=x onerror=alert(1)>', piece: '<img src=x onerror=alert(1)>', count: 1 },
  { id: 800, text: ' ', piece: '▁', count: 1000 },
];
const index = buildSearchIndex({
  ids: Uint32Array.from(tokens.map((t) => t.id)),
  counts: Uint32Array.from(tokens.map((t) => t.count)),
  texts: tokens.map((t) => t.text),
  pieces: tokens.map((t) => t.piece),
});
const ids = (indices: number[]) => indices.map((i) => index.ids[i]);

describe('token search', () => {
  it('ranks exact matches first, then case-insensitive, prefix, substring', () => {
    expect(ids(searchTokens(index, 'Switzerland'))).toEqual([401, 400]);
    expect(ids(searchTokens(index, ' Switzerland'))).toEqual([400, 401]);
    expect(ids(searchTokens(index, 'switz'))).toEqual([400, 401]);
    expect(ids(searchTokens(index, 'swi'))).toEqual([500, 400, 401]);
    expect(ids(searchTokens(index, 'irmingham'))).toEqual([601, 600]);
    expect(ids(searchTokens(index, 'mingh'))).toEqual([601, 600]);
  });
  it('matches raw pieces, markup literally, and ids with #', () => {
    expect(ids(searchTokens(index, '<0x0A>'))).toEqual([13]);
    expect(ids(searchTokens(index, '▁Birmingham'))).toEqual([600]);
    expect(ids(searchTokens(index, '<img'))).toEqual([700]);
    expect(ids(searchTokens(index, '#13'))).toEqual([13]);
    expect(ids(searchTokens(index, '#14'))).toEqual([]);
    expect(ids(searchTokens(index, ' '))).toEqual([800]);
    expect(searchTokens(index, '')).toEqual([]);
    expect(searchTokens(index, 'zzz')).toEqual([]);
  });
  it('limits the number of results', () => {
    expect(searchTokens(index, 'i', 2)).toHaveLength(2);
  });
  it('resolves ?token= links exactly or not at all', () => {
    expect(index.ids[resolveToken(index, 'Switzerland')]).toBe(401);
    expect(index.ids[resolveToken(index, ' Switzerland')]).toBe(400);
    expect(index.ids[resolveToken(index, 'birmingham')]).toBe(600);
    expect(index.ids[resolveToken(index, '<s>')]).toBe(1);
    expect(resolveToken(index, 'Switz')).toBe(-1);
    expect(resolveToken(index, 'nothing')).toBe(-1);
  });
  it('finds ids by binary search', () => {
    expect(indexOfId(index.ids, 1)).toBe(0);
    expect(indexOfId(index.ids, 800)).toBe(tokens.length - 1);
    expect(indexOfId(index.ids, 601)).toBe(6);
    expect(indexOfId(index.ids, 2)).toBe(-1);
    expect(indexOfId(new Uint32Array(0), 2)).toBe(-1);
  });
});

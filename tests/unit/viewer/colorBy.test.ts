import { describe, expect, it } from 'vitest';
import { TokenFlag } from '../../../src/artifact/format.ts';
import { SCRIPTS, type ExhibitFacets } from '../../../src/facets/facetTypes.ts';
import { FACETS } from '../../../src/facets/facetTypes.ts';
import { FACET_KEYS, FROM_POINTS, coloringBytes, countColoring, isColorChoice, needsFacets, toggleCategory, visibilityMask, type ColorChoice, type ColoringInput } from '../../../src/viewer/colorBy.ts';
import { facetColoring, type FacetChoice } from '../../../src/viewer/facetColoring.ts';

const coloringFor = (choice: ColorChoice, input: ColoringInput) =>
  choice === 'clip' || choice === 'log' || choice === 'id' ? countColoring(choice, input) : facetColoring(choice as FacetChoice, input);
import { colorValues } from '../../../src/viewer/colorScale.ts';

const points = {
  counts: Uint32Array.from([0, 5, 200, 1]),
  flags: Uint8Array.from([TokenFlag.special, 0, TokenFlag.byte, 0]),
  ids: Uint32Array.from([1, 2, 3, 4]),
};
const latin = SCRIPTS.indexOf('Latin');
const cjk = SCRIPTS.indexOf('CJK');
const facets: ExhibitFacets = {
  count: 4,
  length: Uint16Array.from([3, 1, 10, 4]),
  script: Uint8Array.from([latin, cjk, latin, latin]),
  wordStart: Uint8Array.from([2, 1, 0, 1]),
  norm: Float32Array.from([0.5, 1, 2, 1.5]),
  undertrainedScore: Float32Array.from([0, 0, 0, 1]),
  undertrained: Uint8Array.from([0, 0, 0, 1]),
  pos: Uint8Array.from([10, 0, 10, 1]),
};

describe('colour by', () => {
  it('counts keep the clip/log colouring of colorScale.ts', () => {
    const c = coloringFor('clip', { points, facets: null, clip: 100 });
    expect(c.kind).toBe('numeric');
    if (c.kind === 'numeric') expect([...c.values]).toEqual([...colorValues('clip', points.counts, 100)]);
    const l = coloringFor('log', { points, facets: null, clip: 100 });
    if (l.kind === 'numeric') expect([...l.values]).toEqual([...colorValues('log', points.counts, 100)]);
  });

  it('numeric facets span the palette from their minimum to their maximum, with ticks', () => {
    const c = coloringFor('length', { points, facets, clip: 100 });
    if (c.kind !== 'numeric') throw new Error('numeric expected');
    expect(Array.from(c.values, (v) => Number(v.toFixed(3)))).toEqual([0.222, 0, 1, 0.333]);
    expect(c.ticks.map((t) => t.label)).toEqual(['1', '6', '10']);
  });

  it('categorical facets list the categories present, most populous first, each with its own colour', () => {
    const c = coloringFor('script', { points, facets, clip: 100 });
    if (c.kind !== 'categorical') throw new Error('categorical expected');
    expect(c.categories.map((k) => [k.label, k.count])).toEqual([
      ['Latin', 3],
      ['CJK', 1],
    ]);
    const bytes = coloringBytes(c);
    expect([...bytes.subarray(0, 3)]).toEqual([...bytes.subarray(6, 9)]);
    expect([...bytes.subarray(0, 3)]).not.toEqual([...bytes.subarray(3, 6)]);
  });

  it('byte and special tokens come from the points.bin flags, without facets.bin', () => {
    expect(needsFacets('byte')).toBe(false);
    expect(needsFacets('script')).toBe(true);
    const c = coloringFor('special', { points, facets: null, clip: 100 });
    if (c.kind !== 'categorical') throw new Error('categorical expected');
    expect([...c.category]).toEqual([1, 0, 0, 0]);
    expect(() => coloringFor('norm', { points, facets: null, clip: 100 })).toThrow(/not loaded/);
  });

  it('legend toggles hide and show the points of a category, never all of them', () => {
    const c = coloringFor('script', { points, facets, clip: 100 });
    let hidden = toggleCategory(c, new Set(), cjk);
    expect([...visibilityMask(c, hidden)!]).toEqual([1, 0, 1, 1]);
    hidden = toggleCategory(c, hidden, latin);
    expect([...hidden]).toEqual([cjk]);
    hidden = toggleCategory(c, hidden, cjk);
    expect(visibilityMask(c, hidden)).toBeNull();
  });

  it('lists the same facets as facetTypes.ts (which loads only with the first facet)', () => {
    expect([...FACET_KEYS]).toEqual(FACETS.filter((f) => f.key !== 'count').map((f) => f.key));
    expect([...FROM_POINTS]).toEqual(FACETS.filter((f) => f.source === 'points' && f.key !== 'count').map((f) => f.key));
  });

  it('knows its choices (what the URL may carry)', () => {
    for (const k of ['clip', 'log', 'length', 'script', 'wordStart', 'byte', 'special', 'norm', 'undertrained', 'pos']) expect(isColorChoice(k)).toBe(true);
    expect(isColorChoice('red')).toBe(false);
    expect(isColorChoice('count')).toBe(false);
  });
});

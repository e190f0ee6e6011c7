import { describe, expect, it } from 'vitest';
import { drawnIndices, initialColorChoice, planeColoring, type Coloring } from '../../../src/viewer/colorBy.ts';
import { markings, pointSizeFor, type MarkedPoints } from '../../../src/viewer/pointStyle.ts';
import { buildSearchIndex } from '../../../src/viewer/search.ts';
import { formatUrlState } from '../../../src/viewer/urlState.ts';
import { linkedSelection, urlStateOf, type UrlSources } from '../../../src/viewer/urlSync.ts';

const none: MarkedPoints = { selected: -1, hovered: -1, matches: [], pieces: [], neighbors: [] };
const all = () => true;

describe('what the map marks', () => {
  it('rings matches, neighbours, the hovered point and the selection, the selection drawn last and largest', () => {
    const { rings, chosen } = markings({ selected: 4, hovered: 9, matches: [1, 4], pieces: [2, 1], neighbors: [7, 4] }, 6, all);
    expect(rings.map((r) => r.index)).toEqual([1, 2, 7, 9, 4]);
    expect(Math.max(...rings.map((r) => r.size))).toBe(rings.at(-1)!.size);
    // The 2D views mark the selection, its neighbours and the search's points, not the hover.
    expect(chosen.sort((a, b) => a - b)).toEqual([1, 2, 4, 7]);
  });
  it('marks nothing that the legend hides, and nothing at all when nothing is marked', () => {
    const { rings, chosen } = markings({ ...none, selected: 3, neighbors: [5, 6], matches: [8] }, 4.5, (i) => i !== 6 && i !== 8);
    expect(rings.map((r) => r.index)).toEqual([5, 3]);
    expect(chosen).toEqual([3, 5]);
    expect(markings(none, 6, all)).toEqual({ rings: [], chosen: [] });
  });
  it('draws smaller points for larger exhibits', () => {
    const sizes = [1000, 10000, 32000, 128256].map(pointSizeFor);
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
    expect(new Set(sizes).size).toBe(4);
  });
});

describe('the colouring a page opens with', () => {
  it('takes the link’s choice, except a count scale on a map without counts', () => {
    expect(initialColorChoice(undefined, true)).toBe('clip');
    expect(initialColorChoice('log', true)).toBe('log');
    expect(initialColorChoice('script', false)).toBe('script');
    expect(initialColorChoice('log', false)).toBe('id');
    expect(initialColorChoice(undefined, false)).toBe('id');
  });
  it('lists the drawn points of a legend mask, and gives the 2D views dense category numbers', () => {
    expect(drawnIndices(null)).toBeNull();
    expect(drawnIndices(Uint8Array.from([1, 0, 0, 1, 1]))).toEqual([0, 3, 4]);
    const c = {
      kind: 'categorical',
      category: Uint8Array.from([5, 2, 5, 9]),
      categories: [
        { index: 2, label: 'Latin', rgb: [255, 0, 0], count: 1 },
        { index: 5, label: 'Cyrillic', rgb: [0, 255, 0], count: 2 },
        { index: 9, label: 'digits', rgb: [0, 0, 255], count: 1 },
      ],
    } as unknown as Coloring;
    const p = planeColoring(c);
    expect([...p.values]).toEqual([1, 0, 1, 2]);
    expect(p.palette).toEqual(['#ff0000', '#00ff00', '#0000ff']);
  });
});

describe('the link a page writes and reads', () => {
  const sources = (over: Partial<UrlSources> = {}): UrlSources => ({
    view: () => '3d',
    selectedId: () => undefined,
    color: () => 'clip',
    hidden: () => [],
    labelsOn: () => true,
    camera: () => undefined,
    ...over,
  });
  it('leaves the defaults out: the 3D view, the count or id colouring, labels on, an untouched camera', () => {
    expect(formatUrlState(urlStateOf(sources()))).toBe('');
    expect(formatUrlState(urlStateOf(sources({ color: () => 'id' })))).toBe('');
  });
  it('keeps the selection, the view, a facet with its hidden categories, labels off and a moved camera', () => {
    const state = urlStateOf(sources({ view: () => 'xz', selectedId: () => 31999, color: () => 'script', hidden: () => [0, 3], labelsOn: () => false, camera: () => [1, 2, 0.5] }));
    expect(formatUrlState(state)).toBe('?view=xz&id=31999&color=script&hide=0,3&labels=off&cam=1,2,0.5');
    // Hidden categories mean nothing without the facet they belong to.
    expect(formatUrlState(urlStateOf(sources({ color: () => 'clip', hidden: () => [1] })))).toBe('');
  });
  it('selects the linked token by id or by text, and says so when the exhibit lacks it', () => {
    const points = { ids: Uint32Array.from([1, 13, 400]), counts: Uint32Array.from([0, 5, 9]), texts: ['<s>', '\n', ' Switzerland'], pieces: ['<s>', '<0x0A>', '▁Switzerland'] };
    const search = buildSearchIndex(points);
    expect(linkedSelection({}, points.ids, search)).toEqual({ index: -1 });
    expect(linkedSelection({ id: 13 }, points.ids, search)).toEqual({ index: 1 });
    expect(linkedSelection({ token: ' Switzerland' }, points.ids, search)).toEqual({ index: 2 });
    expect(linkedSelection({ id: 7 }, points.ids, search).missing).toBe('The link asks for token id 7, which is not in this exhibit.');
    // Link text is untrusted: made visible, as every card shows tokens.
    expect(linkedSelection({ token: 'Zürich\u202e' }, points.ids, search).missing).toBe('The link asks for “Zürich\\u202E”, which is not in this exhibit.');
  });
});

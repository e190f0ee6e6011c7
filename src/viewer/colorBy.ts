/**
 * "Colour by": what each choice paints, as pure data (no DOM). Corpus counts keep the clip/log
 * scale of colorScale.ts; the other facets come from facets.bin (src/artifact/readFacets.ts) or
 * the token flags of points.bin.
 *
 * A numeric colouring maps every point to [0, 1] on the palette, with legend ticks; a categorical
 * one gives every point a category, and the legend lists the categories present, each of which
 * can be switched off (`visibilityMask`).
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import type { ExhibitFacets, FacetKey } from '../facets/facetTypes.ts';
import { colorValues, legendFor, maxCount, paletteRgb, rgbHex, type ColorMode } from './colorScale.ts';
import type { PlaneColoring } from './planeView.ts';

/** Today's count colourings plus every facet but `count` (which is `clip` / `log`). */
export type ColorChoice = ColorMode | Exclude<FacetKey, 'count'>;

/**
 * The facet keys of the "Colour by" control, and which of them come from points.bin flags (the
 * others need facets.bin). FACETS in src/facets/facetTypes.ts describes them; it loads with the
 * first facet chosen (facetColoring.ts), so the first paint does not carry it. A unit test keeps
 * the two lists in step.
 */
export const FACET_KEYS = ['length', 'script', 'wordStart', 'byte', 'special', 'norm', 'undertrained', 'pos'] as const;
export const FROM_POINTS: readonly string[] = ['byte', 'special'];

export function isColorChoice(value: string): value is ColorChoice {
  return value === 'clip' || value === 'log' || value === 'id' || (FACET_KEYS as readonly string[]).includes(value);
}

/** Whether a choice is a facet (facetColoring.ts). */
export function isFacet(choice: ColorChoice): choice is (typeof FACET_KEYS)[number] {
  return (FACET_KEYS as readonly string[]).includes(choice);
}

/** The colouring a page opens with: the link's, except a count scale where there are no counts (then the token id). */
export function initialColorChoice(fromLink: ColorChoice | undefined, hasCounts: boolean): ColorChoice {
  if (hasCounts) return fromLink ?? 'clip';
  return fromLink && fromLink !== 'clip' && fromLink !== 'log' ? fromLink : 'id';
}

/** Whether a choice needs facets.bin. */
export function needsFacets(choice: ColorChoice): boolean {
  return isFacet(choice) && !FROM_POINTS.includes(choice);
}

export interface LegendCategory {
  /** Stored category index (what `hide=` in the URL lists). */
  index: number;
  label: string;
  rgb: [number, number, number];
  /** Points in this category. */
  count: number;
}

export type Coloring =
  | { kind: 'numeric'; choice: ColorChoice; title: string; note: string; values: Float32Array; ticks: { t: number; label: string }[] }
  | { kind: 'categorical'; choice: ColorChoice; title: string; note: string; category: Uint8Array; categories: LegendCategory[] };

export interface ColoringInput {
  points: Pick<ExhibitPoints, 'counts' | 'flags' | 'ids'>;
  facets: ExhibitFacets | null;
  clip: number;
}

/** The colour of "other" / "not applicable" categories. */
export const OTHER_GREY: [number, number, number] = [0x8a, 0x8f, 0x99];

/** The colouring of the corpus counts (clip or log) or, without counts, of the token id. */
export function countColoring(choice: ColorMode, input: ColoringInput): Coloring {
  const { points, clip } = input;
  const l = legendFor(choice, { clip, maxCount: maxCount(points.counts), firstId: points.ids[0] ?? 0, lastId: points.ids[points.ids.length - 1] ?? 0 });
  return { kind: 'numeric', choice, title: l.title, note: l.note, values: colorValues(choice, points.counts, clip), ticks: l.ticks };
}

/** RGB bytes (3 per point) of a colouring. */
export function coloringBytes(c: Coloring): Uint8Array {
  if (c.kind === 'numeric') {
    const out = new Uint8Array(c.values.length * 3);
    for (let i = 0; i < c.values.length; i++) out.set(paletteRgb(c.values[i]), i * 3);
    return out;
  }
  const table = new Map(c.categories.map((k) => [k.index, k.rgb]));
  const out = new Uint8Array(c.category.length * 3);
  for (let i = 0; i < c.category.length; i++) out.set(table.get(c.category[i]) ?? OTHER_GREY, i * 3);
  return out;
}

/**
 * A colouring as regl-scatterplot (the 2D views) takes it: palette positions, or a dense category
 * number per point and the categories' colours.
 */
export function planeColoring(c: Coloring): PlaneColoring {
  if (c.kind === 'numeric') return { values: c.values };
  const dense = new Map(c.categories.map((k, j) => [k.index, j]));
  const values = new Float32Array(c.category.length);
  for (let i = 0; i < values.length; i++) values[i] = dense.get(c.category[i]) ?? 0;
  return { values, palette: c.categories.map((k) => rgbHex(k.rgb)) };
}

/** 1 per drawn point, 0 per point whose category is switched off; null when every point shows. */
export function visibilityMask(c: Coloring, hidden: ReadonlySet<number>): Uint8Array | null {
  if (c.kind !== 'categorical' || hidden.size === 0) return null;
  const out = new Uint8Array(c.category.length);
  for (let i = 0; i < out.length; i++) out[i] = hidden.has(c.category[i]) ? 0 : 1;
  return out;
}

/** The indices of the points a visibility mask draws; null (every point) stays null. */
export function drawnIndices(mask: Uint8Array | null): number[] | null {
  if (!mask) return null;
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(i);
  return out;
}

/** Toggles one legend entry; never leaves every category of the colouring hidden. */
export function toggleCategory(c: Coloring, hidden: ReadonlySet<number>, index: number): Set<number> {
  const next = new Set(hidden);
  if (next.has(index)) next.delete(index);
  else next.add(index);
  if (c.kind === 'categorical' && c.categories.every((k) => next.has(k.index))) return new Set(hidden);
  return next;
}

/**
 * "Colour by": what each choice paints, as pure data (no DOM). Corpus counts keep the clip/log
 * scale of colorScale.ts; the other facets come from facets.bin (src/artifact/readFacets.ts) or
 * the token flags of points.bin.
 *
 * A numeric colouring maps every point to [0, 1] on the palette, with legend ticks; a categorical
 * one gives every point a category, and the legend lists the categories present, each of which
 * can be switched off (`visibilityMask`).
 */
import { TokenFlag, type ExhibitPoints } from '../artifact/format.ts';
import { FACETS, type ExhibitFacets, type FacetKey } from '../facets/facetTypes.ts';
import { colorValues, legendFor, maxCount, paletteRgb, type ColorMode } from './colorScale.ts';
import { formatCount } from './display.ts';

/** Today's count colourings plus every facet but `count` (which is `clip` / `log`). */
export type ColorChoice = ColorMode | Exclude<FacetKey, 'count'>;

export const FACET_CHOICES = FACETS.filter((f) => f.key !== 'count');

export function isColorChoice(value: string): value is ColorChoice {
  return value === 'clip' || value === 'log' || value === 'id' || FACET_CHOICES.some((f) => f.key === value);
}

/** Whether a choice needs facets.bin. */
export function needsFacets(choice: ColorChoice): boolean {
  return FACET_CHOICES.some((f) => f.key === choice && f.source === 'facets');
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

/** Distinct on the dark map; the last one (grey) is for "other" / "not applicable". */
const CATEGORY_COLORS: [number, number, number][] = [
  [0x4e, 0x9b, 0xff],
  [0xff, 0x9f, 0x1c],
  [0x2e, 0xd1, 0x7a],
  [0xff, 0x5e, 0x6a],
  [0xb3, 0x8c, 0xff],
  [0xf2, 0xe2, 0x3b],
  [0x3d, 0xe0, 0xe0],
  [0xff, 0x8a, 0xd8],
  [0xa6, 0x7c, 0x52],
  [0x9e, 0xd8, 0x4f],
  [0x7f, 0x9c, 0xf5],
  [0xe0, 0x7a, 0x3d],
];
const GREY: [number, number, number] = [0x8a, 0x8f, 0x99];
const NEUTRAL = new Set(['other', 'not applicable', 'no']);

export interface ColoringInput {
  points: Pick<ExhibitPoints, 'counts' | 'flags' | 'ids'>;
  facets: ExhibitFacets | null;
  clip: number;
}

function numeric(choice: ColorChoice, title: string, note: string, raw: ArrayLike<number>, format: (v: number) => string): Coloring {
  const n = raw.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = raw[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  const span = hi - lo || 1;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = Number.isFinite(raw[i]) ? (raw[i] - lo) / span : 0;
  const ticks = [
    { t: 0, label: format(lo) },
    { t: 0.5, label: format(lo + span / 2) },
    { t: 1, label: format(hi) },
  ];
  return { kind: 'numeric', choice, title, note, values, ticks };
}

function categorical(choice: ColorChoice, title: string, note: string, category: Uint8Array, labels: readonly string[]): Coloring {
  const counts = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < category.length; i++) if (category[i] < labels.length) counts[category[i]]++;
  let next = 0;
  const categories: LegendCategory[] = [];
  labels.forEach((label, index) => {
    if (counts[index] === 0) return;
    const rgb = NEUTRAL.has(label) ? GREY : CATEGORY_COLORS[next++ % CATEGORY_COLORS.length];
    categories.push({ index, label, rgb, count: counts[index] });
  });
  // Most populous first in the legend.
  categories.sort((a, b) => b.count - a.count || a.index - b.index);
  return { kind: 'categorical', choice, title, note, category, categories };
}

function flagCategory(flags: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(flags.length);
  for (let i = 0; i < flags.length; i++) out[i] = flags[i] & bit ? 1 : 0;
  return out;
}

/** The colouring of `choice`; facet choices need `input.facets` (null → throws). */
export function coloringFor(choice: ColorChoice, input: ColoringInput): Coloring {
  const { points, facets, clip } = input;
  if (choice === 'clip' || choice === 'log' || choice === 'id') {
    const l = legendFor(choice, { clip, maxCount: maxCount(points.counts), firstId: points.ids[0] ?? 0, lastId: points.ids[points.ids.length - 1] ?? 0 });
    return { kind: 'numeric', choice, title: l.title, note: l.note, values: colorValues(choice, points.counts, clip), ticks: l.ticks };
  }
  const d = FACET_CHOICES.find((f) => f.key === choice)!;
  const title = `Colour: ${d.label.toLowerCase()}`;
  if (choice === 'byte') return categorical(choice, title, d.description, flagCategory(points.flags, TokenFlag.byte), d.categories!);
  if (choice === 'special') return categorical(choice, title, d.description, flagCategory(points.flags, TokenFlag.special), d.categories!);
  if (!facets) throw new Error(`The ${d.label.toLowerCase()} facet is not loaded.`);
  switch (choice) {
    case 'length':
      return numeric(choice, title, d.description, facets.length, (v) => formatCount(v));
    case 'norm':
      return numeric(choice, title, d.description, facets.norm, (v) => v.toPrecision(3));
    case 'script':
      return categorical(choice, title, d.description, facets.script, d.categories!);
    case 'wordStart':
      return categorical(choice, title, d.description, facets.wordStart, d.categories!);
    case 'undertrained':
      return categorical(choice, title, d.description, facets.undertrained, d.categories!);
    case 'pos':
      return categorical(choice, title, d.description, facets.pos, d.categories!);
  }
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
  for (let i = 0; i < c.category.length; i++) out.set(table.get(c.category[i]) ?? GREY, i * 3);
  return out;
}

/** 1 per drawn point, 0 per point whose category is switched off; null when every point shows. */
export function visibilityMask(c: Coloring, hidden: ReadonlySet<number>): Uint8Array | null {
  if (c.kind !== 'categorical' || hidden.size === 0) return null;
  const out = new Uint8Array(c.category.length);
  for (let i = 0; i < out.length; i++) out[i] = hidden.has(c.category[i]) ? 0 : 1;
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

/**
 * Colourings of the token facets ("Colour by" beyond corpus counts): numeric ones span the palette
 * from their minimum to their maximum; categorical ones list the categories present, most populous
 * first, each with its own colour. Loaded with the first facet chosen (with facetTypes.ts), not at
 * first paint.
 */
import { TokenFlag } from '../artifact/format.ts';
import { FACETS } from '../facets/facetTypes.ts';
import { OTHER_GREY, type ColorChoice, type Coloring, type ColoringInput, type FACET_KEYS, type LegendCategory } from './colorBy.ts';
import { formatCount } from './display.ts';

export type FacetChoice = (typeof FACET_KEYS)[number];

export const FACET_CHOICES = FACETS.filter((f) => f.key !== 'count');

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
const GREY = OTHER_GREY;
const NEUTRAL = new Set(['other', 'not applicable', 'no']);

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

/** The colouring of facet `choice`; the facets.bin ones need `input.facets` (null → throws). */
export function facetColoring(choice: FacetChoice, input: ColoringInput): Coloring {
  const { points, facets } = input;
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

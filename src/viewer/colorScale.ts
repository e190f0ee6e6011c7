/**
 * Point colours. Shared by the browser (map, legend) and the build (preview images).
 *
 * - `clip`: corpus count clipped at the manifest's `color.clip` (the notebook's min(count, 100)),
 *   mapped linearly onto the palette;
 * - `log`: log(1 + count) / log(1 + max count), so rare and frequent tokens both separate;
 * - `id`: for vocabulary exhibits, where every count is 0: the token's position in id order
 *   (for BPE/SentencePiece vocabularies, roughly merge order).
 */
export type ColorMode = 'clip' | 'log' | 'id';

/** Viridis from 0.2 to 1 (the darkest fifth disappears on the map's dark background). */
const STOPS: [number, number, number][] = [
  [0x41, 0x44, 0x87],
  [0x35, 0x5f, 0x8d],
  [0x2a, 0x78, 0x8e],
  [0x21, 0x91, 0x8c],
  [0x22, 0xa8, 0x84],
  [0x44, 0xbf, 0x70],
  [0x7a, 0xd1, 0x51],
  [0xbd, 0xdf, 0x26],
  [0xfd, 0xe7, 0x25],
];

/** The map background (the same in light and dark page themes, so the palette reads on both). */
export const MAP_BACKGROUND: [number, number, number] = [0x11, 0x13, 0x18];

export function paletteRgb(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

export function rgbHex([r, g, b]: [number, number, number]): string {
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

/** `n` evenly spaced palette colours as hex (regl-scatterplot's continuous colour map). */
export function paletteHex(n: number): string[] {
  return Array.from({ length: n }, (_, i) => rgbHex(paletteRgb(n === 1 ? 1 : i / (n - 1))));
}

/** CSS gradient of the palette, for the legend. */
export function paletteGradient(direction = 'to right'): string {
  return `linear-gradient(${direction}, ${STOPS.map((c, i) => `${rgbHex(c)} ${((i / (STOPS.length - 1)) * 100).toFixed(1)}%`).join(', ')})`;
}

export function maxCount(counts: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > max) max = counts[i];
  return max;
}

/** Corpus exhibits start in `clip` mode; vocabulary exhibits (no counts at all) in `id` mode. */
export function defaultColorMode(counts: ArrayLike<number>): ColorMode {
  return maxCount(counts) > 0 ? 'clip' : 'id';
}

/** Palette position in [0, 1] of every point. */
export function colorValues(mode: ColorMode, counts: ArrayLike<number>, clip: number): Float32Array {
  const n = counts.length;
  const out = new Float32Array(n);
  if (mode === 'id') {
    for (let i = 0; i < n; i++) out[i] = n > 1 ? i / (n - 1) : 1;
    return out;
  }
  if (mode === 'log') {
    const denominator = Math.log1p(Math.max(1, maxCount(counts)));
    for (let i = 0; i < n; i++) out[i] = Math.log1p(counts[i]) / denominator;
    return out;
  }
  const c = clip > 0 ? clip : 100;
  for (let i = 0; i < n; i++) out[i] = Math.min(counts[i], c) / c;
  return out;
}

/** RGB bytes (3 per point) for a set of palette positions. */
export function colorBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) out.set(paletteRgb(values[i]), i * 3);
  return out;
}

export interface Legend {
  title: string;
  /** Tick positions in [0, 1] along the gradient, with labels. */
  ticks: { t: number; label: string }[];
  note: string;
}

const fmt = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function legendFor(
  mode: ColorMode,
  info: { clip: number; maxCount: number; firstId: number; lastId: number },
): Legend {
  if (mode === 'id') {
    return {
      title: 'Colour: token id',
      ticks: [
        { t: 0, label: fmt(info.firstId) },
        { t: 1, label: fmt(info.lastId) },
      ],
      note: 'This exhibit is the whole vocabulary, with no corpus counts; colour follows the token id (roughly the order the tokenizer learned its pieces).',
    };
  }
  if (mode === 'log') {
    const max = Math.max(1, info.maxCount);
    const denominator = Math.log1p(max);
    const ticks = [{ t: 0, label: '0' }];
    for (let p = 1; p < max; p *= 10) {
      const t = Math.log1p(p) / denominator;
      if (t < 0.92 && t - ticks[ticks.length - 1].t > 0.12) ticks.push({ t, label: fmt(p) });
    }
    ticks.push({ t: 1, label: fmt(max) });
    return {
      title: 'Colour: corpus count (log scale)',
      ticks,
      note: 'How often the token occurs in the corpus, on a logarithmic scale.',
    };
  }
  const clip = info.clip > 0 ? info.clip : 100;
  return {
    title: `Colour: corpus count, clipped at ${fmt(clip)}`,
    ticks: [
      { t: 0, label: '0' },
      { t: 0.5, label: fmt(clip / 2) },
      { t: 1, label: `≥ ${fmt(clip)}` },
    ],
    note: `How often the token occurs in the corpus; every count of ${fmt(clip)} or more gets the brightest colour.`,
  };
}

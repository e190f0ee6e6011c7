/**
 * The index page's preview pictures: PC1 × PC2 drawn in Node at build time, coloured like the
 * map (clipped count, or token id for a vocabulary exhibit), frequent tokens drawn last.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import { MAP_BACKGROUND, colorValues, defaultColorMode, paletteRgb } from '../viewer/colorScale.ts';
import { encodePng } from './png.ts';

export const PREVIEW_WIDTH = 480;
export const PREVIEW_HEIGHT = 300;

export function renderPreviewPixels(points: ExhibitPoints, clip: number, width = PREVIEW_WIDTH, height = PREVIEW_HEIGHT): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(MAP_BACKGROUND, i * 3);
  const n = points.count;
  if (n === 0) return rgb;
  const values = colorValues(defaultColorMode(points.counts), points.counts, clip);
  const [x0, y0] = [points.min[0], points.min[1]];
  const spanX = points.max[0] - points.min[0] || 1;
  const spanY = points.max[1] - points.min[1] || 1;
  const margin = 12;
  const scale = Math.min((width - 2 * margin) / spanX, (height - 2 * margin) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  const radius = n > 20000 ? 0 : n > 3000 ? 1 : 1.5;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const alpha = n > 20000 ? 0.55 : 0.9;
  for (const i of order) {
    const cx = offX + (points.positions[i * 3] - x0) * scale;
    const cy = height - (offY + (points.positions[i * 3 + 1] - y0) * scale);
    const c = paletteRgb(values[i]);
    const r = Math.ceil(radius);
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        if (dx * dx + dy * dy > radius * radius + 0.5) continue;
        const px = Math.round(cx + dx);
        const py = Math.round(cy + dy);
        if (px < 0 || py < 0 || px >= width || py >= height) continue;
        const o = (py * width + px) * 3;
        for (let k = 0; k < 3; k++) rgb[o + k] = Math.round(rgb[o + k] * (1 - alpha) + c[k] * alpha);
      }
    }
  }
  return rgb;
}

export function renderPreviewPng(points: ExhibitPoints, clip: number): Buffer {
  return encodePng(PREVIEW_WIDTH, PREVIEW_HEIGHT, renderPreviewPixels(points, clip));
}

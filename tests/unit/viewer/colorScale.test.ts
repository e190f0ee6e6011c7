import { describe, expect, it } from 'vitest';
import {
  colorBytes,
  colorValues,
  defaultColorMode,
  legendFor,
  maxCount,
  paletteGradient,
  paletteHex,
  paletteRgb,
  rgbHex,
} from '../../../src/viewer/colorScale.ts';

describe('colour scale', () => {
  it('clips counts like the notebook: min(count, clip) / clip', () => {
    const v = colorValues('clip', Uint32Array.from([0, 1, 50, 100, 5000]), 100);
    expect(Array.from(v)).toEqual([0, 0.01, 0.5, 1, 1].map(Math.fround));
  });
  it('log scale spreads counts between 0 and the largest count', () => {
    const v = colorValues('log', Uint32Array.from([0, 9, 99, 999]), 100);
    expect(v[0]).toBe(0);
    expect(v[3]).toBeCloseTo(1);
    expect(v[1]).toBeCloseTo(1 / 3, 5);
    expect(v[2]).toBeCloseTo(2 / 3, 5);
  });
  it('log scale of all-zero counts stays finite', () => {
    expect(Array.from(colorValues('log', new Uint32Array(3), 100))).toEqual([0, 0, 0]);
  });
  it('vocabulary exhibits (no counts) colour by position in id order', () => {
    const counts = new Uint32Array(5);
    expect(defaultColorMode(counts)).toBe('id');
    expect(defaultColorMode(Uint32Array.from([0, 3]))).toBe('clip');
    expect(Array.from(colorValues('id', counts, 100))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(colorValues('id', new Uint32Array(1), 100))).toEqual([1]);
  });
  it('a non-positive clip falls back to 100', () => {
    expect(colorValues('clip', Uint32Array.from([50]), 0)[0]).toBeCloseTo(0.5);
  });
  it('palette runs from dark blue to yellow and clamps', () => {
    expect(rgbHex(paletteRgb(0))).toBe('#414487');
    expect(rgbHex(paletteRgb(1))).toBe('#fde725');
    expect(paletteRgb(-3)).toEqual(paletteRgb(0));
    expect(paletteRgb(7)).toEqual(paletteRgb(1));
    expect(paletteRgb(Number.NaN)).toEqual(paletteRgb(0));
    expect(paletteHex(3)).toEqual(['#414487', rgbHex(paletteRgb(0.5)), '#fde725']);
    expect(paletteGradient()).toMatch(/^linear-gradient\(to right, #414487 0\.0%, .* #fde725 100\.0%\)$/);
    const bytes = colorBytes(Float32Array.from([0, 1]));
    expect(Array.from(bytes)).toEqual([0x41, 0x44, 0x87, 0xfd, 0xe7, 0x25]);
  });
  it('legends say what colour means', () => {
    const info = { clip: 100, maxCount: 5000, firstId: 0, lastId: 31999 };
    const clip = legendFor('clip', info);
    expect(clip.title).toContain('clipped at 100');
    expect(clip.ticks.map((t) => t.label)).toEqual(['0', '50', '≥ 100']);
    const log = legendFor('log', info);
    expect(log.title).toContain('log');
    expect(log.ticks[0].label).toBe('0');
    expect(log.ticks.at(-1)!.label).toBe('5,000');
    expect(log.ticks.map((t) => t.t)).toEqual([...log.ticks.map((t) => t.t)].sort((a, b) => a - b));
    const id = legendFor('id', info);
    expect(id.title).toBe('Colour: token id');
    expect(id.ticks.map((t) => t.label)).toEqual(['0', '31,999']);
    expect(id.note).toMatch(/no corpus counts/);
    expect(maxCount(Uint32Array.from([3, 9, 2]))).toBe(9);
  });
});

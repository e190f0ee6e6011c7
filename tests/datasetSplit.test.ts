import { describe, expect, it } from 'vitest';
import { describeSplit, parseSplit, resolveSplitRows } from '../src/sources/datasetSplit.ts';

/** Rows a split string selects, as `datasets.load_dataset(..., split=text)` would. */
function rows(text: string, numRows: number) {
  const spec = parseSplit(text);
  if (!spec) throw new Error(`not a split: ${text}`);
  return resolveSplitRows(spec, numRows);
}

describe('parseSplit: the split strings Hugging Face datasets accepts', () => {
  it.each([
    ['train', { name: 'train' }],
    ['train[:20%]', { name: 'train', to: { value: 20, unit: 'pct' } }],
    ['train[10:500]', { name: 'train', from: { value: 10, unit: 'abs' }, to: { value: 500, unit: 'abs' } }],
    ['test[50%:]', { name: 'test', from: { value: 50, unit: 'pct' } }],
    ['train[-10%:]', { name: 'train', from: { value: -10, unit: 'pct' } }],
    ['validation[:-100]', { name: 'validation', to: { value: -100, unit: 'abs' } }],
    ['train[:]', { name: 'train' }],
    ['my-split.v2_a', { name: 'my-split.v2_a' }],
    ['train[-100%:100%]', { name: 'train', from: { value: -100, unit: 'pct' }, to: { value: 100, unit: 'pct' } }],
  ])('accepts %s', (text, spec) => {
    expect(parseSplit(text)).toEqual(spec);
  });

  it.each([
    ['', 'empty'],
    ['train[5]', 'a single index (datasets needs a slice)'],
    ['train[:20 %]', 'whitespace'],
    [' train', 'whitespace'],
    ['train[: 20%]', 'whitespace'],
    ['train[:101%]', 'a percent beyond 100'],
    ['train[-101%:]', 'a percent beyond -100'],
    ['train[::2]', 'a step'],
    ['train[1.5:]', 'a fraction'],
    ['train[a:b]', 'names as bounds'],
    ['train/test', 'a "/" in the name'],
    ['train+test', 'a sum of splits (not supported)'],
    ['train[10:20%]', 'mixed units (datasets would silently read both as percent)'],
    ['train[:20%](pct1_dropremainder)', 'a rounding suffix (not supported)'],
  ])('rejects %j: %s', (text) => {
    expect(parseSplit(text)).toBeNull();
  });
});

describe('resolveSplitRows: the rows datasets reads (rounding "closest")', () => {
  it('takes a percentage of the rows', () => {
    expect(rows('train[:20%]', 100)).toEqual({ start: 0, end: 20 });
  });

  it('rounds to the closest row: WikiText-2 train has 36718 rows, 20% is 7343.6 → 7344', () => {
    expect(rows('train[:20%]', 36718)).toEqual({ start: 0, end: 7344 });
  });

  it("rounds halves to even like Python's round(): 2.5 → 2, 3.5 → 4", () => {
    expect(rows('train[:50%]', 5)).toEqual({ start: 0, end: 2 });
    expect(rows('train[:50%]', 7)).toEqual({ start: 0, end: 4 });
    expect(rows('train[-50%:]', 5)).toEqual({ start: 3, end: 5 }); // -2.5 → -2
  });

  it('counts negative bounds from the end', () => {
    expect(rows('train[-10%:]', 100)).toEqual({ start: 90, end: 100 });
    expect(rows('validation[:-100]', 1000)).toEqual({ start: 0, end: 900 });
    expect(rows('train[-5:]', 3)).toEqual({ start: 0, end: 3 });
  });

  it('clamps row bounds to the split like Python slicing', () => {
    expect(rows('train[10:500]', 100)).toEqual({ start: 10, end: 100 });
    expect(rows('train[200:]', 100)).toEqual({ start: 100, end: 100 });
    expect(rows('train[50:10]', 100)).toEqual({ start: 50, end: 50 });
  });

  it('reads the whole split without a slice', () => {
    expect(rows('train', 36718)).toEqual({ start: 0, end: 36718 });
    expect(rows('test[50%:]', 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('describeSplit', () => {
  it.each(['train', 'train[:20%]', 'train[10:500]', 'test[50%:]', 'train[-10%:]', 'validation[:-100]'])(
    'writes %s back as it was written',
    (text) => {
      expect(describeSplit(parseSplit(text)!)).toBe(text);
    },
  );

  it('drops an empty slice', () => {
    expect(describeSplit(parseSplit('train[:]')!)).toBe('train');
  });
});

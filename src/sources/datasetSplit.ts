/**
 * Split strings as the Hugging Face `datasets` library reads them (`train`, `train[:20%]`,
 * `train[10:500]`, `test[50%:]`), so a gallery reads exactly the rows `load_dataset` would.
 * Mirrors `datasets.arrow_reader` (`_SUB_SPEC_RE`, `_rel_to_abs_instr`, rounding "closest").
 */

export interface Bound {
  value: number;
  unit: 'abs' | 'pct';
}

export interface SplitSpec {
  name: string;
  from?: Bound;
  to?: Bound;
}

const SPLIT_RE = /^([\w.-]+)(?:\[(?:(-?\d+)(%)?)?:(?:(-?\d+)(%)?)?\])?$/;

/** The allowed forms, for error messages. */
export const SPLIT_FORMS = ['train', 'train[:20%]', 'train[10:500]', 'test[50%:]'] as const;

/** Null when `text` is not a split string `datasets` would accept (or one we refuse, see below). */
export function parseSplit(text: string): SplitSpec | null {
  const m = SPLIT_RE.exec(text);
  if (!m) return null;
  const [, name, from, fromPct, to, toPct] = m;
  // datasets applies one unit to both bounds, so `train[10:20%]` silently means 10%..20%.
  // That is almost never what was meant; refuse it instead of guessing.
  if (from !== undefined && to !== undefined && Boolean(fromPct) !== Boolean(toPct)) return null;
  const spec: SplitSpec = { name: name! };
  const fromBound = bound(from, fromPct);
  const toBound = bound(to, toPct);
  for (const b of [fromBound, toBound]) {
    if (b && b.unit === 'pct' && Math.abs(b.value) > 100) return null;
    if (b && !Number.isSafeInteger(b.value)) return null;
  }
  if (fromBound) spec.from = fromBound;
  if (toBound) spec.to = toBound;
  return spec;
}

function bound(digits: string | undefined, pct: string | undefined): Bound | undefined {
  if (digits === undefined) return undefined;
  return { value: Number(digits) + 0, unit: pct ? 'pct' : 'abs' }; // + 0 turns -0 into 0
}

/** The half-open row range `[start, end)` of a split with `numRows` rows. */
export function resolveSplitRows(spec: SplitSpec, numRows: number): { start: number; end: number } {
  const toRow = (b: Bound) => (b.unit === 'pct' ? roundHalfEven((b.value * numRows) / 100) : b.value);
  let start = spec.from ? toRow(spec.from) : 0;
  let end = spec.to ? toRow(spec.to) : numRows;
  if (start < 0) start = Math.max(numRows + start, 0);
  if (end < 0) end = Math.max(numRows + end, 0);
  start = Math.min(start, numRows);
  end = Math.min(end, numRows);
  // Like Python's `rows[50:10]`: an empty range, not a negative one.
  return { start, end: Math.max(start, end) };
}

/** Python 3's `round()`: ties go to the even neighbour (2.5 → 2, 3.5 → 4). */
function roundHalfEven(x: number): number {
  return (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x)) + 0;
}

/** Canonical text of a split, e.g. `train[:20%]`; `train[:]` becomes `train`. */
export function describeSplit(spec: SplitSpec): string {
  if (!spec.from && !spec.to) return spec.name;
  const text = (b: Bound | undefined) => (b ? `${b.value}${b.unit === 'pct' ? '%' : ''}` : '');
  return `${spec.name}[${text(spec.from)}:${text(spec.to)}]`;
}

/**
 * Progress of the long stages (downloads, tokenizing a corpus, PCA passes, neighbours,
 * dequantising, writing files), one reporter for all of them.
 *
 * On a terminal a stage draws a live bar with its rate and ETA, erased when the stage ends;
 * elsewhere (CI logs, pipes) nothing is drawn. Either way a stage ends with at most one plain line:
 * the summary the stage passes to `done(summary)`, or, with `--verbose`, a timing line. `--quiet`
 * prints nothing but errors.
 *
 * Stages deep in the pipeline reach the reporter through `progress()`, so no options need to be
 * threaded through every function:
 *
 *   const stage = progress().stage('neighbours', { total: rows, unit: 'rows' });
 *   for (...) stage.add(1);
 *   stage.done(`  neighbours of ${rows} tokens in ${s} s`);   // or stage.done()
 */

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface StageOptions {
  /** How many units the stage will process; 0 or absent when unknown (no percentage, no ETA). */
  total?: number;
  /** What is counted: 'rows', 'chars', 'tokens' ... ; `bytes` formats as kB/MB. */
  unit?: string;
}

export interface StageProgress {
  /** Sets how many units are done. */
  update(done: number): void;
  /** Adds to the units done. */
  add(units: number): void;
  /** Ends the stage: erases the bar; prints `summary` (or, when verbose, a timing line). */
  done(summary?: string): void;
}

export interface ProgressReporter {
  readonly verbosity: Verbosity;
  stage(label: string, options?: StageOptions): StageProgress;
  /** A line of the normal output (not shown with --quiet). */
  info(line: string): void;
  /** A line shown only with --verbose. */
  detail(line: string): void;
}

export interface ReporterOptions {
  verbosity?: Verbosity;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw live bars; default: when the stream is a terminal. */
  live?: boolean;
  /** Bar redraws at most this often (ms). */
  intervalMs?: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** 1234567 → "1.23 M"; small numbers as they are. */
export function formatAmount(n: number, unit = ''): string {
  if (unit === 'bytes') return formatBytes(n);
  const suffix = unit ? ` ${unit}` : '';
  if (n < 10_000) return `${Math.round(n)}${suffix}`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} k${suffix}`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} M${suffix}`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--';
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}

const BAR_WIDTH = 20;

/** The live line of a stage: label, bar, percentage, amount, rate, ETA. */
export function progressLine(label: string, done: number, total: number, seconds: number, unit = ''): string {
  const rate = done / Math.max(seconds, 1e-3);
  const parts = [label];
  if (total > 0) {
    const fraction = Math.min(1, done / total);
    const filled = Math.round(fraction * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${(100 * fraction).toFixed(0)}%`);
    parts.push(`${formatAmount(done, unit)} / ${formatAmount(total, unit)}`);
  } else {
    parts.push(formatAmount(done, unit));
  }
  parts.push(`${formatAmount(rate, unit)}/s`);
  if (total > 0) parts.push(`ETA ${formatSeconds((total - done) / rate)}`);
  return parts.join('  ');
}

export function createReporter(options: ReporterOptions = {}): ProgressReporter {
  const verbosity = options.verbosity ?? 'normal';
  const stream = options.stream ?? process.stderr;
  const live = verbosity !== 'quiet' && (options.live ?? Boolean((stream as { isTTY?: boolean }).isTTY));
  const interval = options.intervalMs ?? 100;
  /** The stage whose bar is on screen, so a line printed meanwhile can clear it first. */
  let drawn: object | null = null;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = null;
  };
  const print = (line: string) => {
    clear();
    stream.write(`${line}\n`);
  };
  return {
    verbosity,
    info(line) {
      if (verbosity !== 'quiet') print(line);
    },
    detail(line) {
      if (verbosity === 'verbose') print(line);
    },
    stage(label, stageOptions = {}) {
      const total = stageOptions.total ?? 0;
      const unit = stageOptions.unit ?? '';
      const started = performance.now();
      const self = {};
      let done = 0;
      let lastDraw = -Infinity;
      let finished = false;
      const draw = () => {
        const now = performance.now();
        if (!live || finished || now - lastDraw < interval) return;
        lastDraw = now;
        drawn = self;
        stream.write(`\r\x1b[2K${progressLine(label, done, total, (now - started) / 1000, unit)}`);
      };
      return {
        update(value) {
          done = value;
          draw();
        },
        add(units) {
          done += units;
          draw();
        },
        done(summary) {
          if (finished) return;
          finished = true;
          if (drawn === self) clear();
          const seconds = (performance.now() - started) / 1000;
          if (summary !== undefined) {
            if (verbosity !== 'quiet') print(summary);
          } else if (verbosity === 'verbose') {
            print(`  ${label}: ${formatAmount(done, unit)} in ${seconds.toFixed(1)} s (${formatAmount(done / Math.max(seconds, 1e-3), unit)}/s)`);
          }
        },
      };
    },
  };
}

/**
 * `--quiet` / `--verbose` on the command line, else TOKENSCAPE_PROGRESS=quiet|verbose, else npm's own
 * log level: `npm run build --quiet` (or `-s`) and `npm run build --verbose` reach the precompute
 * step that way (npm exports them as npm_config_loglevel), where `npm run build -- --quiet` would
 * hand the flag to `astro build` instead. Only inside those npm scripts: `npm test --silent` does
 * not silence the builds that tests start.
 */
export function verbosityFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Verbosity {
  if (argv.includes('--quiet') || argv.includes('-q')) return 'quiet';
  if (argv.includes('--verbose') || argv.includes('-v')) return 'verbose';
  const fromEnv = env.TOKENSCAPE_PROGRESS;
  if (fromEnv === 'quiet' || fromEnv === 'verbose') return fromEnv;
  // Only for our own npm scripts: `npm test --silent` must not silence the builds the tests start.
  const npmLevel = ['build', 'precompute', 'dev'].includes(env.npm_lifecycle_event ?? '') ? env.npm_config_loglevel : undefined;
  if (npmLevel === 'silent' || npmLevel === 'error' || npmLevel === 'warn') return 'quiet';
  if (npmLevel === 'verbose' || npmLevel === 'silly') return 'verbose';
  return 'normal';
}

let current: ProgressReporter | null = null;

/** The process's reporter (normal verbosity on stderr until `setProgress` is called). */
export function progress(): ProgressReporter {
  current ??= createReporter({ verbosity: verbosityFrom([], process.env) });
  return current;
}

export function setProgress(reporter: ProgressReporter): void {
  current = reporter;
}

/** Wraps an iterable of lines so that a stage counts the characters that went through. */
export function* countingLines(lines: Iterable<string>, stage: StageProgress): Generator<string> {
  let pending = 0;
  for (const line of lines) {
    pending += line.length + 1;
    if (pending >= 65_536) {
      stage.add(pending);
      pending = 0;
    }
    yield line;
  }
  stage.add(pending);
}

interface RowSource {
  rows: number;
  forEachBlock(visit: (block: Float32Array, firstRow: number, count: number) => Promise<void> | void): Promise<void>;
}

/** The same row source, with each full pass over its rows shown as a stage (`PCA pass 3`). */
export function trackPasses<T extends RowSource>(source: T, label: string, reporter?: ProgressReporter): T {
  let pass = 0;
  const forEachBlock: RowSource['forEachBlock'] = async (visit) => {
    pass++;
    const stage = (reporter ?? progress()).stage(`${label} pass ${pass}`, { total: source.rows, unit: 'rows' });
    try {
      await source.forEachBlock(async (block, first, count) => {
        await visit(block, first, count);
        stage.update(first + count);
      });
    } finally {
      stage.done();
    }
  };
  return new Proxy(source, {
    get: (target, key, receiver) => (key === 'forEachBlock' ? forEachBlock : Reflect.get(target, key, receiver)),
  });
}

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countingLines, createReporter, progressLine, trackPasses, verbosityFrom, type Verbosity } from '../../../src/pipeline/progress.ts';
import { startProgress } from '../../../src/hub/downloadProgress.ts';

function capture(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        text += String(chunk);
        cb();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => text };
}

function reporter(verbosity: Verbosity, isTTY: boolean) {
  const out = capture(isTTY);
  return { out, r: createReporter({ verbosity, stream: out.stream, intervalMs: 0 }) };
}

describe('progress of long stages', () => {
  it('draws a bar with percentage, amount, rate and ETA on a terminal, and erases it at the end', () => {
    const { out, r } = reporter('normal', true);
    const stage = r.stage('tokenizing', { total: 1000, unit: 'chars' });
    stage.update(250);
    expect(out.text()).toMatch(/\r\x1b\[2Ktokenizing {2}\[#####-{15}\] 25% {2}250 chars \/ 1000 chars {2}\d+(\.\d+)? [kM ]*chars\/s {2}ETA \d+s/);
    stage.done('  tokenized 3 lines');
    expect(out.text().endsWith('\r\x1b[2K  tokenized 3 lines\n')).toBe(true);
  });

  it('prints one plain line per stage and no bar when not on a terminal (CI logs)', () => {
    const { out, r } = reporter('normal', false);
    const stage = r.stage('PCA pass 1', { total: 10, unit: 'rows' });
    for (let i = 0; i < 10; i++) stage.add(1);
    stage.done();
    const summary = r.stage('writing points.csv', { total: 3 });
    summary.done('  wrote points.csv');
    expect(out.text()).toBe('  wrote points.csv\n');
  });

  it('--verbose adds a timing line for every stage; --quiet prints nothing', () => {
    const verbose = reporter('verbose', false);
    const s = verbose.r.stage('PCA pass 2', { total: 32000, unit: 'rows' });
    s.update(32000);
    s.done();
    verbose.r.detail('cache .tokenscape-cache');
    expect(verbose.out.text()).toMatch(/^ {2}PCA pass 2: 32\.0 k rows in \d+\.\d s \(.+ rows\/s\)\ncache \.tokenscape-cache\n$/);

    const quiet = reporter('quiet', true);
    const q = quiet.r.stage('tokenizing', { total: 5 });
    q.update(3);
    q.done('  tokenized');
    quiet.r.info('Tokenscape: 3 exhibit(s)');
    quiet.r.detail('detail');
    startProgress('org/model/config.json', 100, quiet.r).done();
    expect(quiet.out.text()).toBe('');
  });

  it('downloads report through the same reporter: a line per file', () => {
    const { out, r } = reporter('normal', false);
    const p = startProgress('org/model/tokenizer.json', 2000, r);
    p.update(1500);
    p.update(500);
    p.done();
    expect(out.text()).toMatch(/^↓ org\/model\/tokenizer\.json {2}2\.00 kB in \d+\.\d s \(.+\/s\)\n$/);
  });

  it('formats unknown totals without percentage or ETA', () => {
    expect(progressLine('↓ corpus', 5_000_000, 0, 2, 'bytes')).toBe('↓ corpus  5.00 MB  2.50 MB/s');
    expect(progressLine('rows', 50, 100, 1, 'rows')).toBe('rows  [##########----------] 50%  50 rows / 100 rows  50 rows/s  ETA 1s');
  });

  it('takes --quiet / --verbose from the command line, TOKENSCAPE_PROGRESS or npm\'s log level', () => {
    expect(verbosityFrom(['--quiet'], {})).toBe('quiet');
    expect(verbosityFrom(['-v'], {})).toBe('verbose');
    expect(verbosityFrom([], { TOKENSCAPE_PROGRESS: 'verbose' })).toBe('verbose');
    expect(verbosityFrom([], { TOKENSCAPE_PROGRESS: 'loud' })).toBe('normal');
    // npm run build --quiet / -s / --verbose (npm's own flags, exported as npm_config_loglevel)
    const npm = (script: string, level: string) => ({ npm_lifecycle_event: script, npm_config_loglevel: level });
    expect(verbosityFrom([], npm('build', 'warn'))).toBe('quiet');
    expect(verbosityFrom([], npm('precompute', 'silent'))).toBe('quiet');
    expect(verbosityFrom([], npm('build', 'verbose'))).toBe('verbose');
    expect(verbosityFrom([], npm('build', 'notice'))).toBe('normal');
    expect(verbosityFrom(['--verbose'], npm('build', 'warn'))).toBe('verbose');
    // `npm test --silent` does not silence the builds a test starts.
    expect(verbosityFrom([], npm('test', 'silent'))).toBe('normal');
  });

  it('counts the characters of lines as they are consumed, and each pass over rows as a stage', async () => {
    const { out, r } = reporter('verbose', false);
    const stage = r.stage('tokenizing', { total: 12, unit: 'chars' });
    expect([...countingLines(['abc', 'defgh', ''], stage)]).toEqual(['abc', 'defgh', '']);
    stage.done();
    expect(out.text()).toMatch(/tokenizing: 11 chars in/);

    const blocks = [new Float32Array(4), new Float32Array(2)];
    const source = {
      rows: 3,
      dims: 2,
      forEachBlock: async (visit: (b: Float32Array, first: number, count: number) => Promise<void> | void) => {
        await visit(blocks[0], 0, 2);
        await visit(blocks[1], 2, 1);
      },
      nonFiniteError: () => new Error('x'),
    };
    const tracked = trackPasses(source, 'PCA', r);
    const seen: number[] = [];
    await tracked.forEachBlock((_b, first) => void seen.push(first));
    await tracked.forEachBlock(() => {});
    expect(seen).toEqual([0, 2]);
    expect(tracked.dims).toBe(2);
    expect(out.text()).toMatch(/PCA pass 1: 3 rows in [\s\S]*PCA pass 2: 3 rows in/);
  });
});

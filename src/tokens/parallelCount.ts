/**
 * Token counting on every core: the corpus is cut into chunks of whole lines, the main thread and worker
 * threads (src/tokens/countWorker.ts, each building the same tokenizer from its exported files) take chunks
 * from one queue, and the per-thread counts are added up. A worker gets the main thread's prepared fast-path
 * tables with the files, and once ready a snapshot of the main thread's memo, so that it neither builds the
 * tables again nor runs the model again on the pieces counted while it started. Counting is per line and the
 * memo only caches, so the counts are exactly those of the single-thread countTokens. Small corpora stay on one
 * thread: starting a worker (its own tokenizer load) costs more than it saves below PARALLEL_MIN_CHARS.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TokenscapeError } from '../errors.ts';
import { countTokens, encodeCounter, splitLines, type TokenCounts } from './countTokens.ts';
import type { ModelTokenizer } from './loadTokenizer.ts';
import type { LineEncoder, MemoSnapshot } from './lineEncoder.ts';

/** Below this many characters the corpus is counted on the main thread alone. */
export const PARALLEL_MIN_CHARS = 4 * 1024 * 1024;
/** Below this many characters the tokenizer's own encode counts (the fast path gives the same ids, tested). */
const FAST_PATH_MIN_CHARS = 20_000;
/**
 * Characters per chunk: ~20 ms of counting. The main thread answers a worker between two of its own chunks,
 * so small chunks keep a ready worker from waiting, and the threads finish within a chunk of each other.
 */
const CHUNK_CHARS = 256 * 1024;
/** Chunks handed to a worker ahead of time, so it never waits for the main thread, busy with its own chunk. */
const AHEAD = 2;

export interface ParallelCountOptions {
  /** Threads in all, the main thread included (default: the machine's cores). */
  threads?: number;
  minChars?: number;
  chunkChars?: number;
  /** Told how many characters have been counted, as chunks finish (a progress bar). */
  progress?: { add(chars: number): void };
}

/** Cuts documents into chunks that end just after a line break, so that their lines are the documents' lines. */
export function* lineChunks(documents: readonly string[], chunkChars: number): Generator<string> {
  for (const doc of documents) {
    let start = 0;
    while (doc.length - start > chunkChars) {
      const nl = doc.indexOf('\n', start + chunkChars);
      if (nl < 0) break;
      yield doc.slice(start, nl + 1);
      start = nl + 1;
    }
    if (start < doc.length) yield start === 0 ? doc : doc.slice(start);
  }
}

/** Counts one chunk's lines into `into` with a persistent (memoising) encoder. */
export function countChunk(encoder: Pick<LineEncoder, 'count'>, chunk: string, includeSpecial: boolean, into: Uint32Array): { total: number; lines: number } {
  let total = 0;
  let lines = 0;
  for (const line of splitLines(chunk)) {
    lines++;
    if (line.length > 0) total += encoder.count(line, includeSpecial, into);
  }
  return { total, lines };
}

/** The tokenizer's line encoder, or a plain one over `encode`. */
export function lineCounter(tokenizer: Pick<ModelTokenizer, 'encode' | 'lineEncoder'>): Pick<LineEncoder, 'count'> {
  return tokenizer.lineEncoder?.() ?? encodeCounter(tokenizer);
}

/** Worker entry: a small JS module that loads countWorker.ts through tsx (see there). */
const WORKER_URL = new URL('./countWorker.mjs', import.meta.url);
let workerUrl: Promise<URL> | undefined;

/**
 * Run from the sources (tsx, vitest, the bench), the bundle's freshness is checked once per process here
 * rather than by every worker at its start (a stat of each source file); in the bundle WORKER_URL is already
 * the bundled worker beside it.
 */
function countWorkerUrl(): Promise<URL> {
  return (workerUrl ??= (async () => {
    if (!WORKER_URL.pathname.endsWith('/src/tokens/countWorker.mjs')) return WORKER_URL;
    try {
      const { ensureBundle } = (await import(new URL('../../scripts/bundle.mjs', import.meta.url).href)) as { ensureBundle(name: string): Promise<string | null> };
      const bundled = await ensureBundle('countWorker');
      return bundled ? pathToFileURL(bundled) : WORKER_URL;
    } catch {
      return WORKER_URL;
    }
  })());
}

interface WorkerResult {
  counts: Uint32Array;
  total: number;
  lines: number;
}

const PRELOAD_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader']);

/**
 * The parent's Node flags less its preloads and module loaders: a worker inherits them, and under tsx (tests,
 * the bench) loading tsx again costs each worker ~0.1 s; the worker runs a bundle, or imports tsx itself.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i];
    const name = flag.split('=')[0];
    if (!PRELOAD_FLAGS.has(name)) kept.push(flag);
    else if (!flag.includes('=')) i++;
  }
  return kept;
}

/** countTokens over documents, on several threads when the corpus is large enough. Same result. */
export async function countTokensParallel(
  tokenizer: ModelTokenizer,
  documents: readonly string[],
  includeSpecial: boolean,
  vocabSize: number,
  options: ParallelCountOptions = {},
): Promise<TokenCounts> {
  const threads = options.threads ?? availableParallelism();
  const chars = documents.reduce((n, d) => n + d.length, 0);
  const progress = options.progress;
  if (threads < 2 || chars < (options.minChars ?? PARALLEL_MIN_CHARS)) {
    // A few lines: building the fast path's tables (~0.25 s for a 32k BPE vocabulary) would cost more than it saves.
    const encoder = chars < FAST_PATH_MIN_CHARS ? encodeCounter(tokenizer) : lineCounter(tokenizer);
    // One document and no progress bar: its lines straight, without a generator around them.
    const lines = documents.length === 1 && !progress ? splitLines(documents[0]) : (function* () {
      for (const doc of documents) {
        yield* splitLines(doc);
        progress?.add(doc.length + 1);
      }
    })();
    return countTokens(tokenizer, lines, includeSpecial, vocabSize, encoder);
  }
  // Workers build the tokenizer from the same files the browser gets: one path for every tokenizer form.
  const files = await tokenizer.exportFiles();
  const chunks = lineChunks(documents, options.chunkChars ?? CHUNK_CHARS);
  const sizes = new Map<Worker, number[]>();
  const next = (): string | null => {
    const step = chunks.next();
    return step.done ? null : step.value;
  };
  const encoder = tokenizer.lineEncoder?.() ?? null;
  const counter = encoder ?? encodeCounter(tokenizer);
  const tables = tokenizer.lineEncoderTables?.() ?? null;
  const url = await countWorkerUrl();
  const execArgv = workerExecArgv(process.execArgv);
  const workers = Array.from({ length: threads - 1 }, () => new Worker(url, { execArgv, workerData: { files, tables, vocabSize, includeSpecial } }));
  const results = workers.map(
    (worker) =>
      new Promise<WorkerResult>((resolve, reject) => {
        let outstanding = 0;
        const feed = () => {
          while (outstanding < AHEAD) {
            const chunk = next();
            if (chunk === null) break;
            outstanding++;
            sizes.set(worker, [...(sizes.get(worker) ?? []), chunk.length]);
            worker.postMessage({ chunk });
          }
          if (outstanding === 0) worker.postMessage({ finish: true });
        };
        worker.on('message', (m: { type: 'ready' } | { type: 'done' } | ({ type: 'result' } & WorkerResult)) => {
          if (m.type === 'ready') {
            const memo: MemoSnapshot | null = encoder?.memoSnapshot() ?? null;
            if (memo) worker.postMessage({ memo });
            feed();
          }
          else if (m.type === 'done') {
            outstanding--;
            progress?.add(sizes.get(worker)?.shift() ?? 0);
            feed();
          } else resolve(m);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => reject(new TokenscapeError(`A token-counting worker stopped (exit code ${code}) before it finished.`)));
      }),
  );
  // Awaited below; until then a failing worker must not count as an unhandled rejection.
  for (const r of results) r.catch(() => {});
  try {
    // The main thread counts too, yielding between chunks so that the workers' requests are answered.
    const counts = new Uint32Array(vocabSize);
    let total = 0;
    let lines = 0;
    for (let chunk = next(); chunk !== null; chunk = next()) {
      const part = countChunk(counter, chunk, includeSpecial, counts);
      total += part.total;
      lines += part.lines;
      progress?.add(chunk.length);
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const part of await Promise.all(results)) {
      for (let id = 0; id < vocabSize; id++) counts[id] += part.counts[id];
      total += part.total;
      lines += part.lines;
    }
    let unique = 0;
    for (let i = 0; i < counts.length; i++) if (counts[i] > 0) unique++;
    return { counts, total, unique, lines };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

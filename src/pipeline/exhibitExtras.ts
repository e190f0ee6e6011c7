/**
 * The files that make a map readable, beside points.bin: neighbours (src/neighbors), facets
 * (src/facets) and the tokenizer for the browser's search; each with the reader check that runs on the
 * written bytes before the exhibit folder is swapped into place.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  FACETS_FILE,
  NEIGHBORS_FILE,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILE,
  type ExhibitManifest,
} from '../artifact/manifest.ts';
import { readFacets } from '../artifact/readFacets.ts';
import { readNeighbors } from '../artifact/readNeighbors.ts';
import { encodeFacets } from '../artifact/writeFacets.ts';
import { encodeNeighbors } from '../artifact/writeNeighbors.ts';
import type { ExhibitConfig } from '../config/types.ts';
import { TokenscapeError } from '../errors.ts';
import { FACETS_VERSION, pointFacets, vocabularyFacets, type KnownRowSquares } from '../facets/computeFacets.ts';
import { embeddingsAreTied } from '../facets/tiedEmbeddings.ts';
import { DEFAULT_CANDIDATES, NEIGHBOR_METHOD_VERSION } from '../neighbors/nearestNeighbors.ts';
import { exhibitNeighbors } from '../neighbors/neighborStage.ts';
import type { TokenDescription } from '../tokens/describeTokens.ts';
import type { ModelTokenizer } from '../tokens/loadTokenizer.ts';
import type { CsvColumns, ExtraExhibitFile } from './exhibitFiles.ts';
import type { ModelContext } from './modelContext.ts';
import type { Workspace } from './workspace.ts';

/** What the extras depend on beyond the exhibit's own inputs, for its cache key: method versions and tied weights. */
export async function extrasKeyParts(model: ModelContext): Promise<unknown[]> {
  return ['extras-v1', NEIGHBOR_METHOD_VERSION, DEFAULT_CANDIDATES, FACETS_VERSION, await embeddingsAreTied(model.files)];
}

export interface ExhibitExtras {
  files: ExtraExhibitFile[];
  csv: CsvColumns;
  manifestFiles: Omit<ExhibitManifest['files'], 'points' | 'csv' | 'pointsBytes' | 'csvBytes'>;
  neighbors?: ExhibitManifest['neighbors'];
  facets: NonNullable<ExhibitManifest['facets']>;
}

/**
 * tokenizer.json must load in tokenizers.js (the browser's reader) as written, checked once per tokenizer per
 * run. A tokenizer Node built with that same library from that same text passes as it is; for the others
 * (built from other forms, or through a transformers.js class), building the browser's tokenizer costs
 * 0.1–0.5 s for a 32k–256k vocabulary, so on a machine with a second core the check is started in a worker
 * thread before the PCA (startTokenizerCheck) and runs beside it. The written file is then compared with the
 * text that was checked, and checked here again if it differs.
 */
const browserChecks = new Map<string, Promise<{ json: string; config: string; failure: string | null }>>();

const CHECK_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  const { Tokenizer } = require(workerData.module);
  new Tokenizer(JSON.parse(workerData.json), JSON.parse(workerData.config));
  parentPort.postMessage({ failure: null });
} catch (error) {
  parentPort.postMessage({ failure: String((error && error.message) || error) });
}`;

/** Why tokenizers.js refuses the files, or null when it loads them (in this thread). */
function browserLoadFailure(json: string, config: string): string | null {
  try {
    new Tokenizer(JSON.parse(json), JSON.parse(config));
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The same, in a worker thread; where the worker itself cannot run, in this thread. */
function browserLoadFailureInWorker(json: string, config: string): Promise<string | null> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(CHECK_WORKER, { eval: true, workerData: { module: createRequire(import.meta.url).resolve('@huggingface/tokenizers'), json, config } });
    } catch {
      resolve(browserLoadFailure(json, config));
      return;
    }
    // The worker ends by itself after its one message. Not unref'd: a run awaiting the verdict must not exit.
    let settled = false;
    const settle = (failure: () => string | null) => {
      if (settled) return;
      settled = true;
      resolve(failure());
    };
    worker.once('message', (m: { failure: string | null }) => settle(() => m.failure));
    // A worker that cannot run (not the tokenizer's fault): the check runs here instead.
    worker.once('error', () => settle(() => browserLoadFailure(json, config)));
    worker.once('exit', () => settle(() => browserLoadFailure(json, config)));
  });
}

type CheckedTokenizer = Pick<ModelTokenizer, 'identity' | 'exportFiles' | 'browserEquivalent'>;

/**
 * The verdict on the exported files: none to reach when the tokenizer is already the browser's library built
 * from that text (browserEquivalent: Node has just built it so), else from building it, in a worker or here.
 */
function beginCheck(tokenizer: CheckedTokenizer, inWorker: boolean) {
  return tokenizer.exportFiles().then(async (files) => {
    const json = files['tokenizer.json'];
    const config = files['tokenizer_config.json'];
    const failure = tokenizer.browserEquivalent ? null : inWorker ? await browserLoadFailureInWorker(json, config) : browserLoadFailure(json, config);
    return { json, config, failure };
  });
}

/** Starts the browser-tokenizer check of a model's tokenizer in a worker thread (once per tokenizer per run). */
export function startTokenizerCheck(tokenizer: CheckedTokenizer): void {
  if (browserChecks.has(tokenizer.identity)) return;
  const check = beginCheck(tokenizer, true);
  // Awaited when the file is written; a run that fails before then must not see an unhandled rejection.
  check.catch(() => {});
  browserChecks.set(tokenizer.identity, check);
}

/** The written tokenizer.json loads in the browser's tokenizer; bytes other than the checked text are checked again. */
export async function checkTokenizer(written: Uint8Array, config: string, tokenizer: CheckedTokenizer): Promise<void> {
  const json = new TextDecoder().decode(written);
  // No check started beforehand (one core): here.
  if (!browserChecks.has(tokenizer.identity)) browserChecks.set(tokenizer.identity, beginCheck(tokenizer, false));
  const checked = await browserChecks.get(tokenizer.identity)!;
  const failure = json === checked.json && config === checked.config ? checked.failure : browserLoadFailure(json, config);
  if (failure !== null) {
    throw new TokenscapeError(`The exported tokenizer does not load in the browser's tokenizer (${failure}).`, {
      file: TOKENIZER_FILE,
      hint: 'The search of this exhibit would fail; report the model id, or turn the exhibit off.',
    });
  }
}

export async function exhibitExtras(
  exhibit: ExhibitConfig,
  model: ModelContext,
  ids: Uint32Array,
  described: TokenDescription[],
  workspace: Workspace,
  log?: (line: string) => void,
  /** Sums of squares of rows the PCA has read already (their norms need no pass of their own). */
  knownSquares?: KnownRowSquares,
): Promise<ExhibitExtras> {
  const n = ids.length;
  const files: ExtraExhibitFile[] = [];
  const manifestFiles: Partial<ExhibitManifest['files']> = {}; // completed below: facets are always written
  const csv: CsvColumns = { byteToken: described.map((d) => d.byteToken), special: described.map((d) => d.special) };
  let neighbors: ExhibitManifest['neighbors'];

  if (exhibit.neighbors && n > 0) {
    const found = await exhibitNeighbors(model, ids, exhibit.neighbors.k, workspace, log);
    const bytes = encodeNeighbors(found.encoded);
    files.push({ name: NEIGHBORS_FILE, data: bytes, check: (b) => void readNeighbors(b, n) });
    Object.assign(manifestFiles, { neighbors: NEIGHBORS_FILE, neighborsBytes: bytes.length });
    neighbors = { k: found.k, metric: 'cosine', searchedRows: found.searchedRows, method: found.method };
    csv.neighbors = { ids: found.ids, similarities: found.similarities, k: found.k };
  }

  const vocabulary = await vocabularyFacets(model, workspace, knownSquares);
  const { facets, info } = pointFacets(ids, described, model.tokenizer.pieces, vocabulary);
  const facetBytes = encodeFacets(facets);
  files.push({ name: FACETS_FILE, data: facetBytes, check: (b) => void readFacets(b, n) });
  Object.assign(manifestFiles, { facets: FACETS_FILE, facetsBytes: facetBytes.length });
  csv.facets = facets;

  const exported = await model.tokenizer.exportFiles();
  const json = exported['tokenizer.json'];
  const config = exported['tokenizer_config.json'];
  files.push({ name: TOKENIZER_CONFIG_FILE, data: config, check: (b) => void JSON.parse(new TextDecoder().decode(b)) });
  files.push({ name: TOKENIZER_FILE, data: json, check: (b) => checkTokenizer(b, config, model.tokenizer) });
  Object.assign(manifestFiles, {
    tokenizer: TOKENIZER_FILE,
    tokenizerBytes: Buffer.byteLength(json),
    tokenizerConfig: TOKENIZER_CONFIG_FILE,
    tokenizerConfigBytes: Buffer.byteLength(config),
  });
  return { files, csv, manifestFiles: manifestFiles as ExhibitExtras['manifestFiles'], ...(neighbors ? { neighbors } : {}), facets: info };
}

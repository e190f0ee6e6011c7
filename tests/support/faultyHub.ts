/**
 * A loopback Hub serving a tiny model, a dataset and a URL corpus, with a switchable fault plan, and a log
 * of what each request asked for (including If-Range, which the server's own log does not keep).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { startLoopbackHub, type Fault, type FaultRequest, type LoopbackHub } from '../../scripts/loopback-hub/server.ts';
import { headerOf } from './hostileFiles.ts';
import { TINY_CORPUS, tinyModelFiles } from './tinyModel.ts';

export const MODEL_ID = 'test-org/tiny';
export const DATASET_ID = 'test-org/lines';
export const CORPUS_URL = 'https://example.org/texts/corpus.txt';

export interface SeenRequest {
  index: number;
  method: string;
  path: string;
  range: string | null;
  ifRange: string | null;
  /** ms since the hub started */
  at: number;
}

export interface FaultyHub {
  hub: LoopbackHub;
  url: string;
  /** Every request since the last `reset()`. */
  seen: SeenRequest[];
  /** Replaces the fault plan (and clears `seen`). */
  reset(plan?: (request: FaultRequest) => Fault | null | undefined | void): void;
  /** The model's files as served. */
  modelFiles: Record<string, string | Uint8Array>;
  /** Absolute [begin, end) of the embedding in model.safetensors. */
  embedding: { begin: number; end: number; bytes: Uint8Array };
  corpusText: string;
  close(): Promise<void>;
}

/** The first `times` requests that match get the fault; everything else is served normally. */
export function faultOnce(match: (r: FaultRequest) => boolean, fault: Fault, times = 1) {
  let left = times;
  return (r: FaultRequest): Fault | undefined => {
    if (left > 0 && match(r)) {
      left--;
      return fault;
    }
    return undefined;
  };
}

/** Tries rules in order; the first that returns a fault wins. */
export function faultPlan(...rules: ((r: FaultRequest) => Fault | undefined)[]) {
  return (r: FaultRequest): Fault | undefined => {
    for (const rule of rules) {
      const fault = rule(r);
      if (fault) return fault;
    }
    return undefined;
  };
}

export const rangeStart = (r: { headers: FaultRequest['headers'] } | SeenRequest): number | null => {
  const range = 'headers' in r ? r.headers.range : r.range;
  const m = /^bytes=(\d+)-/.exec(String(range ?? ''));
  return m ? Number(m[1]) : null;
};

export async function startFaultyHub(root: string, options: { rows?: number; cols?: number; corpusRepeat?: number } = {}): Promise<FaultyHub> {
  const rows = options.rows ?? 2048;
  const cols = options.cols ?? 64;
  const modelFiles = tinyModelFiles({ rows, cols });
  const put = (path: string, content: string | Uint8Array) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  for (const [name, content] of Object.entries(modelFiles)) put(`models/${MODEL_ID}/${name}`, content);
  const corpusText = Array.from({ length: options.corpusRepeat ?? 400 }, () => TINY_CORPUS).join('');
  const url = new URL(CORPUS_URL);
  put(`urls/${url.host}${url.pathname}`, corpusText);
  put(
    `datasets/${DATASET_ID}/default/train-00000-of-00001.parquet`,
    new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: corpusText.split('\n').slice(0, 2000), type: 'STRING' }] })),
  );

  const safetensors = modelFiles['model.safetensors'] as Uint8Array;
  const { header } = headerOf(safetensors);
  const headerLength = Number(new DataView(safetensors.buffer, safetensors.byteOffset, 8).getBigUint64(0, true));
  const [b, e] = header['model.embed_tokens.weight'].data_offsets;
  const embedding = { begin: 8 + headerLength + b, end: 8 + headerLength + e, bytes: safetensors.subarray(8 + headerLength + b, 8 + headerLength + e) };

  let plan: (r: FaultRequest) => Fault | null | undefined | void = () => undefined;
  const seen: SeenRequest[] = [];
  const started = performance.now();
  const hub = await startLoopbackHub({
    root,
    faults: (r) => {
      seen.push({
        index: r.index,
        method: r.method,
        path: r.path,
        range: (r.headers.range as string | undefined) ?? null,
        ifRange: (r.headers['if-range'] as string | undefined) ?? null,
        at: performance.now() - started,
      });
      return plan(r);
    },
  });
  return {
    hub,
    url: hub.url,
    seen,
    reset(next = () => undefined) {
      plan = next;
      seen.length = 0;
    },
    modelFiles,
    embedding,
    corpusText,
    close: () => hub.close(),
  };
}

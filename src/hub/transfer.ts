/**
 * One byte range of one HTTP resource, delivered in order into a sink however often the connection breaks.
 * A reset, a stall or a body cut short resumes with a Range request from the first byte not yet written;
 * an answer from a different version of the file (another ETag, or a 200 to If-Range) throws away what
 * was written and starts over, so bytes of two versions are never spliced together.
 */
import { normaliseEtag } from './hubCacheLayout.ts';
import type { NetworkSettings } from './hubEnvironment.ts';
import { createRetryingFetch, describeNetworkError, isRetryableStatus, retryDelay, sleep } from './retryingFetch.ts';

export interface TransferSink {
  /** Appends bytes after those already written. */
  write(chunk: Uint8Array): Promise<void>;
  /** Forgets everything written: the resource changed under us. */
  reset(): Promise<void>;
}

export interface TransferRequest {
  url: string;
  headers?: Record<string, string>;
  start: number;
  /** Exclusive. Null: to the end of the resource, which is fetched with a plain GET when start is 0. */
  end: number | null;
  /** The resource's known identity; an X-Linked-Etag that differs means another version is being served. */
  expectedEtag?: string | null;
  /** The resource's known size, checked against the total of every Content-Range. */
  expectedSize?: number | null;
  settings: NetworkSettings;
  onBytes?: (n: number) => void;
  random?: () => number;
}

export interface TransferResult {
  bytes: number;
  /** The ETag the bytes were served under (normalised), when the server gave one. */
  etag: string | null;
}

/** The server answered with a status no retry will change (401, 403, 404, 416, ...). */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly errorCode: string | null,
  ) {
    super(`HTTP ${status}${errorCode ? ` (${errorCode})` : ''}`);
  }
}

/** Every try failed; the message says how often, how far it got and the last reason. */
export class TransferError extends Error {
  override name = 'TransferError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly bytes: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A server that answers Range requests with the whole file: retrying will not help. */
export class RangeNotSupportedError extends Error {
  override name = 'RangeNotSupportedError';
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

function etagOf(response: Response): { raw: string | null; value: string | null } {
  const raw = response.headers.get('etag');
  const linked = response.headers.get('x-linked-etag');
  const chosen = raw ?? linked;
  return { raw, value: chosen ? normaliseEtag(chosen) : null };
}

export async function transfer(request: TransferRequest, sink: TransferSink): Promise<TransferResult> {
  const { settings, start } = request;
  // Retries live here, where a resume knows the offset; the fetch itself only watches for stalls.
  const fetchOnce = createRetryingFetch({ ...settings, retries: 0 });
  let end = request.end;
  const wholeResource = start === 0 && request.end === null;
  let written = 0;
  let pinned: { raw: string | null; value: string | null } | null = null;
  let failures = 0;
  let restarts = 0;
  let attempts = 0;
  let lastProblem = '';

  const restart = async () => {
    await sink.reset();
    written = 0;
    pinned = null;
    if (wholeResource) end = null;
  };
  /** Counts a failed try; throws once they are used up, else waits before the next. */
  const failed = async (problem: string, response: Response | null = null, cause?: unknown) => {
    lastProblem = problem;
    failures++;
    if (failures > settings.retries) {
      const of = end !== null ? ` of ${end - start}` : '';
      throw new TransferError(`gave up after ${attempts} attempts (${written}${of} bytes received): ${problem}`, attempts, written, { cause });
    }
    await sleep(retryDelay(response, failures - 1, settings, request.random));
  };

  for (;;) {
    if (end !== null && start + written >= end) break;
    if (written > 0 && !(pinned as { value: string | null } | null)?.value) {
      // Without a validator a resumed body cannot be told apart from another version's: start over.
      restarts++;
      if (restarts > settings.retries) throw new TransferError(`gave up after ${attempts} attempts: ${lastProblem}`, attempts, written);
      await restart();
    }
    attempts++;
    const from = start + written;
    const headers: Record<string, string> = { ...request.headers, 'Accept-Encoding': 'identity' };
    const ranged = !(wholeResource && written === 0);
    if (ranged) headers.Range = `bytes=${from}-${end !== null ? end - 1 : ''}`;
    const ifRange = ranged && written > 0 && pinned?.raw && !pinned.raw.startsWith('W/') ? pinned.raw : null;
    if (ifRange) headers['If-Range'] = ifRange;

    let response: Response;
    try {
      response = await fetchOnce(request.url, { headers });
    } catch (error) {
      await failed(describeNetworkError(error), null, error);
      continue;
    }
    const drop = () => response.body?.cancel().catch(() => {});

    if (isRetryableStatus(response.status)) {
      await drop();
      await failed(`HTTP ${response.status}`, response);
      continue;
    }
    if (response.status !== 200 && response.status !== 206) {
      await drop();
      throw new HttpStatusError(request.url, response.status, response.headers.get('x-error-code'));
    }

    const linked = response.headers.get('x-linked-etag');
    if (request.expectedEtag && linked && normaliseEtag(linked) !== request.expectedEtag) {
      await drop();
      await failed(`the server sends another version of the file (X-Linked-Etag ${normaliseEtag(linked)}, expected ${request.expectedEtag})`, response);
      continue;
    }
    const validator = etagOf(response);

    if (response.status === 206) {
      const range = CONTENT_RANGE.exec(response.headers.get('content-range') ?? '');
      const total = range && range[3] !== '*' ? Number(range[3]) : null;
      if (!range || Number(range[1]) !== from || (end !== null && Number(range[2]) !== end - 1)) {
        await drop();
        await failed(`asked for bytes ${from}-${end !== null ? end - 1 : ''} and got "${response.headers.get('content-range')}"`, response);
        continue;
      }
      if (request.expectedSize != null && total !== null && total !== request.expectedSize) {
        await drop();
        await failed(`the file is ${total} bytes on the server, expected ${request.expectedSize}`, response);
        continue;
      }
      if (pinned?.value && validator.value && validator.value !== pinned.value) {
        // Another version: what we have belongs to the old one, so it goes.
        await drop();
        restarts++;
        lastProblem = `the file changed during the download (ETag ${pinned.value}, then ${validator.value})`;
        if (restarts > settings.retries) throw new TransferError(`gave up after ${attempts} attempts: ${lastProblem}`, attempts, 0);
        await restart();
        continue;
      }
      end ??= Number(range[2]) + 1;
    } else if (!ranged) {
      const length = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(length)) end = length;
    } else if (ifRange || wholeResource) {
      // A 200 to If-Range is the server saying the file changed; a 200 to a plain resume of a whole
      // download is a server without Range support. Either way this body is the new whole file.
      restarts++;
      if (restarts > settings.retries) {
        await drop();
        throw new TransferError(`gave up after ${attempts} attempts: the file kept changing during the download`, attempts, 0);
      }
      await restart();
      if (!wholeResource) {
        await drop();
        continue;
      }
      const length = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(length)) end = length;
    } else {
      await drop();
      throw new RangeNotSupportedError(`the server ignored the Range request (HTTP 200)`);
    }
    pinned ??= validator;

    const before = written;
    try {
      if (!response.body) throw new Error('the response has no body');
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const room = end !== null ? end - (start + written) : chunk.length;
        await sink.write(room < chunk.length ? chunk.subarray(0, room) : chunk);
        const n = Math.min(room, chunk.length);
        written += n;
        request.onBytes?.(n);
        if (room < chunk.length) throw new Error(`the server sent more than the ${end! - from} bytes asked for`);
      }
      if (end === null) break; // no length given: a clean end of the body is the end
      if (start + written < end) throw new Error(`the connection closed after ${start + written - from} of ${end - from} bytes`);
    } catch (error) {
      await drop();
      // Progress earns a fresh set of retries: a long download over a flaky link should not die of many
      // small, individually recovered, interruptions.
      if (written > before) failures = 0;
      await failed(describeNetworkError(error), null, error);
      continue;
    }
  }
  return { bytes: written, etag: (pinned as { value: string | null } | null)?.value ?? null };
}

/** Collects a transfer in memory (for small ranges such as a safetensors header). */
export function memorySink(): TransferSink & { bytes(): Uint8Array } {
  let chunks: Uint8Array[] = [];
  return {
    async write(chunk) {
      chunks.push(chunk.slice());
    },
    async reset() {
      chunks = [];
    },
    bytes() {
      return Buffer.concat(chunks);
    },
  };
}

/**
 * fetch for a flaky network: idempotent requests that fail with a network error, a 5xx or a 429 are tried
 * again after a jittered exponential backoff (or the server's Retry-After, capped), and a server that goes
 * quiet for `stallTimeoutMs` is aborted instead of being waited on forever. A keep-alive socket closed by
 * the server after long CPU work is the everyday case; a reset, a stalled CDN node or a rate limit the
 * rarer ones.
 */
import { DEFAULT_NETWORK, type NetworkSettings } from './hubEnvironment.ts';

export interface RetryOptions extends Partial<NetworkSettings> {
  /** Called with each response that is handed back, e.g. to read headers the Hub client does not expose. */
  onResponse?: (url: string, response: Response) => void;
  /**
   * Read the body inside the retry loop, so that one cut off mid-way is retried too. Only for small bodies
   * (API answers): bodies without a Content-Length, or above 16 MB, are streamed as usual.
   */
  bufferBodies?: boolean;
  /** For tests: replaces Math.random in the jitter. */
  random?: () => number;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export const isRetryableStatus = (status: number): boolean => RETRYABLE_STATUS.has(status);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Backoff before retry number `attempt` (0-based): exponential, capped, and spread over its upper half so
 * that many clients cut off at once (a CDN hiccup during a CI matrix) do not come back in lockstep.
 */
export function backoffDelay(attempt: number, settings: Pick<NetworkSettings, 'retryDelayMs' | 'maxRetryDelayMs'>, random = Math.random): number {
  const ceiling = Math.min(settings.maxRetryDelayMs, settings.retryDelayMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

/** The wait a 429/503 asks for (seconds or an HTTP date), capped; null when there is none. */
export function retryAfterMs(response: Response, capMs: number = DEFAULT_NETWORK.maxRetryAfterMs): number | null {
  const header = response.headers.get('retry-after')?.trim();
  if (!header) return null;
  const seconds = /^\d+(\.\d+)?$/.test(header) ? Number(header) : NaN;
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, capMs);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.min(Math.max(0, date - Date.now()), capMs) : null;
}

/** The delay before the next try after `response` (Retry-After when given, else the backoff). */
export function retryDelay(response: Response | null, attempt: number, settings: NetworkSettings, random = Math.random): number {
  return (response && retryAfterMs(response, settings.maxRetryAfterMs)) ?? backoffDelay(attempt, settings, random);
}

/** Raised when a server sends no byte for the stall timeout; the request was aborted. */
export class StallError extends Error {
  override name = 'StallError';
  constructor(readonly ms: number) {
    super(`no data for ${ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s` : `${ms} ms`} (stalled)`);
  }
}

/** The last error of a request that kept failing; `attempts` says how often it was tried. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A readable reason for a failed fetch: undici hides the useful part ("ECONNRESET") in `cause`. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof StallError || error instanceof NetworkError) return error.message;
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : null;
  if (cause instanceof StallError) return cause.message;
  const code = (cause as NodeJS.ErrnoException | null)?.code ?? (error as NodeJS.ErrnoException).code;
  const detail = cause && cause.message !== error.message ? ` (${cause.message})` : '';
  return `${error.message}${detail}${code && !`${error.message}${detail}`.includes(code) ? ` [${code}]` : ''}`;
}

/** How many times the request behind a response was sent (1 = no retries). */
const attemptCounts = new WeakMap<Response, number>();
export const attemptsOf = (response: Response): number => attemptCounts.get(response) ?? 1;

/**
 * Aborts `controller` when `ms` pass without activity. Armed only while we wait on the network (for the
 * headers, then for each chunk), so a slow consumer never counts as a stalled server.
 */
function stallWatchdog(controller: AbortController, ms: number) {
  let timer: NodeJS.Timeout | null = null;
  let fired: StallError | null = null;
  return {
    arm() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        fired = new StallError(ms);
        controller.abort(fired);
      }, ms);
      // A body nobody reads must not keep the process alive until the timer fires.
      timer.unref();
    },
    disarm() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
    get fired() {
      return fired;
    },
  };
}

/** The same response with a body that errors with a StallError when the server goes quiet. */
function watchBody(response: Response, watchdog: ReturnType<typeof stallWatchdog>): Response {
  if (!response.body || NULL_BODY_STATUS.has(response.status)) {
    watchdog.disarm();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      watchdog.arm();
      try {
        const { done, value } = await reader.read();
        watchdog.disarm();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        watchdog.disarm();
        controller.error(watchdog.fired ?? error);
      }
    },
    cancel(reason) {
      watchdog.disarm();
      return reader.cancel(reason);
    },
  });
  const wrapped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  // The Hub client reads `url` (where a redirect ended); a constructed Response has none.
  Object.defineProperty(wrapped, 'url', { value: response.url });
  Object.defineProperty(wrapped, 'redirected', { value: response.redirected });
  return wrapped;
}

async function bufferBody(response: Response): Promise<Response> {
  const bytes = await response.arrayBuffer();
  const copy = new Response(NULL_BODY_STATUS.has(response.status) ? null : bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(copy, 'url', { value: response.url });
  Object.defineProperty(copy, 'redirected', { value: response.redirected });
  return copy;
}

/** AbortSignal.any, which Node has only from 20.3. */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const both = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) both.abort(s.reason);
    else s.addEventListener('abort', () => both.abort(s.reason), { once: true });
  }
  return both.signal;
}

export function createRetryingFetch(options: RetryOptions = {}): typeof fetch {
  const settings: NetworkSettings = {
    ...DEFAULT_NETWORK,
    ...Object.fromEntries(Object.entries(options).filter(([k, v]) => k in DEFAULT_NETWORK && v !== undefined)),
  };
  const random = options.random ?? Math.random;
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const idempotent = method === 'GET' || method === 'HEAD';
    const retries = idempotent ? settings.retries : 0;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const callerSignal = init?.signal ?? undefined;
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const watchdog = stallWatchdog(controller, settings.stallTimeoutMs);
      const signal = callerSignal ? anySignal(callerSignal, controller.signal) : controller.signal;
      let response: Response;
      try {
        watchdog.arm();
        response = watchBody(await fetch(input, { ...init, signal }), watchdog);
        if (options.bufferBodies) {
          const length = Number(response.headers.get('content-length') ?? NaN);
          if (Number.isFinite(length) && length <= MAX_BUFFERED_BYTES) response = await bufferBody(response);
        }
      } catch (error) {
        watchdog.disarm();
        if (callerSignal?.aborted) throw error;
        const reason = watchdog.fired ?? error;
        if (attempt >= retries) {
          throw new NetworkError(
            `${method} ${url} failed${attempt > 0 ? ` ${attempt + 1} times` : ''}: ${describeNetworkError(reason)}`,
            attempt + 1,
            { cause: reason },
          );
        }
        await sleep(backoffDelay(attempt, settings, random));
        continue;
      }
      if (RETRYABLE_STATUS.has(response.status) && attempt < retries) {
        const wait = retryDelay(response, attempt, settings, random);
        await response.body?.cancel().catch(() => {});
        await sleep(wait);
        continue;
      }
      attemptCounts.set(response, attempt + 1);
      options.onResponse?.(url, response);
      return response;
    }
  };
}

/**
 * fetch with retries for idempotent requests: a keep-alive socket closed by the server after long CPU work,
 * a connection reset, 5xx and 429 (honouring Retry-After) are retried with exponential backoff.
 */
export interface RetryOptions {
  retries?: number;
  /** First backoff delay in ms; doubles each try. */
  baseDelayMs?: number;
  /** Called with each response, e.g. to read headers the Hub client does not expose. */
  onResponse?: (url: string, response: Response) => void;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterMs(response: Response): number | null {
  const header = response.headers.get('retry-after');
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, 60_000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.min(Math.max(0, date - Date.now()), 60_000) : null;
}

export function createRetryingFetch(options: RetryOptions = {}): typeof fetch {
  const retries = options.retries ?? 4;
  const base = options.baseDelayMs ?? 500;
  return async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const idempotent = method === 'GET' || method === 'HEAD';
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(input, init);
      } catch (error) {
        if (!idempotent || attempt >= retries || init?.signal?.aborted) throw error;
        await sleep(base * 2 ** attempt);
        continue;
      }
      if (idempotent && RETRYABLE_STATUS.has(response.status) && attempt < retries) {
        const wait = retryAfterMs(response) ?? base * 2 ** attempt;
        await response.body?.cancel();
        await sleep(wait);
        continue;
      }
      options.onResponse?.(url, response);
      return response;
    }
  };
}

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TokenscapeError } from '../errors.ts';

/** How hard downloads try before giving up. */
export interface NetworkSettings {
  /** Further tries of a request or transfer that fails without making progress. */
  retries: number;
  /** Backoff before the first retry; it doubles on each further one, with random jitter. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** A server's Retry-After is honoured up to this long. */
  maxRetryAfterMs: number;
  /** No byte for this long and the request is aborted and resumed. */
  stallTimeoutMs: number;
}

export const DEFAULT_NETWORK: NetworkSettings = {
  retries: 5,
  retryDelayMs: 500,
  maxRetryDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  stallTimeoutMs: 30_000,
};

/** Where the Hub is and how to talk to it, read from the same variables Python's huggingface_hub reads. */
export interface HubEnvironment {
  /** Base URL without a trailing slash (HF_ENDPOINT, default https://huggingface.co). */
  endpoint: string;
  token: string | null;
  /** The standard hub cache folder (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir: string;
  /** HF_HUB_OFFLINE=1: only the cache is used; a missing file is an error. */
  offline: boolean;
  /**
   * TOKENSCAPE_URL_MIRROR: corpora given as `{ url }` are read from `${mirror}/${host}/${path}` instead,
   * for air-gapped builds (and the tests' loopback server).
   */
  urlMirror: string | null;
  /** Overrides of DEFAULT_NETWORK (TOKENSCAPE_STALL_TIMEOUT_MS, TOKENSCAPE_RETRIES, TOKENSCAPE_RETRY_DELAY_MS). */
  network?: Partial<NetworkSettings>;
}

export function networkSettings(env: Pick<HubEnvironment, 'network'>): NetworkSettings {
  return { ...DEFAULT_NETWORK, ...env.network };
}

function numberVariable(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new TokenscapeError(`${name}=${raw} is not a number ≥ ${min}.`, { hint: `Unset ${name} to use the default.` });
  }
  return value;
}

const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());

export function hubEnvironment(env: NodeJS.ProcessEnv = process.env): HubEnvironment {
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  const cacheDir = env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(hfHome, 'hub');
  let token = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? null;
  if (!token) {
    // `huggingface-cli login` stores the token here.
    const tokenFile = env.HF_TOKEN_PATH ?? join(hfHome, 'token');
    if (existsSync(tokenFile)) token = readFileSync(tokenFile, 'utf8').trim() || null;
  }
  return {
    endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    token,
    cacheDir,
    offline: truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE),
    urlMirror: env.TOKENSCAPE_URL_MIRROR ? env.TOKENSCAPE_URL_MIRROR.replace(/\/+$/, '') : null,
    network: Object.fromEntries(
      Object.entries({
        stallTimeoutMs: numberVariable(env, 'TOKENSCAPE_STALL_TIMEOUT_MS', 1),
        retries: numberVariable(env, 'TOKENSCAPE_RETRIES', 0),
        retryDelayMs: numberVariable(env, 'TOKENSCAPE_RETRY_DELAY_MS', 0),
      }).filter(([, v]) => v !== undefined),
    ) as Partial<NetworkSettings>,
  };
}

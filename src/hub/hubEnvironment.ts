import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
  };
}

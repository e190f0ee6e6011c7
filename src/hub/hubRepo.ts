/**
 * One repository on the Hub (or only in the local hub cache when offline), pinned to a commit.
 * Whole files go to the standard hub cache; byte ranges (a safetensors header, one tensor) are read
 * without downloading the file around them.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { datasetInfo, fileDownloadInfo, HubApiError, modelInfo } from '@huggingface/hub';
import { TokenscapeError } from '../errors.ts';
import { startProgress } from './downloadProgress.ts';
import type { HubEnvironment } from './hubEnvironment.ts';
import {
  COMMIT_SHA,
  blobPath,
  linkSnapshot,
  normaliseEtag,
  readCachedRef,
  repoCacheFolder,
  snapshotPath,
  writeCachedRef,
  type RepoType,
} from './hubCacheLayout.ts';
import { createRetryingFetch } from './retryingFetch.ts';

export interface RemoteFileInfo {
  size: number;
  /** Content identity: sha256 for LFS files, git blob sha1 otherwise. */
  etag: string;
}

export class HubRepo {
  private readonly infoCache = new Map<string, RemoteFileInfo>();

  private constructor(
    readonly env: HubEnvironment,
    readonly type: RepoType,
    readonly id: string,
    readonly revision: string,
    readonly commit: string,
    /** Files in the repo at that commit (offline: the files the cache has). */
    readonly files: string[],
    private readonly fetchImpl: typeof fetch,
    private readonly lastErrorCode: () => string | null,
  ) {}

  get folder(): string {
    return repoCacheFolder(this.env.cacheDir, this.type, this.id);
  }

  get label(): string {
    return this.type === 'dataset' ? `dataset ${this.id}` : this.id;
  }

  /** Resolves the revision to a commit (one small API call online; the cached ref offline). */
  static async open(env: HubEnvironment, type: RepoType, id: string, revision = 'main'): Promise<HubRepo> {
    let errorCode: string | null = null;
    const fetchImpl = createRetryingFetch({
      onResponse: (_url, response) => {
        errorCode = response.ok ? null : response.headers.get('x-error-code');
      },
    });
    const folder = repoCacheFolder(env.cacheDir, type, id);
    if (env.offline) {
      const commit = await readCachedRef(folder, revision);
      if (!commit || !existsSync(snapshotPath(folder, commit, ''))) {
        throw new TokenscapeError(
          `HF_HUB_OFFLINE is set and ${type} ${id} (revision ${revision}) is not in the hub cache at ${env.cacheDir}.`,
          { hint: 'Run the build once with network access (or unset HF_HUB_OFFLINE), or point HF_HOME / HF_HUB_CACHE at a cache that has it.' },
        );
      }
      const snapshot = snapshotPath(folder, commit, '');
      const cachedFiles = (await readdir(snapshot, { recursive: true, withFileTypes: true }))
        .filter((entry) => !entry.isDirectory())
        .map((entry) => relative(snapshot, join(entry.parentPath, entry.name)).split(sep).join('/'));
      return new HubRepo(env, type, id, revision, commit, cachedFiles, fetchImpl, () => errorCode);
    }
    const params = {
      name: id,
      revision,
      hubUrl: env.endpoint,
      accessToken: env.token ?? undefined,
      fetch: fetchImpl,
      additionalFields: ['sha', 'siblings'] as const,
    };
    let info: { sha?: string; siblings?: { rfilename: string }[] };
    try {
      info = (type === 'model' ? await modelInfo(params as never) : await datasetInfo(params as never)) as typeof info;
    } catch (error) {
      throw describeHubError(error, env, type, id, revision, errorCode);
    }
    if (!info.sha || !COMMIT_SHA.test(info.sha)) {
      throw new TokenscapeError(`The Hub at ${env.endpoint} gave no commit for ${type} ${id} at ${revision}.`);
    }
    await writeCachedRef(folder, revision, info.sha);
    const files = (info.siblings ?? []).map((s) => s.rfilename);
    return new HubRepo(env, type, id, revision, info.sha, files, fetchImpl, () => errorCode);
  }

  /** Whether the repo has this file at the commit. */
  has(path: string): boolean {
    return this.files.includes(path);
  }

  /** The full file in the hub cache, if it is there. */
  cachedFile(path: string): string | null {
    const p = snapshotPath(this.folder, this.commit, path);
    return existsSync(p) ? p : null;
  }

  async fileInfo(path: string): Promise<RemoteFileInfo> {
    const known = this.infoCache.get(path);
    if (known) return known;
    const cached = this.cachedFile(path);
    let info: RemoteFileInfo;
    if (cached) {
      // The blob is named by its etag, so a cached file needs no request to be identified.
      const etag = basename(await readlink(cached).catch(() => cached));
      info = { size: (await stat(cached)).size, etag };
    } else {
      this.requireOnline(path);
      let remote;
      try {
        remote = await fileDownloadInfo({ ...this.hubParams(), path });
      } catch (error) {
        throw describeHubError(error, this.env, this.type, this.id, this.revision, this.lastErrorCode());
      }
      if (!remote) throw this.missing(path);
      info = { size: remote.size, etag: normaliseEtag(remote.etag) };
    }
    this.infoCache.set(path, info);
    return info;
  }

  /** Downloads a whole file into the hub cache (if not there yet) and returns its path. */
  async fetchFile(path: string): Promise<string> {
    const cached = this.cachedFile(path);
    if (cached) return cached;
    const info = await this.fileInfo(path);
    const blob = blobPath(this.folder, info.etag);
    if (!existsSync(blob)) {
      await mkdir(dirname(blob), { recursive: true });
      const incomplete = `${blob}.incomplete`;
      await rm(incomplete, { force: true });
      await this.streamRange(path, 0, info.size, incomplete, `${this.label}/${path}`);
      await verifyDownloadedFile(incomplete, info, `${this.label}/${path}`);
      await rename(incomplete, blob);
    }
    return linkSnapshot(this.folder, this.commit, path, info.etag);
  }

  /** A small byte range (e.g. a safetensors header), from the cache when the file is there. */
  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    const cached = this.cachedFile(path);
    if (cached) return readLocalRange(cached, start, end);
    const response = await this.requestRange(path, start, end);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== end - start) {
      throw new TokenscapeError(
        `Asked ${this.env.endpoint} for bytes ${start}-${end - 1} of ${this.label}/${path} and got ${bytes.length} bytes.`,
        { hint: 'Run the build again; if it persists, the server or a proxy is not honouring HTTP Range requests.' },
      );
    }
    return bytes;
  }

  /**
   * Streams bytes [start, end) of a file into `dest` (callers write to a temp name and rename).
   * A broken transfer resumes with a new Range request from where it stopped.
   */
  async streamRange(path: string, start: number, end: number, dest: string, label: string): Promise<void> {
    await rm(dest, { force: true });
    const cached = this.cachedFile(path);
    if (cached) {
      await pipeline(createReadStream(cached, { start, end: end - 1 }), createWriteStream(dest));
      return;
    }
    const total = end - start;
    const progress = startProgress(label, total);
    let written = 0;
    for (let attempt = 0; written < total; attempt++) {
      try {
        const response = await this.requestRange(path, start + written, end);
        if (!response.body) throw new Error('the response has no body');
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            written += chunk.length;
            if (written > total) return callback(new Error(`the server sent more than the ${total} bytes asked for`));
            progress.update(chunk.length);
            callback(null, chunk);
          },
        });
        await pipeline(Readable.fromWeb(response.body as never), counter, createWriteStream(dest, { flags: 'a' }));
        if (written < total) throw new Error(`the transfer stopped after ${written} of ${total} bytes`);
      } catch (error) {
        if (error instanceof TokenscapeError || attempt >= 5) {
          throw describeHubError(error, this.env, this.type, this.id, this.revision, this.lastErrorCode());
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
    progress.done();
  }

  /** GET with a Range header; anything but 206 with exactly that range is an error (a 200 would be the whole file). */
  private async requestRange(path: string, start: number, end: number): Promise<Response> {
    this.requireOnline(path);
    const headers: Record<string, string> = { Range: `bytes=${start}-${end - 1}` };
    if (this.env.token) headers.Authorization = `Bearer ${this.env.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.resolveUrl(path), { headers });
    } catch (error) {
      throw describeHubError(error, this.env, this.type, this.id, this.revision, null);
    }
    if (response.status === 206) {
      const range = response.headers.get('content-range');
      if (!range || !range.startsWith(`bytes ${start}-${end - 1}/`)) {
        await response.body?.cancel();
        throw new TokenscapeError(`${this.env.endpoint} answered the range ${start}-${end - 1} of ${this.label}/${path} with "${range}".`);
      }
      return response;
    }
    await response.body?.cancel();
    if (response.ok) {
      throw new TokenscapeError(`${this.env.endpoint} ignored the Range request for ${this.label}/${path} (HTTP ${response.status}).`, {
        hint: 'Tokenscape reads only the embedding bytes and needs a server that supports HTTP Range.',
      });
    }
    const apiError = new HubApiError(response.url, response.status, undefined, `HTTP ${response.status}`);
    throw describeHubError(apiError, this.env, this.type, this.id, this.revision, response.headers.get('x-error-code'));
  }

  private resolveUrl(path: string): string {
    const prefix = this.type === 'dataset' ? 'datasets/' : '';
    return `${this.env.endpoint}/${prefix}${this.id}/resolve/${this.commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  private hubParams() {
    return {
      repo: { type: this.type, name: this.id },
      revision: this.commit,
      hubUrl: this.env.endpoint,
      accessToken: this.env.token ?? undefined,
      fetch: this.fetchImpl,
    };
  }

  private requireOnline(path: string): void {
    if (this.env.offline) {
      throw new TokenscapeError(
        `HF_HUB_OFFLINE is set and ${path} of ${this.label} (commit ${this.commit.slice(0, 10)}) is not in the hub cache at ${this.env.cacheDir}.`,
        { hint: 'Run the build once with network access (or unset HF_HUB_OFFLINE).' },
      );
    }
  }

  private missing(path: string): TokenscapeError {
    return new TokenscapeError(`${this.label} has no file ${path} at ${this.revision} (${this.commit.slice(0, 10)}).`);
  }
}

async function readLocalRange(file: string, start: number, end: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const out = new Uint8Array(end - start);
    const { bytesRead } = await handle.read(out, 0, out.length, start);
    if (bytesRead !== out.length) {
      throw new TokenscapeError(`${file} ends before byte ${end} (the file is ${start + bytesRead} bytes).`, { file });
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** A wrong or partial file never enters the cache: size always, sha256 when the etag is one. */
async function verifyDownloadedFile(file: string, info: RemoteFileInfo, label: string): Promise<void> {
  const size = (await stat(file)).size;
  if (size !== info.size) {
    await rm(file, { force: true });
    throw new TokenscapeError(`Download of ${label} has ${size} bytes, the Hub says ${info.size}.`, { hint: 'Run the build again.' });
  }
  if (/^[0-9a-f]{64}$/.test(info.etag)) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(file), hash);
    const digest = hash.digest('hex');
    if (digest !== info.etag) {
      await rm(file, { force: true });
      throw new TokenscapeError(`Download of ${label} is corrupted: sha256 ${digest}, expected ${info.etag}.`, { hint: 'Run the build again.' });
    }
  }
}

export function describeHubError(
  error: unknown,
  env: HubEnvironment,
  type: RepoType,
  id: string,
  revision: string,
  errorCode: string | null,
): TokenscapeError {
  if (error instanceof TokenscapeError) return error;
  const what = type === 'dataset' ? `dataset ${id}` : `model ${id}`;
  const page = `${env.endpoint}/${type === 'dataset' ? 'datasets/' : ''}${id}`;
  if (error instanceof HubApiError) {
    const status = error.statusCode;
    if (status === 401 || status === 403 || errorCode === 'GatedRepo') {
      return new TokenscapeError(`Access to ${what} is restricted (HTTP ${status}${errorCode ? `, ${errorCode}` : ''}).`, {
        hint: env.token
          ? `Your HF_TOKEN was refused: accept the licence on ${page} with the account that owns the token, and check the token has read access.`
          : `It is a gated or private repository: accept the licence on ${page}, create a read token at https://huggingface.co/settings/tokens and set HF_TOKEN.`,
      });
    }
    if (status === 404) {
      if (errorCode === 'RevisionNotFound') {
        return new TokenscapeError(`${what} has no revision "${revision}".`, { hint: `Check the branch, tag or commit on ${page}.` });
      }
      if (errorCode === 'EntryNotFound') return new TokenscapeError(`A file was not found in ${what} at ${revision}.`);
      return new TokenscapeError(`${what} was not found on ${env.endpoint}.`, {
        hint: `Check the id (it is case-sensitive); a private repository also needs HF_TOKEN.`,
      });
    }
    return new TokenscapeError(`The Hub answered HTTP ${status} for ${what}: ${error.message}`);
  }
  const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
  return new TokenscapeError(`Could not reach ${env.endpoint} for ${what}: ${message}`, {
    hint: 'Check the network or HF_ENDPOINT; set HF_HUB_OFFLINE=1 to build from the hub cache only.',
  });
}

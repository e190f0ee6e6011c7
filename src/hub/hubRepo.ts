/**
 * One repository on the Hub (or only in the local hub cache when offline), pinned to a commit.
 * Whole files go to the standard hub cache; byte ranges (a safetensors header, one tensor) are read
 * without downloading the file around them.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { HubApiError as HubApiErrorType } from '@huggingface/hub';
import { TokenscapeError } from '../errors.ts';
import { TEMP_MARK } from '../pipeline/workspace.ts';
import { readFileRange, writeAllAt } from '../readFileRange.ts';
import { startProgress } from './downloadProgress.ts';
import { networkSettings, type HubEnvironment, type NetworkSettings } from './hubEnvironment.ts';
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
import { discardResumable, journalPathOf, openResumable, ResumedPrefixInvalid } from './resumableRange.ts';
import { createRetryingFetch, describeNetworkError, NetworkError } from './retryingFetch.ts';
import { HttpStatusError, memorySink, RangeNotSupportedError, transfer, TransferError, type TransferSink } from './transfer.ts';

/**
 * @huggingface/hub is loaded on the first Hub request, not at start-up: a gallery of local model folders never
 * needs it. Its error class is remembered for `describeHubError` (no HubApiError exists before it loads).
 */
let HubApiError: typeof HubApiErrorType | null = null;
async function hubLibrary() {
  const library = await import('@huggingface/hub');
  HubApiError = library.HubApiError;
  return library;
}

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
  ) {
    this.network = networkSettings(env);
  }

  private readonly network: NetworkSettings;

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
      ...networkSettings(env),
      // API answers are small: reading them inside the retry loop makes a body cut short a retry, not an error.
      bufferBodies: true,
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
      const { datasetInfo, modelInfo } = await hubLibrary();
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
        const { fileDownloadInfo } = await hubLibrary();
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

  /**
   * Downloads a whole file into the hub cache (if not there yet) and returns its path. The blob is written
   * as `<etag>.incomplete` and renamed only once its size and hash match the Hub's, so a wrong or partial
   * file never enters the cache. A hash mismatch (a proxy that corrupts bytes) is downloaded again.
   */
  async fetchFile(path: string): Promise<string> {
    const cached = this.cachedFile(path);
    if (cached) return cached;
    const info = await this.fileInfo(path);
    const blob = blobPath(this.folder, info.etag);
    if (!existsSync(blob)) {
      await mkdir(dirname(blob), { recursive: true });
      const incomplete = `${blob}.incomplete`;
      const label = `${this.label}/${path}`;
      for (let round = 0; ; round++) {
        await rm(incomplete, { force: true });
        await this.streamRange(path, 0, info.size, incomplete, label);
        try {
          await verifyDownloadedFile(incomplete, info, label);
          break;
        } catch (error) {
          if (round >= VERIFY_ROUNDS - 1) throw error;
        }
      }
      await rename(incomplete, blob);
    }
    return linkSnapshot(this.folder, this.commit, path, info.etag);
  }

  /** A small byte range (e.g. a safetensors header), from the cache when the file is there. */
  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    const cached = this.cachedFile(path);
    if (cached) return readFileRange(cached, start, end);
    const sink = memorySink();
    await this.transfer(path, start, end, sink);
    const bytes = sink.bytes();
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
   * A broken, stalled or cut-short transfer resumes with a new Range request from where it stopped;
   * the result is checked to be exactly end - start bytes.
   */
  async streamRange(path: string, start: number, end: number, dest: string, label: string): Promise<void> {
    await rm(dest, { force: true });
    const cached = this.cachedFile(path);
    if (cached) {
      await pipeline(createReadStream(cached, { start, end: end - 1 }), createWriteStream(dest));
      return;
    }
    const marked = dest.indexOf(TEMP_MARK);
    if (marked >= 0) {
      // A temp destination (produceAtomically) has a stable name to resume from across runs.
      await this.streamRangeResumable(path, start, end, dest, `${dest.slice(0, marked)}.incomplete`, label);
      return;
    }
    const progress = startProgress(label, end - start);
    const handle = await open(dest, 'w');
    let position = 0;
    const sink: TransferSink = {
      async write(chunk) {
        await writeAllAt(handle, chunk, position);
        position += chunk.length;
      },
      async reset() {
        await handle.truncate(0);
        position = 0;
      },
    };
    try {
      await this.transfer(path, start, end, sink, (n) => progress.update(n));
    } catch (error) {
      await handle.close();
      await rm(dest, { force: true });
      throw error;
    }
    await handle.close();
    const size = (await stat(dest)).size;
    if (size !== end - start) {
      await rm(dest, { force: true });
      throw new TokenscapeError(`Download of bytes ${start}-${end - 1} of ${label} has ${size} bytes, expected ${end - start}.`, {
        hint: 'Run the build again.',
      });
    }
    progress.done();
  }

  /**
   * streamRange through a stable `.incomplete` file and its journal (resumableRange.ts): a run that was killed
   * leaves them, and the next run continues from the verified bytes if the file's ETag is still the same.
   */
  private async streamRangeResumable(path: string, start: number, end: number, dest: string, partial: string, label: string): Promise<void> {
    const info = await this.fileInfo(path);
    const id = { source: `${this.type} ${this.id}@${this.commit}/${path}`, start, end, etag: info.etag };
    for (let attempt = 0; ; attempt++) {
      const range = await openResumable(partial, id);
      const progress = startProgress(range.resumedBytes > 0 ? `${label} (resuming after ${range.resumedBytes} bytes)` : label, end - start - range.resumedBytes);
      try {
        if (start + range.resumedBytes < end) await this.transfer(path, start + range.resumedBytes, end, range.sink, (n) => progress.update(n));
      } catch (error) {
        await range.close();
        if (error instanceof ResumedPrefixInvalid && attempt === 0) {
          await discardResumable(partial);
          continue;
        }
        throw error; // what arrived stays, journalled, for the next run
      }
      await range.close();
      const size = (await stat(partial)).size;
      if (size !== end - start) {
        await discardResumable(partial);
        throw new TokenscapeError(`Download of bytes ${start}-${end - 1} of ${label} has ${size} bytes, expected ${end - start}.`, { hint: 'Run the build again.' });
      }
      await rename(partial, dest);
      await rm(journalPathOf(partial), { force: true });
      progress.done();
      return;
    }
  }

  /** Runs one resumable range transfer, turning its failures into errors a user can act on. */
  private async transfer(path: string, start: number, end: number, sink: TransferSink, onBytes?: (n: number) => void): Promise<void> {
    this.requireOnline(path);
    const headers: Record<string, string> = {};
    if (this.env.token) headers.Authorization = `Bearer ${this.env.token}`;
    // When the file's identity is known, every answer is checked against it (X-Linked-Etag, total size).
    const info = this.infoCache.get(path);
    try {
      await transfer(
        { url: this.resolveUrl(path), headers, start, end, expectedEtag: info?.etag ?? null, expectedSize: info?.size ?? null, settings: this.network, onBytes },
        sink,
      );
    } catch (error) {
      if (error instanceof ResumedPrefixInvalid) throw error;
      const what = `bytes ${start}-${end - 1} of ${this.label}/${path}`;
      if (error instanceof HttpStatusError) {
        const { HubApiError: ApiError } = await hubLibrary();
        const apiError = new ApiError(error.url, error.status, undefined, `HTTP ${error.status}`);
        throw describeHubError(apiError, this.env, this.type, this.id, this.revision, error.errorCode);
      }
      if (error instanceof RangeNotSupportedError) {
        throw new TokenscapeError(`${this.env.endpoint} ignored the Range request for ${this.label}/${path} (HTTP 200).`, {
          hint: 'Tokenscape reads only the embedding bytes and needs a server that supports HTTP Range.',
        });
      }
      if (error instanceof TransferError) {
        throw new TokenscapeError(`Could not download ${what} from ${this.env.endpoint}: ${error.message}.`, {
          hint: 'The connection kept failing; run the build again (an embedding download resumes from the verified bytes already received; set HF_HUB_OFFLINE=1 to build from the cache alone).',
        });
      }
      throw describeHubError(error, this.env, this.type, this.id, this.revision, null);
    }
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

/** How often a whole file whose hash does not match is downloaded before giving up. */
const VERIFY_ROUNDS = 3;

async function hashFile(file: string, algorithm: string, prefix?: string): Promise<string> {
  const hash = createHash(algorithm);
  if (prefix !== undefined) hash.update(prefix);
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * A wrong or partial file never enters the cache: size always, and the content against the etag, which is
 * the sha256 for LFS files and the git blob sha1 (`sha1("blob <size>\0" + content)`) for the others.
 */
async function verifyDownloadedFile(file: string, info: RemoteFileInfo, label: string): Promise<void> {
  const size = (await stat(file)).size;
  const reject = async (message: string) => {
    await rm(file, { force: true });
    throw new TokenscapeError(message, { hint: 'It was not kept. Run the build again; if it persists, a proxy between you and the Hub is altering downloads.' });
  };
  if (size !== info.size) await reject(`Download of ${label} has ${size} bytes, the Hub says ${info.size}.`);
  if (/^[0-9a-f]{64}$/.test(info.etag)) {
    const digest = await hashFile(file, 'sha256');
    if (digest !== info.etag) await reject(`Download of ${label} is corrupted: sha256 ${digest}, expected ${info.etag}.`);
  } else if (/^[0-9a-f]{40}$/.test(info.etag)) {
    const blobSha = await hashFile(file, 'sha1', `blob ${size}\0`);
    // Some mirrors give the plain sha1 of the content instead of git's; that identifies it just as well.
    if (blobSha !== info.etag && (await hashFile(file, 'sha1')) !== info.etag) {
      await reject(`Download of ${label} is corrupted: git blob sha1 ${blobSha}, expected ${info.etag}.`);
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
  if (HubApiError && error instanceof HubApiError) {
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
    if (status === 429 || status >= 500) {
      return new TokenscapeError(`The Hub answered HTTP ${status} for ${what}, also on every retry: ${error.message}`, {
        hint: status === 429
          ? 'The Hub is rate-limiting this address; wait a few minutes (a token via HF_TOKEN gets a higher limit) and run the build again.'
          : 'The Hub or HF_ENDPOINT is having trouble; run the build again later. What was downloaded and verified is kept.',
      });
    }
    return new TokenscapeError(`The Hub answered HTTP ${status} for ${what}: ${error.message}`);
  }
  const message = describeNetworkError(error);
  return new TokenscapeError(`Could not reach ${env.endpoint} for ${what}: ${message}`, {
    hint: error instanceof NetworkError
      ? 'Check the network or HF_ENDPOINT (the request was retried with backoff); set HF_HUB_OFFLINE=1 to build from the hub cache only.'
      : 'Check the network or HF_ENDPOINT; set HF_HUB_OFFLINE=1 to build from the hub cache only.',
  });
}

/**
 * A Hugging Face Hub lookalike on 127.0.0.1, serving a folder tree, so that downloads can be
 * tested end to end (ranges, auth, errors, what was actually transferred) with no internet.
 *
 * Layout under `root`:
 *   models/<org>/<name>/...    (or models/<name>/...)  -> model repo
 *   datasets/<org>/<name>/...                          -> dataset repo
 *   urls/<host>/<path...>                              -> plain web files at /urls/<host>/<path>
 *
 * Deliberate differences from huggingface.co (kept small on purpose):
 * - LFS files are served directly (200/206) instead of a 302 to a CDN; the LFS headers
 *   (X-Linked-Etag, X-Linked-Size) are still there, so clients read size and etag the same way.
 * - A missing repo is 404 RepositoryNotFound (the real Hub answers 401 to anonymous callers
 *   so as not to reveal private repos).
 * - Only one revision exists per repo: `main` and its fixed commit sha.
 * - Directory oids in the tree API are stable stand-ins, not real git tree hashes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface LoopbackHubOptions {
  /** Folder holding `models/`, `datasets/` and `urls/`. */
  root: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * Repos that need `Authorization: Bearer <token>`. A plain id ("org/name") gates the model
   * repo; prefix it with "datasets/" to gate a dataset repo.
   */
  gated?: string[];
  /** The token that opens gated repos. Without one, gated repos cannot be opened at all. */
  token?: string;
  /**
   * Hash every file before listening. Etags need a full read of each file; doing that up front
   * keeps a multi-GB first request from paying for it inside a timing measurement.
   */
  prehash?: boolean;
  /**
   * Test hook for failure injection: called once per request, before it is served; what it returns
   * changes how that request is answered (see Fault). Return nothing to serve it normally.
   */
  faults?: (request: FaultRequest) => Fault | null | undefined | void;
}

export interface FaultRequest {
  /** 0-based position of this request since the server started. */
  index: number;
  method: string;
  /** Decoded pathname + search, as in the request log. */
  path: string;
  headers: http.IncomingHttpHeaders;
}

/** One way to answer a request wrongly, as networks, CDNs and proxies do. */
export interface Fault {
  /** Answer with this status (and `headers`, e.g. Retry-After) instead of serving the request. */
  status?: number;
  headers?: Record<string, string>;
  /** Body bytes sent normally before `then` happens (default 0). */
  afterBytes?: number;
  /**
   * reset: drop the connection (TCP RST); close: end it cleanly although Content-Length promised more
   * (a truncated body); stall: send nothing more and keep the connection open.
   */
  then?: 'reset' | 'close' | 'stall';
  /** Body offsets (counted from the first byte sent) whose bits are flipped: wrong bytes, right length. */
  corruptAt?: number[];
  /** Serve the file as though it were another version: this ETag (and X-Linked-Etag for LFS files). */
  etag?: string;
  /** Pause this long after every 16 kB of body: a slow server. */
  chunkDelayMs?: number;
}

export interface RequestLogEntry {
  method: string;
  /** Decoded pathname + search. */
  path: string;
  range: string | null;
  status: number;
  /** Bytes actually written into the response body (0 for HEAD, 304, ...). */
  bodyBytes: number;
  authorization: string | null;
}

export interface LoopbackHub {
  /** http://127.0.0.1:PORT, without a trailing slash. */
  url: string;
  requests: RequestLogEntry[];
  clearLog(): void;
  close(): Promise<void>;
}

type RepoKind = 'model' | 'dataset';

interface Repo {
  kind: RepoKind;
  id: string;
  /** Absolute, symlinks resolved. */
  dir: string;
  /** Relative to root, forward slashes, e.g. `models/meta-llama/Llama-2-7b-hf`. */
  rel: string;
  sha: string;
}

interface FileHashes {
  sha256: string;
  /** sha1 of `blob <len>\0<content>`: what git (and the Hub, for non-LFS files) calls the oid. */
  gitSha1: string;
}

interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
  securityFileStatus?: { status: string };
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  entry: RequestLogEntry;
  head: boolean;
  fault: Fault | null;
}

/** Carries out a fault's `then` on a response whose headers (and maybe some body) are out. */
function breakResponse(res: http.ServerResponse, then: Fault['then']): void {
  const socket = res.socket;
  if (then === 'reset') {
    // A moment first, so the client has read what was sent: a RST makes the kernel drop unread data.
    setTimeout(() => {
      if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else res.destroy();
    }, 30);
  } else if (then === 'close') {
    socket?.end();
  }
  // stall: nothing; the socket stays open until the client gives up or the server closes.
}

function flipBytes(buf: Buffer, offsets: number[] | undefined, sentBefore: number): Buffer {
  if (!offsets?.some((at) => at >= sentBefore && at < sentBefore + buf.length)) return buf;
  const copy = Buffer.from(buf);
  for (const at of offsets) if (at >= sentBefore && at < sentBefore + copy.length) copy[at - sentBefore]! ^= 0xff;
  return copy;
}

const LFS_EXTENSIONS = ['.safetensors', '.parquet', '.bin', '.model', '.gguf', '.onnx'];
/** Mirror builders write `<name>.tmp-<pid>-<rand>` then rename; a half-written file must not be listed. */
const TEMP_FILE = /\.tmp-\d+-[0-9a-z]+$/;
/** The Hub has no per-file dates we could reproduce; a constant keeps responses deterministic. */
const SNAPSHOT_DATE = '2024-01-01T00:00:00.000Z';
const COMMIT_TITLE = 'Loopback mirror snapshot';
const MAX_BODY = 1 << 20;

export function isLfsPath(p: string): boolean {
  const lower = p.toLowerCase();
  return LFS_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export function repoCommitSha(rel: string): string {
  return crypto.createHash('sha1').update(rel).digest('hex');
}

export function gitBlobSha1(content: Buffer | string): string {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return crypto.createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

class BadPath extends Error {}

/** Decodes each segment on its own so that an encoded `/` or `..` can never form a new segment. */
function splitPath(rawPath: string): string[] {
  const segs: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new BadPath(raw);
    }
    if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg)) throw new BadPath(seg);
    segs.push(seg);
  }
  return segs;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

type RangeResult = { kind: 'none' } | { kind: 'ok'; start: number; end: number } | { kind: 'unsatisfiable' };

/** RFC 9110: malformed or multi-range headers may be ignored (full 200); unsatisfiable is 416. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'none' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'none' };
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'ok', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Number(b);
  if (b !== '' && end < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'ok', start, end: Math.min(end, size - 1) };
}

export async function startLoopbackHub(options: LoopbackHubOptions): Promise<LoopbackHub> {
  await fsp.mkdir(options.root, { recursive: true });
  const root = await fsp.realpath(options.root);
  const gated = new Set(options.gated ?? []);
  const token = options.token;
  const requests: RequestLogEntry[] = [];
  const hashCache = new Map<string, Promise<FileHashes>>();

  function hashes(abs: string, st: fs.Stats): Promise<FileHashes> {
    const key = `${abs}\0${st.mtimeMs}\0${st.size}`;
    let p = hashCache.get(key);
    if (!p) {
      p = new Promise<FileHashes>((resolve, reject) => {
        const h256 = crypto.createHash('sha256');
        const h1 = crypto.createHash('sha1').update(`blob ${st.size}\0`);
        fs.createReadStream(abs, { highWaterMark: 1 << 20 })
          .on('data', (chunk) => {
            h256.update(chunk);
            h1.update(chunk);
          })
          .on('error', reject)
          .on('end', () => resolve({ sha256: h256.digest('hex'), gitSha1: h1.digest('hex') }));
      });
      p.catch(() => hashCache.delete(key));
      hashCache.set(key, p);
    }
    return p;
  }

  /** Resolves `rel` (already validated segments) under root; null if missing or escaping root. */
  async function locate(relSegs: string[]): Promise<{ abs: string; st: fs.Stats } | null> {
    const joined = path.join(root, ...relSegs);
    let real: string;
    try {
      real = await fsp.realpath(joined);
    } catch {
      return null;
    }
    if (!isInside(root, real)) return null;
    try {
      return { abs: real, st: await fsp.stat(real) };
    } catch {
      return null;
    }
  }

  async function findRepo(kind: RepoKind, idSegs: string[]): Promise<Repo | null> {
    if (idSegs.length < 1 || idSegs.length > 2) return null;
    const relSegs = [kind === 'model' ? 'models' : 'datasets', ...idSegs];
    const found = await locate(relSegs);
    if (!found || !found.st.isDirectory()) return null;
    if (idSegs.length === 1) {
      // models/<org>/ is a folder too; a one-segment repo must hold files itself.
      const ents = await fsp.readdir(found.abs, { withFileTypes: true });
      if (!ents.some((e) => e.isFile())) return null;
    }
    const rel = relSegs.join('/');
    return { kind, id: idSegs.join('/'), dir: found.abs, rel, sha: repoCommitSha(rel) };
  }

  /** Lists a folder, skipping temp files and symlinks that lead out of root. */
  async function listDir(abs: string): Promise<{ name: string; abs: string; st: fs.Stats }[]> {
    const out: { name: string; abs: string; st: fs.Stats }[] = [];
    for (const e of await fsp.readdir(abs, { withFileTypes: true })) {
      if (TEMP_FILE.test(e.name)) continue;
      let p = path.join(abs, e.name);
      if (e.isSymbolicLink()) {
        try {
          p = await fsp.realpath(p);
        } catch {
          continue;
        }
        if (!isInside(root, p)) continue;
      }
      let st: fs.Stats;
      try {
        st = await fsp.stat(p);
      } catch {
        continue;
      }
      if (st.isFile() || st.isDirectory()) out.push({ name: e.name, abs: p, st });
    }
    return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }

  async function walkFiles(repoDir: string, sub = ''): Promise<{ path: string; abs: string; st: fs.Stats }[]> {
    const out: { path: string; abs: string; st: fs.Stats }[] = [];
    for (const e of await listDir(sub ? path.join(repoDir, sub) : repoDir)) {
      const p = sub ? `${sub}/${e.name}` : e.name;
      if (e.st.isDirectory()) out.push(...(await walkFiles(repoDir, p)));
      else out.push({ path: p, abs: e.abs, st: e.st });
    }
    return out;
  }

  async function treeEntry(repo: Repo, p: string, abs: string, st: fs.Stats, expand: boolean): Promise<TreeEntry> {
    let entry: TreeEntry;
    if (st.isDirectory()) {
      entry = { type: 'directory', oid: repoCommitSha(`tree ${repo.rel}/${p}`), size: 0, path: p };
    } else if (isLfsPath(p)) {
      const { sha256 } = await hashes(abs, st);
      const pointer = lfsPointer(sha256, st.size);
      entry = {
        type: 'file',
        oid: gitBlobSha1(pointer),
        size: st.size,
        path: p,
        lfs: { oid: sha256, size: st.size, pointerSize: Buffer.byteLength(pointer) },
      };
    } else {
      entry = { type: 'file', oid: (await hashes(abs, st)).gitSha1, size: st.size, path: p };
    }
    if (expand) {
      entry.lastCommit = { id: repo.sha, title: COMMIT_TITLE, date: SNAPSHOT_DATE };
      if (entry.type === 'file') entry.securityFileStatus = { status: 'safe' };
    }
    return entry;
  }

  // ---- response helpers: every body goes through these so the log's bodyBytes is exact ----

  function writeHead(ctx: Ctx, status: number, headers: Record<string, string | number>): void {
    ctx.entry.status = status;
    ctx.res.writeHead(status, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers':
        'X-Repo-Commit, X-Linked-Etag, X-Linked-Size, X-Error-Code, X-Error-Message, ETag, Content-Range, Accept-Ranges, Content-Length, Link',
      ...headers,
    });
  }

  function sendBody(ctx: Ctx, status: number, headers: Record<string, string | number>, body: Buffer): void {
    writeHead(ctx, status, { 'Content-Length': body.length, ...headers });
    if (ctx.head || body.length === 0) {
      ctx.res.end();
      return;
    }
    const fault = ctx.fault;
    body = flipBytes(body, fault?.corruptAt, 0);
    if (fault?.then && (fault.afterBytes ?? 0) < body.length) {
      const part = body.subarray(0, fault.afterBytes ?? 0);
      ctx.entry.bodyBytes += part.length;
      ctx.res.flushHeaders();
      if (part.length) ctx.res.write(part, () => breakResponse(ctx.res, fault.then));
      else setImmediate(() => breakResponse(ctx.res, fault.then));
      return;
    }
    ctx.entry.bodyBytes += body.length;
    ctx.res.end(body);
  }

  function sendJson(ctx: Ctx, status: number, value: unknown, headers: Record<string, string | number> = {}): void {
    sendBody(ctx, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, Buffer.from(JSON.stringify(value)));
  }

  function sendError(ctx: Ctx, status: number, code: string | null, message: string): void {
    const headers: Record<string, string> = { 'X-Error-Message': message.replace(/[^\x20-\x7e]/g, '?') };
    if (code) headers['X-Error-Code'] = code;
    sendJson(ctx, status, { error: message }, headers);
  }

  async function serveFile(
    ctx: Ctx,
    abs: string,
    st: fs.Stats,
    etag: string,
    extra: Record<string, string | number>,
  ): Promise<void> {
    const size = st.size;
    const fault = ctx.fault;
    if (fault?.etag) {
      etag = `"${fault.etag}"`;
      if ('X-Linked-Etag' in extra) extra = { ...extra, 'X-Linked-Etag': etag };
    }
    const base: Record<string, string | number> = {
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      ETag: etag,
      ...extra,
    };
    const inm = ctx.req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      writeHead(ctx, 304, base);
      ctx.res.end();
      return;
    }
    // RFC 9110 13.1.5: a Range whose If-Range validator is stale gets the whole (new) representation.
    const ifRange = ctx.req.headers['if-range'];
    const range = parseRange(ifRange !== undefined && String(ifRange).trim() !== etag ? undefined : ctx.req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      sendBody(ctx, 416, { ...base, 'Content-Range': `bytes */${size}` }, Buffer.alloc(0));
      return;
    }
    const start = range.kind === 'ok' ? range.start : 0;
    const end = range.kind === 'ok' ? range.end : size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    const headers = { ...base, 'Content-Length': length };
    if (range.kind === 'ok') {
      writeHead(ctx, 206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}` });
    } else {
      writeHead(ctx, 200, headers);
    }
    if (ctx.head || length === 0) {
      ctx.res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const { res, entry } = ctx;
      const limit = fault?.then ? (fault.afterBytes ?? 0) : Infinity;
      const stream = fs.createReadStream(abs, { start, end, highWaterMark: fault?.chunkDelayMs ? 16 * 1024 : 1 << 20 });
      let sent = 0;
      let waitingDrain = false;
      let waitingDelay = false;
      const resume = () => {
        if (!waitingDrain && !waitingDelay && !res.destroyed) stream.resume();
      };
      if (limit === 0) {
        stream.destroy();
        res.flushHeaders();
        setImmediate(() => breakResponse(res, fault!.then));
      }
      stream.on('data', (chunk) => {
        if (res.destroyed) return;
        let buf = flipBytes(chunk as Buffer, fault?.corruptAt, sent);
        if (sent + buf.length >= limit) {
          buf = buf.subarray(0, limit - sent);
          sent += buf.length;
          entry.bodyBytes += buf.length;
          stream.destroy();
          res.write(buf, () => breakResponse(res, fault!.then));
          return;
        }
        sent += buf.length;
        entry.bodyBytes += buf.length;
        if (!res.write(buf)) {
          waitingDrain = true;
          stream.pause();
        }
        if (fault?.chunkDelayMs) {
          waitingDelay = true;
          stream.pause();
          setTimeout(() => {
            waitingDelay = false;
            resume();
          }, fault.chunkDelayMs);
        }
      });
      res.on('drain', () => {
        waitingDrain = false;
        resume();
      });
      stream.on('end', () => {
        res.end();
        resolve();
      });
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      res.on('close', () => {
        stream.destroy();
        resolve();
      });
    });
  }

  // ---- routes ----

  function gateCheck(ctx: Ctx, repo: Repo): boolean {
    const key = repo.kind === 'model' ? repo.id : `datasets/${repo.id}`;
    if (!gated.has(key)) return true;
    const auth = ctx.req.headers.authorization;
    const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
    if (m && token !== undefined && m[1] === token) return true;
    const what = `${repo.kind} ${repo.id}`;
    if (!auth) {
      sendError(
        ctx,
        401,
        'GatedRepo',
        `Access to ${what} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      );
    } else {
      sendError(ctx, 403, 'GatedRepo', `Access to ${what} is restricted and you are not in the authorized list.`);
    }
    return false;
  }

  function revisionOk(ctx: Ctx, repo: Repo, rev: string, allowHead = false): boolean {
    if (rev === 'main' || rev === repo.sha || (allowHead && rev === 'HEAD')) return true;
    sendError(ctx, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    return false;
  }

  /** Tries one- and two-segment repo ids in front of `op`; the one that exists wins. */
  async function splitRepo(
    kind: RepoKind,
    segs: string[],
    ops: string[],
  ): Promise<{ repo: Repo | null; idSegs: string[]; op: string; rest: string[] } | null> {
    let firstMatch: { repo: Repo | null; idSegs: string[]; op: string; rest: string[] } | null = null;
    for (const i of [2, 1]) {
      const op = segs[i];
      if (op === undefined || !ops.includes(op)) continue;
      const idSegs = segs.slice(0, i);
      const repo = await findRepo(kind, idSegs);
      const m = { repo, idSegs, op, rest: segs.slice(i + 1) };
      if (repo) return m;
      firstMatch ??= m;
    }
    return firstMatch;
  }

  function repoNotFound(ctx: Ctx, kind: RepoKind, id: string): void {
    sendError(ctx, 404, 'RepositoryNotFound', `Repository not found: ${kind === 'dataset' ? 'datasets/' : ''}${id}`);
  }

  async function handleResolve(ctx: Ctx, kind: RepoKind, segs: string[]): Promise<void> {
    const m = await splitRepo(kind, segs, ['resolve', 'raw']);
    if (!m || m.rest.length < 2) return sendError(ctx, 404, null, 'Not found');
    if (!m.repo) return repoNotFound(ctx, kind, m.idSegs.join('/'));
    const repo = m.repo;
    if (!gateCheck(ctx, repo)) return;
    const [rev = '', ...fileSegs] = m.rest;
    if (!revisionOk(ctx, repo, rev)) return;
    const filePath = fileSegs.join('/');
    const found = await locate([repo.rel, ...fileSegs]);
    if (!found || !found.st.isFile() || !isInside(repo.dir, found.abs) || TEMP_FILE.test(filePath)) {
      return sendError(ctx, 404, 'EntryNotFound', `Entry not found: ${filePath}`);
    }
    const h = await hashes(found.abs, found.st);
    const lfs = isLfsPath(filePath);
    if (m.op === 'raw' && lfs) {
      // /raw/ on the Hub returns what git stores for an LFS file: the pointer, not the content.
      const pointer = Buffer.from(lfsPointer(h.sha256, found.st.size));
      return sendBody(
        ctx,
        200,
        { 'Content-Type': 'text/plain; charset=utf-8', ETag: `"${gitBlobSha1(pointer)}"`, 'X-Repo-Commit': repo.sha },
        pointer,
      );
    }
    const extra: Record<string, string | number> = { 'X-Repo-Commit': repo.sha };
    let etag: string;
    if (lfs) {
      etag = `"${h.sha256}"`;
      extra['X-Linked-Etag'] = etag;
      extra['X-Linked-Size'] = found.st.size;
    } else {
      etag = `"${h.gitSha1}"`;
    }
    await serveFile(ctx, found.abs, found.st, etag, extra);
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req) {
      n += (c as Buffer).length;
      if (n > MAX_BODY) throw new Error('body too large');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleApi(ctx: Ctx, kind: RepoKind, segs: string[], search: URLSearchParams): Promise<void> {
    const method = ctx.req.method ?? 'GET';
    const m = await splitRepo(kind, segs, ['revision', 'tree', 'paths-info']);
    if (!m) {
      // GET /api/models/{repo}: repo info at main.
      if ((method === 'GET' || method === 'HEAD') && (segs.length === 1 || segs.length === 2)) {
        const repo = await findRepo(kind, segs);
        if (!repo) return repoNotFound(ctx, kind, segs.join('/'));
        if (!gateCheck(ctx, repo)) return;
        return sendJson(ctx, 200, await repoInfo(repo, search.get('blobs') === 'true'));
      }
      return sendError(ctx, 404, null, 'Not found');
    }
    if (!m.repo) return repoNotFound(ctx, kind, m.idSegs.join('/'));
    const repo = m.repo;
    const [rev = '', ...sub] = m.rest;

    if (m.op === 'revision' && (method === 'GET' || method === 'HEAD') && sub.length === 0) {
      if (!gateCheck(ctx, repo) || !revisionOk(ctx, repo, rev, true)) return;
      return sendJson(ctx, 200, await repoInfo(repo, search.get('blobs') === 'true'));
    }

    if (m.op === 'tree' && (method === 'GET' || method === 'HEAD')) {
      if (!gateCheck(ctx, repo) || !revisionOk(ctx, repo, rev)) return;
      const recursive = search.get('recursive') === 'true' || search.get('recursive') === '1';
      const expand = search.get('expand') === 'true' || search.get('expand') === '1';
      const subPath = sub.join('/');
      const found = sub.length ? await locate([repo.rel, ...sub]) : { abs: repo.dir, st: await fsp.stat(repo.dir) };
      if (!found || !isInside(repo.dir, found.abs)) {
        return sendError(ctx, 404, 'EntryNotFound', `Entry not found: ${subPath}`);
      }
      if (!found.st.isDirectory()) {
        return sendError(ctx, 404, 'EntryNotFound', `${subPath} is not a directory`);
      }
      const entries: TreeEntry[] = [];
      const visit = async (abs: string, prefix: string): Promise<void> => {
        for (const e of await listDir(abs)) {
          const p = prefix ? `${prefix}/${e.name}` : e.name;
          entries.push(await treeEntry(repo, p, e.abs, e.st, expand));
          if (recursive && e.st.isDirectory()) await visit(e.abs, p);
        }
      };
      await visit(found.abs, subPath);
      return sendJson(ctx, 200, entries);
    }

    if (m.op === 'paths-info' && method === 'POST') {
      if (!gateCheck(ctx, repo) || !revisionOk(ctx, repo, rev)) return;
      let paths: string[] = [];
      let expand = false;
      const body = await readBody(ctx.req);
      const ctype = ctx.req.headers['content-type'] ?? '';
      if (ctype.includes('json')) {
        try {
          const parsed = JSON.parse(body) as { paths?: unknown; expand?: unknown };
          paths = Array.isArray(parsed.paths) ? parsed.paths.map(String) : typeof parsed.paths === 'string' ? [parsed.paths] : [];
          expand = parsed.expand === true || parsed.expand === 'true';
        } catch {
          return sendError(ctx, 400, null, 'Invalid JSON body');
        }
      } else {
        // huggingface_hub (Python) posts a form: paths=a&paths=b&expand=True
        const form = new URLSearchParams(body);
        paths = form.getAll('paths');
        expand = /^(true|1)$/i.test(form.get('expand') ?? '');
      }
      const out: TreeEntry[] = [];
      for (const p of paths) {
        let pSegs: string[];
        try {
          pSegs = p.split('/').filter((s) => s !== '').map((s) => {
            if (s === '.' || s === '..' || /[\\\0]/.test(s)) throw new BadPath(s);
            return s;
          });
        } catch {
          continue;
        }
        if (pSegs.length === 0) continue;
        const found = await locate([repo.rel, ...pSegs]);
        if (!found || !isInside(repo.dir, found.abs) || TEMP_FILE.test(p)) continue;
        out.push(await treeEntry(repo, pSegs.join('/'), found.abs, found.st, expand));
      }
      return sendJson(ctx, 200, out);
    }
    return sendError(ctx, 404, null, 'Not found');
  }

  async function repoInfo(repo: Repo, blobs: boolean): Promise<Record<string, unknown>> {
    const files = await walkFiles(repo.dir);
    const siblings = [];
    for (const f of files) {
      if (!blobs) {
        siblings.push({ rfilename: f.path });
        continue;
      }
      const h = await hashes(f.abs, f.st);
      const lfs = isLfsPath(f.path);
      const pointer = lfsPointer(h.sha256, f.st.size);
      siblings.push({
        rfilename: f.path,
        size: f.st.size,
        blobId: lfs ? gitBlobSha1(pointer) : h.gitSha1,
        ...(lfs ? { lfs: { sha256: h.sha256, size: f.st.size, pointerSize: Buffer.byteLength(pointer) } } : {}),
      });
    }
    const gatedFlag = gated.has(repo.kind === 'model' ? repo.id : `datasets/${repo.id}`) ? 'manual' : false;
    return {
      _id: repo.sha.slice(0, 24),
      id: repo.id,
      ...(repo.kind === 'model' ? { modelId: repo.id } : {}),
      author: repo.id.includes('/') ? repo.id.split('/')[0] : undefined,
      sha: repo.sha,
      lastModified: SNAPSHOT_DATE,
      private: false,
      gated: gatedFlag,
      disabled: false,
      downloads: 0,
      likes: 0,
      tags: [],
      siblings,
    };
  }

  async function handleUrl(ctx: Ctx, segs: string[]): Promise<void> {
    if (segs.length < 2) return sendError(ctx, 404, null, 'Not found');
    const found = await locate(['urls', ...segs]);
    if (!found || !found.st.isFile() || TEMP_FILE.test(segs[segs.length - 1] ?? '')) {
      return sendError(ctx, 404, null, `Not found: ${segs.join('/')}`);
    }
    const h = await hashes(found.abs, found.st);
    await serveFile(ctx, found.abs, found.st, `"${h.sha256}"`, {});
  }

  async function route(ctx: Ctx): Promise<void> {
    const rawUrl = ctx.req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const search = new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : '');
    const method = ctx.req.method ?? 'GET';
    let segs: string[];
    try {
      segs = splitPath(rawPath);
    } catch {
      return sendError(ctx, 400, 'InvalidPath', 'Invalid path');
    }
    if (method === 'OPTIONS') {
      writeHead(ctx, 204, {
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Range, Content-Type, If-None-Match',
      });
      ctx.res.end();
      return;
    }
    if (segs[0] === 'api' && (segs[1] === 'models' || segs[1] === 'datasets')) {
      return handleApi(ctx, segs[1] === 'models' ? 'model' : 'dataset', segs.slice(2), search);
    }
    if (method !== 'GET' && method !== 'HEAD') return sendError(ctx, 404, null, 'Not found');
    if (segs[0] === 'urls') return handleUrl(ctx, segs.slice(1));
    if (segs[0] === 'datasets') return handleResolve(ctx, 'dataset', segs.slice(1));
    if (segs[0] === 'api') return sendError(ctx, 404, null, 'Not found');
    return handleResolve(ctx, 'model', segs);
  }

  if (options.prehash) {
    const all: Promise<unknown>[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await listDir(dir)) {
        if (e.st.isDirectory()) await walk(e.abs);
        else all.push(hashes(e.abs, e.st));
      }
    };
    for (const top of ['models', 'datasets', 'urls']) {
      const d = path.join(root, top);
      if (fs.existsSync(d)) await walk(d);
    }
    await Promise.all(all);
  }

  let requestIndex = 0;
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: safeDecode(q >= 0 ? rawUrl.slice(0, q) : rawUrl) + (q >= 0 ? rawUrl.slice(q) : ''),
      range: req.headers.range ?? null,
      status: 0,
      bodyBytes: 0,
      authorization: req.headers.authorization ?? null,
    };
    // Logged before the response so a client that has read the whole body always finds its entry.
    requests.push(entry);
    const fault = options.faults?.({ index: requestIndex++, method: entry.method, path: entry.path, headers: req.headers }) || null;
    const ctx: Ctx = { req, res, entry, head: req.method === 'HEAD', fault };
    if (fault?.status) {
      sendJson(ctx, fault.status, { error: `injected fault: HTTP ${fault.status}` }, fault.headers ?? {});
      return;
    }
    route(ctx).catch((err: unknown) => {
      if (!res.headersSent) sendError(ctx, 500, null, `Internal error: ${String(err)}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    clearLog() {
      requests.length = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

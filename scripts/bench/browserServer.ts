/**
 * The loopback server of the browser figures (scripts/bench/browser.ts): the built site under a
 * sub-path, plus single files (the notebook's Plotly HTML) at fixed paths.
 *
 * Served the way GitHub Pages serves: text types (HTML, JS, CSS, JSON, SVG) gzip-compressed when the
 * client accepts gzip, binary data (`points.bin`) as is. Each file is read and compressed once and
 * kept, so the timed page loads of both sides measure the browser, not this server's zlib (the
 * Plotly HTML is 11 MB). `dir/` serves `dir/index.html`; no caching headers beyond `no-cache`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { COMPRESSIBLE, contentTypeOf } from '../contentTypes.ts';

export { COMPRESSIBLE };

export interface BenchServer {
  origin: string;
  close(): Promise<void>;
}

export async function startBenchServer(options: {
  /** The built site (Astro's dist) and the sub-path it was built for, e.g. `/site`. */
  siteRoot: string;
  base: string;
  /** Extra files: URL path → file on disk. */
  files: Record<string, string>;
}): Promise<BenchServer> {
  const root = path.resolve(options.siteRoot);
  const base = options.base.replace(/\/+$/, '');
  const cache = new Map<string, Promise<{ raw: Buffer; gz: Buffer | null; type: string }>>();
  const load = (file: string) => {
    let entry = cache.get(file);
    if (!entry) {
      entry = readFile(file).then((raw) => {
        const type = contentTypeOf(file);
        return { raw, type, gz: COMPRESSIBLE.test(type) && raw.length > 256 ? gzipSync(raw) : null };
      });
      entry.catch(() => cache.delete(file));
      cache.set(file, entry);
    }
    return entry;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file: string | undefined = options.files[pathname];
    if (!file && pathname.startsWith(`${base}/`)) {
      file = path.join(root, pathname.slice(base.length));
      if (!file.startsWith(root)) file = undefined;
      else if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
    }
    const body = file ? await load(file).catch(() => null) : null;
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 9 });
      return res.end('not found');
    }
    const gzip = body.gz && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const payload = gzip ? body.gz! : body.raw;
    res.writeHead(200, {
      'Content-Type': body.type,
      'Content-Length': payload.length,
      'Cache-Control': 'no-cache',
      ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : payload);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A small static file server for the built site, behaving like GitHub Pages where it matters:
 * the site lives under a sub-path (`/gallery/`), `dir/` serves `dir/index.html`, `dir` redirects
 * to `dir/`, text types are gzip-compressed when the client accepts it (binary data is not), and
 * there is no X-Frame-Options header. It counts the bytes it sends, per path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { embedSnippet } from '../../src/site/urls.ts';
import { COMPRESSIBLE, HTML_TYPE, contentTypeOf } from '../../scripts/contentTypes.ts';


export interface StaticServer {
  origin: string;
  port: number;
  /** Extra routes (exact path → HTML), e.g. a page that embeds the site from another origin. */
  pages: Map<string, string>;
  close(): Promise<void>;
}

export async function startStaticServer(options: {
  root: string;
  /** URL prefix the site is served under, e.g. `/gallery`. */
  base: string;
  host?: string;
  port?: number;
}): Promise<StaticServer> {
  const root = path.resolve(options.root);
  const base = options.base.replace(/\/+$/, '');
  const pages = new Map<string, string>();

  const send = (req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer) => {
    const headers: Record<string, string | number> = {
      'Content-Type': type,
      'Cache-Control': 'no-cache',
      'Access-Control-Allow-Origin': '*',
    };
    let payload = body;
    if (COMPRESSIBLE.test(type) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && body.length > 256) {
      payload = gzipSync(body);
      headers['Content-Encoding'] = 'gzip';
      headers.Vary = 'Accept-Encoding';
    }
    headers['Content-Length'] = payload.length;
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return send(req, res, 400, 'text/plain', Buffer.from('bad request'));
    }
    const extra = pages.get(pathname);
    if (extra !== undefined) return send(req, res, 200, HTML_TYPE, Buffer.from(extra));
    if (pathname === '/embed-host.html') {
      // A third-party page embedding the site: `?src=` becomes the iframe's address.
      const src = url.searchParams.get('src') ?? '';
      const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Embed host</title></head><body><h1>A blog post</h1>${embedSnippet(src, 'Embedded Tokenscape map')}</body></html>`;
      return send(req, res, 200, HTML_TYPE, Buffer.from(html));
    }
    if (pathname !== base && !pathname.startsWith(`${base}/`)) {
      return send(req, res, 404, 'text/plain', Buffer.from('not found'));
    }
    const rel = pathname.slice(base.length) || '/';
    let file = path.join(root, rel);
    if (!file.startsWith(root)) return send(req, res, 403, 'text/plain', Buffer.from('forbidden'));
    try {
      const s = await stat(file);
      if (s.isDirectory()) {
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { Location: `${pathname}/${url.search}` });
          return res.end();
        }
        file = path.join(file, 'index.html');
      }
      const body = await readFile(file);
      return send(req, res, 200, contentTypeOf(file), body);
    } catch {
      const notFound = await readFile(path.join(root, '404.html')).catch(() => Buffer.from('not found'));
      return send(req, res, 404, 'text/html; charset=utf-8', notFound);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://${host}:${port}`,
    port,
    pages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

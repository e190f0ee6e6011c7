// @ts-check
/**
 * Astro configuration for the gallery site.
 *
 * Environment:
 *   TOKENSCAPE_EXHIBITS  folder the precompute step wrote (default public/exhibits), repo-relative
 *   TOKENSCAPE_DIST      output folder (default dist)
 *   BASE_PATH            sub-path the site is served under, e.g. /my-gallery (GitHub Pages)
 *   SITE_URL             absolute origin, e.g. https://me.github.io (absolute embed/OG links)
 *   TOKENSCAPE_CONTENT   folder of optional exhibit prose, {id}.md (default content)
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';

const root = path.dirname(fileURLToPath(import.meta.url));
const publicExhibits = path.join(root, 'public', 'exhibits');
const exhibitsDir = path.resolve(root, process.env.TOKENSCAPE_EXHIBITS ?? 'public/exhibits');
// The pages read the same variables; hand them resolved paths whatever the working directory.
process.env.TOKENSCAPE_EXHIBITS = exhibitsDir;
process.env.TOKENSCAPE_CONTENT = path.resolve(root, process.env.TOKENSCAPE_CONTENT ?? 'content');

function normaliseBase(value) {
  const v = (value ?? '').trim();
  if (!v || v === '/') return '/';
  return `/${v.replace(/^\/+|\/+$/g, '')}`;
}

/**
 * Publishes the exhibit files under `{base}/exhibits/`. When the exhibits live in public/exhibits
 * Astro copies them itself; from anywhere else this copies what gallery.json lists (and serves
 * the folder in `astro dev`).
 */
function exhibitsIntegration() {
  const outside = path.relative(publicExhibits, exhibitsDir) !== '';
  return {
    name: 'tokenscape-exhibits',
    hooks: {
      'astro:server:setup': ({ server }) => {
        if (!outside) return;
        server.middlewares.use(async (req, res, next) => {
          const base = normaliseBase(process.env.BASE_PATH);
          let url = decodeURIComponent((req.url ?? '').split('?')[0]);
          // Vite may already have stripped the base from the URL.
          if (base !== '/' && url.startsWith(`${base}/`)) url = url.slice(base.length);
          if (!url.startsWith('/exhibits/')) return next();
          const file = path.join(exhibitsDir, url.slice('/exhibits/'.length));
          if (!file.startsWith(exhibitsDir + path.sep)) return next();
          try {
            if (!(await stat(file)).isFile()) return next();
          } catch {
            return next();
          }
          createReadStream(file).pipe(res);
        });
      },
      'astro:build:done': async ({ dir, logger }) => {
        // Leftovers of Astro's content layer that a static site does not need.
        for (const f of ['content-assets.mjs', 'content-modules.mjs']) await rm(path.join(fileURLToPath(dir), f), { force: true });
        const out = path.join(fileURLToPath(dir), 'exhibits');
        let gallery;
        try {
          gallery = JSON.parse(await readFile(path.join(exhibitsDir, 'gallery.json'), 'utf8'));
        } catch {
          logger.warn(`no gallery.json in ${exhibitsDir}; no exhibit files published`);
          return;
        }
        if (outside) {
          await mkdir(out, { recursive: true });
          await cp(path.join(exhibitsDir, 'gallery.json'), path.join(out, 'gallery.json'));
        }
        for (const e of gallery.exhibits) {
          const f = e.files ?? {};
          const points = path.basename(f.points ?? 'points.bin');
          // Fetched by the viewer on demand: neighbours on the first selection, facets for "Colour by",
          // the tokenizer for a search that needs it.
          const binaries = [points, f.neighbors, f.facets].filter(Boolean).map((name) => path.basename(name));
          if (outside) {
            const files = ['manifest.json', path.basename(f.csv ?? 'points.csv'), ...binaries, f.tokenizer, f.tokenizerConfig].filter(Boolean);
            await mkdir(path.join(out, e.id), { recursive: true });
            for (const name of files) await cp(path.join(exhibitsDir, e.id, path.basename(name)), path.join(out, e.id, path.basename(name)));
          }
          // Static hosts (GitHub Pages among them) send binary files uncompressed, so the published copies are
          // gzip-compressed here and inflated by the viewer (src/viewer/data.ts): about a third smaller.
          for (const name of binaries) {
            const published = path.join(out, e.id, name);
            await writeFile(published, gzipSync(await readFile(published), { level: 9 }));
          }
        }
        if (outside) logger.info(`published ${gallery.exhibits.length} exhibit(s) from ${exhibitsDir}`);
      },
    },
  };
}

export default defineConfig({
  root,
  site: process.env.SITE_URL || undefined,
  base: normaliseBase(process.env.BASE_PATH),
  outDir: path.resolve(root, process.env.TOKENSCAPE_DIST ?? 'dist'),
  trailingSlash: 'ignore',
  build: { format: 'directory', inlineStylesheets: 'never' },
  devToolbar: { enabled: false },
  markdown: { syntaxHighlight: false },
  integrations: [exhibitsIntegration()],
  vite: {
    // Keep every script an external file, so the Content-Security-Policy needs no hashes.
    // No modulepreload <link>s injected for lazily imported chunks (neighbours, facets, tokenizer): the page
    // adds no elements of its own making at run time, which the hostile-token tests watch for.
    build: { assetsInlineLimit: 0, chunkSizeWarningLimit: 600, modulePreload: false },
    server: { fs: { allow: [root, exhibitsDir] } },
  },
});

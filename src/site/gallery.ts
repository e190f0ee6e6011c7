/**
 * Build-time access to the precomputed exhibits (Node only; used by the Astro pages).
 *
 * The folder is `TOKENSCAPE_EXHIBITS` (default `public/exhibits`), relative to the repo root;
 * astro.config.mjs resolves it to an absolute path before the pages run.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ExhibitPoints } from '../artifact/format.ts';
import { GALLERY_FILE, type ExhibitManifest, type GalleryIndex } from '../artifact/manifest.ts';
import { readExhibit } from '../artifact/readExhibit.ts';

/** Exhibit ids become URL path segments; the config validator is stricter, this is a backstop. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Ids that would collide with the site's own paths. */
const RESERVED_IDS = new Set(['exhibits', '_astro', 'index.html', '404.html', 'favicon.svg']);

export function exhibitsDir(): string {
  return path.resolve(process.env.TOKENSCAPE_EXHIBITS ?? 'public/exhibits');
}

/** Keyed by folder and gallery.json's mtime: the live preview rewrites it while the pages stay loaded. */
let cached: { dir: string; mtimeMs: number; gallery: GalleryIndex } | null = null;

/**
 * The gallery index. A missing gallery.json gives an empty gallery (the index page then says
 * how to make one) so `astro build` works in a fresh clone; a malformed one fails the build.
 */
export function loadGallery(): GalleryIndex {
  const dir = exhibitsDir();
  const file = path.join(dir, GALLERY_FILE);
  const mtimeMs = existsSync(file) ? statSync(file).mtimeMs : -1;
  if (cached?.dir === dir && cached.mtimeMs === mtimeMs) return cached.gallery;
  let gallery: GalleryIndex;
  if (!existsSync(file)) {
    console.warn(`[tokenscape] ${file} not found: building an empty gallery (run \`npm run precompute\` first).`);
    gallery = { title: 'Tokenscape', exhibits: [] };
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`[tokenscape] ${file} is not valid JSON: ${(e as Error).message}`);
    }
    gallery = checkGallery(parsed, file);
  }
  cached = { dir, mtimeMs, gallery };
  return gallery;
}

function checkGallery(value: unknown, file: string): GalleryIndex {
  const g = value as GalleryIndex;
  if (!g || typeof g !== 'object' || typeof g.title !== 'string' || !Array.isArray(g.exhibits)) {
    throw new Error(`[tokenscape] ${file}: expected { title, exhibits: [...] }`);
  }
  const seen = new Set<string>();
  for (const [k, e] of g.exhibits.entries()) {
    const where = `${file}: exhibits[${k}]`;
    if (!e || typeof e.id !== 'string' || !SAFE_ID.test(e.id) || RESERVED_IDS.has(e.id)) {
      throw new Error(`${where}: id ${JSON.stringify(e?.id)} cannot be used as a page address (letters, digits, . _ - only)`);
    }
    if (seen.has(e.id)) throw new Error(`${where}: duplicate id "${e.id}"`);
    seen.add(e.id);
    if (typeof e.title !== 'string' || !e.model || !e.corpus || !e.tokens || !e.projection || !e.files) {
      throw new Error(`${where} ("${e.id}"): incomplete manifest`);
    }
  }
  return g;
}

export function findExhibit(id: string): ExhibitManifest {
  const e = loadGallery().exhibits.find((x) => x.id === id);
  if (!e) throw new Error(`[tokenscape] no exhibit "${id}" in the gallery`);
  return e;
}

/** Decodes an exhibit's points file (for the preview images). */
export function readPoints(manifest: ExhibitManifest): ExhibitPoints {
  const file = path.join(exhibitsDir(), manifest.id, path.basename(manifest.files.points));
  return readExhibit(readFileSync(file));
}

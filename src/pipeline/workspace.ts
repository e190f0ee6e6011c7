/** Where precompute keeps its cache and writes exhibits; atomic file writes. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface Workspace {
  /** Content-addressed intermediate results (embedding slices, counts, PCA fits). */
  cacheDir: string;
  /** Exhibit folders and gallery.json, published by the site. */
  exhibitsDir: string;
}

export function workspaceFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Workspace {
  return {
    cacheDir: resolve(cwd, env.TOKENSCAPE_CACHE ?? '.tokenscape-cache'),
    exhibitsDir: resolve(cwd, env.TOKENSCAPE_EXHIBITS ?? 'public/exhibits'),
  };
}

export function hashKey(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Temp names carry this suffix; anything with it is never read, and is swept at the next run. */
export const TEMP_MARK = '.partial-';

export function tempPathFor(path: string): string {
  return `${path}${TEMP_MARK}${process.pid}-${Date.now().toString(36)}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files and folders left by runs that were killed (their process is gone). */
export async function sweepPartials(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const at = entry.name.indexOf(TEMP_MARK);
    if (at < 0) continue;
    const pid = Number.parseInt(entry.name.slice(at + TEMP_MARK.length), 10);
    if (pid !== process.pid && !processAlive(pid)) await rm(join(entry.parentPath, entry.name), { recursive: true, force: true });
  }
}

/** Writes a file so that readers see either the old content or the new one, never a mix. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A JSON result stored under a content key: read if present and intact, otherwise produced and stored. */
export async function cachedJson<T>(path: string, produce: () => Promise<T>): Promise<T> {
  if (existsSync(path)) {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T;
    } catch {
      // A damaged entry is recomputed, not trusted.
    }
  }
  const value = await produce();
  await writeFileAtomic(path, JSON.stringify(value));
  return value;
}

/** Runs `produce(temp)` and moves the result into place only if it succeeds. */
export async function produceAtomically(path: string, produce: (temp: string) => Promise<void>): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    await produce(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true, recursive: true });
    throw error;
  }
}

/**
 * The on-disk layout of Python's huggingface_hub cache, so that files downloaded by either tool are shared:
 *   <cache>/models--org--name/refs/<revision>            -> commit sha
 *   <cache>/models--org--name/blobs/<etag>               -> file content
 *   <cache>/models--org--name/snapshots/<commit>/<path>  -> relative symlink to the blob
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

export type RepoType = 'model' | 'dataset';

export const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function repoCacheFolder(cacheDir: string, type: RepoType, id: string): string {
  return join(cacheDir, `${type}s--${id.split('/').join('--')}`);
}

export async function readCachedRef(folder: string, revision: string): Promise<string | null> {
  if (COMMIT_SHA.test(revision)) return revision;
  try {
    const sha = (await readFile(join(folder, 'refs', revision), 'utf8')).trim();
    return COMMIT_SHA.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

export async function writeCachedRef(folder: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const path = join(folder, 'refs', revision);
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, commit);
  await rename(temp, path);
}

export function snapshotPath(folder: string, commit: string, path: string): string {
  return join(folder, 'snapshots', commit, ...path.split('/'));
}

/** The blob name the Hub's ETag gives (quotes and weak prefix removed), as huggingface_hub does. */
export function normaliseEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

export function blobPath(folder: string, etag: string): string {
  return join(folder, 'blobs', normaliseEtag(etag));
}

/** Points snapshots/<commit>/<path> at an existing blob. */
export async function linkSnapshot(folder: string, commit: string, path: string, etag: string): Promise<string> {
  const pointer = snapshotPath(folder, commit, path);
  if (existsSync(pointer)) return pointer;
  await mkdir(dirname(pointer), { recursive: true });
  const target = relative(dirname(pointer), blobPath(folder, etag));
  const temp = `${pointer}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  await symlink(target, temp);
  await rename(temp, pointer);
  return pointer;
}

/**
 * The files of a model, wherever they live: a Hub repository (through the hub cache) or a local folder
 * in Hugging Face layout. Later stages read through this and never know which.
 */
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TokenscapeError } from '../errors.ts';
import { readFileRange } from '../readFileRange.ts';
import type { HubRepo } from '../hub/hubRepo.ts';

export interface RepoFiles {
  /** The repo id or folder, for messages. */
  readonly label: string;
  readonly source: 'hub' | 'local';
  readonly revision: string | null;
  readonly commit: string | null;
  has(path: string): boolean;
  /** A local path to the whole file (downloaded into the hub cache first if needed). Only for small files. */
  localPath(path: string): Promise<string>;
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
  /** Writes bytes [start, end) of a file to dest. */
  copyRange(path: string, start: number, end: number, dest: string, label: string): Promise<void>;
  /** A string that changes whenever the file's content does (an etag, or size and mtime locally). */
  identity(path: string): Promise<string>;
  /** A user-facing location for a file, for error messages. */
  describe(path: string): string;
}

export function hubRepoFiles(repo: HubRepo): RepoFiles {
  return {
    label: repo.id,
    source: 'hub',
    revision: repo.revision,
    commit: repo.commit,
    has: (path) => repo.has(path),
    localPath: (path) => repo.fetchFile(path),
    readRange: (path, start, end) => repo.readRange(path, start, end),
    copyRange: (path, start, end, dest, label) => repo.streamRange(path, start, end, dest, label),
    identity: async (path) => `hub:${(await repo.fileInfo(path)).etag}`,
    describe: (path) => `${repo.id}/${path} (${repo.commit.slice(0, 10)})`,
  };
}

export function localFolderFiles(folder: string, display: string): RepoFiles {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new TokenscapeError(`The model folder ${display} does not exist (${folder}).`, {
      hint: 'model: { path: ... } is resolved relative to the config file and must be a folder with config.json, tokenizer.json and *.safetensors.',
    });
  }
  const full = (path: string) => join(folder, ...path.split('/'));
  return {
    label: display,
    source: 'local',
    revision: null,
    commit: null,
    has: (path) => existsSync(full(path)),
    localPath: async (path) => {
      if (!existsSync(full(path))) throw new TokenscapeError(`The model folder ${display} has no ${path}.`, { file: full(path) });
      return full(path);
    },
    readRange: (path, start, end) => readFileRange(full(path), start, end),
    copyRange: async (path, start, end, dest) => {
      await rm(dest, { force: true });
      // 8 MB reads: a 1 GB vocabulary in 64 KB chunks spends seconds in stream and GC overhead.
      await pipeline(createReadStream(full(path), { start, end: end - 1, highWaterMark: 8 << 20 }), createWriteStream(dest, { highWaterMark: 8 << 20 }));
    },
    identity: async (path) => {
      const s = statSync(full(path));
      return `local:${full(path)}:${s.size}:${s.mtimeMs}`;
    },
    describe: (path) => full(path),
  };
}

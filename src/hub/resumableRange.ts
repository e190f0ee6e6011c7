/**
 * A large range download that survives the process being killed (Ctrl-C, kill -9, a CI timeout): the bytes go
 * to a stable `<name>.incomplete` file with a journal beside it (`<name>.incomplete.json`) that names the
 * range, the file's ETag and the SHA-256 of every completed block. The next run resumes only when the server
 * still gives the same ETag for the file, and only from bytes it re-reads and finds matching their journalled
 * hashes; anything after the first block that does not match is cut off and fetched again. So every byte of
 * the finished range was either checked against the hash taken as it arrived, or has just arrived.
 *
 * The names carry no `.partial-` mark, so workspace.ts `sweepPartials` leaves them for the next run; they are
 * never read as a finished file (the finished range is renamed to its final name by the caller).
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { writeFileAtomic } from '../pipeline/workspace.ts';
import { writeAllAt } from '../readFileRange.ts';
import type { TransferSink } from './transfer.ts';

export const JOURNAL_VERSION = 1;

export interface RangeIdentity {
  /** What is downloaded, e.g. `model test-org/tiny@<commit>/model.safetensors`. */
  source: string;
  start: number;
  /** Exclusive. */
  end: number;
  /** The file's ETag on the server (normalised). */
  etag: string;
}

interface Journal extends RangeIdentity {
  version: number;
  blockBytes: number;
  /** SHA-256 (hex) of each completed block, in order. */
  blocks: string[];
}

/** ~64 journal entries for any size: at most 1/64 of a download is lost to a kill, and the journal stays tiny. */
export function blockBytesFor(total: number): number {
  let b = 4096;
  while (b * 64 < total && b < 16 * 1024 * 1024) b *= 2;
  return b;
}

export function journalPathOf(partial: string): string {
  return `${partial}.json`;
}

async function readJournal(path: string): Promise<Journal | null> {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Journal;
  } catch {
    return null;
  }
}

const sameRange = (j: Journal, id: RangeIdentity) => j.version === JOURNAL_VERSION && j.source === id.source && j.start === id.start && j.end === id.end && j.etag === id.etag;

/** Thrown by the sink when the server switches versions after a resume: the kept prefix is then worthless. */
export class ResumedPrefixInvalid extends Error {
  override name = 'ResumedPrefixInvalid';
}

export interface ResumableRange {
  /** Bytes of the range already on disk and verified (the transfer starts at `start + resumedBytes`). */
  resumedBytes: number;
  sink: TransferSink;
  /** Flushes the last block's hash; closes the file. */
  close(): Promise<void>;
}

/** Removes a partial and its journal. */
export async function discardResumable(partial: string): Promise<void> {
  await rm(partial, { force: true });
  await rm(journalPathOf(partial), { force: true });
}

/**
 * Opens `partial` for the range: keeps the verified prefix left by an earlier run of the same range and ETag,
 * otherwise starts it afresh.
 */
export async function openResumable(partial: string, id: RangeIdentity): Promise<ResumableRange> {
  const journalPath = journalPathOf(partial);
  const previous = await readJournal(journalPath);
  const blockBytes = blockBytesFor(id.end - id.start);
  let journal: Journal = { version: JOURNAL_VERSION, ...id, blockBytes, blocks: [] };
  let verified = 0;
  if (previous && sameRange(previous, id) && previous.blockBytes === blockBytes && existsSync(partial)) {
    // Re-read what the journal vouches for: a block counts only if its bytes on disk still hash the same.
    const handle = await open(partial, 'r');
    try {
      const buffer = Buffer.allocUnsafe(blockBytes);
      for (const expected of previous.blocks) {
        const { bytesRead } = await handle.read(buffer, 0, blockBytes, verified);
        if (bytesRead !== blockBytes) break;
        if (createHash('sha256').update(buffer).digest('hex') !== expected) break;
        verified += blockBytes;
        journal.blocks.push(expected);
      }
    } finally {
      await handle.close();
    }
  }
  if (verified === 0) {
    await discardResumable(partial);
    journal = { version: JOURNAL_VERSION, ...id, blockBytes, blocks: [] };
  }
  const handle: FileHandle = await open(partial, verified > 0 ? 'r+' : 'w');
  await handle.truncate(verified);
  await writeFileAtomic(journalPath, JSON.stringify(journal));

  let position = verified;
  let block: Hash = createHash('sha256');
  let inBlock = 0;
  const persist = () => writeFileAtomic(journalPath, JSON.stringify(journal));
  const sink: TransferSink = {
    async write(chunk) {
      await writeAllAt(handle, chunk, position);
      position += chunk.length;
      // Hash in block-sized pieces; a block's hash is journalled only after its bytes were written.
      let at = 0;
      let completed = false;
      while (at < chunk.length) {
        const take = Math.min(blockBytes - inBlock, chunk.length - at);
        block.update(chunk.subarray(at, at + take));
        inBlock += take;
        at += take;
        if (inBlock === blockBytes) {
          journal.blocks.push(block.digest('hex'));
          block = createHash('sha256');
          inBlock = 0;
          completed = true;
        }
      }
      if (completed) await persist();
    },
    async reset() {
      // Another version of the file is being served. A prefix from an earlier run belongs to the old one.
      if (verified > 0) throw new ResumedPrefixInvalid('the file changed on the server since the interrupted download');
      await handle.truncate(0);
      position = 0;
      block = createHash('sha256');
      inBlock = 0;
      journal.blocks = [];
      await persist();
    },
  };
  return {
    resumedBytes: verified,
    sink,
    close: () => handle.close(),
  };
}

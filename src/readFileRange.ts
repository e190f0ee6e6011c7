import { open, type FileHandle } from 'node:fs/promises';
import { TokenscapeError } from './errors.ts';

/** Bytes [start, end) of a local file; a file that ends early is an error naming where it ends. */
export async function readFileRange(file: string, start: number, end: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const out = new Uint8Array(end - start);
    const { bytesRead } = await handle.read(out, 0, out.length, start);
    if (bytesRead !== out.length) {
      throw new TokenscapeError(`${file} ends at byte ${start + bytesRead}, before byte ${end}.`, { file });
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** Writes all of `chunk` at `position` (a single write may take fewer bytes than it was given). */
export async function writeAllAt(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

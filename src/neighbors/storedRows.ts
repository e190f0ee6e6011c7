/**
 * The search rows of an embedding as stored (16- or 32-bit values), read straight from the file into a
 * caller's buffer: each run of consecutive row ids is one positioned read, so a whole vocabulary is a
 * handful of large sequential reads rather than one system call per row.
 */
import { readSync } from 'node:fs';
import type { EmbeddingFile } from '../embeddings/embeddingFile.ts';
import { TokenscapeError } from '../errors.ts';

/** Reads the rows searchIds[from..to) (ascending ids) into `into`, row `from` at byte `at`. */
export function readStoredRows(embedding: EmbeddingFile, fd: number, searchIds: Uint32Array, from: number, to: number, into: Uint8Array, at: number): void {
  const rowBytes = embedding.rowBytes;
  for (let i = from; i < to; ) {
    let j = i + 1;
    while (j < to && searchIds[j] === searchIds[j - 1] + 1) j++;
    let done = 0;
    const want = (j - i) * rowBytes;
    const position = embedding.byteOffset + searchIds[i] * rowBytes;
    const target = at + (i - from) * rowBytes;
    while (done < want) {
      const got = readSync(fd, into, target + done, want - done, position + done);
      if (got === 0) {
        throw new TokenscapeError(`The cached embedding ${embedding.path} is shorter than ${embedding.rows} rows.`, { file: embedding.path, hint: 'Delete it and run again.' });
      }
      done += got;
    }
    i = j;
  }
}

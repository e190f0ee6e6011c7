/**
 * An interrupted range download resumes from the bytes on disk only when they are what was received: same
 * range, same ETag, and every kept block hashing as journalled when it arrived.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockBytesFor, journalPathOf, openResumable } from '../src/hub/resumableRange.ts';

const id = { source: 'model org/m@abc/model.safetensors', start: 1000, end: 1000 + 64 * 4096, etag: 'e1' };
const bytes = Uint8Array.from({ length: id.end - id.start }, (_, i) => (i * 31 + 7) & 0xff);

/** Writes the first `n` bytes in uneven chunks, then stops as a killed process would (no close of the journal). */
async function interruptedAfter(partial: string, n: number) {
  const range = await openResumable(partial, id);
  for (let at = 0; at < n; ) {
    const take = Math.min(1000 + (at % 3000), n - at);
    await range.sink.write(bytes.subarray(at, at + take));
    at += take;
  }
  await range.close();
}

describe('resumable range downloads', () => {
  const block = blockBytesFor(id.end - id.start);

  it('resume after the last whole block that was journalled', async () => {
    const partial = join(mkdtempSync(join(tmpdir(), 'tks-resume-')), 'slice.bin.incomplete');
    await interruptedAfter(partial, 10 * block + 123);
    const again = await openResumable(partial, id);
    expect(again.resumedBytes).toBe(10 * block);
    await again.sink.write(bytes.subarray(10 * block));
    await again.close();
    expect(Buffer.from(readFileSync(partial)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('cut off everything from the first block whose bytes on disk no longer match', async () => {
    const partial = join(mkdtempSync(join(tmpdir(), 'tks-resume-')), 'slice.bin.incomplete');
    await interruptedAfter(partial, 20 * block);
    const damaged = readFileSync(partial);
    damaged[7 * block + 5] ^= 0xff;
    writeFileSync(partial, damaged);
    const again = await openResumable(partial, id);
    expect(again.resumedBytes).toBe(7 * block);
    await again.close();
    expect(readFileSync(partial).length).toBe(7 * block);
  });

  it('start over when the server gives another ETag, another range, or the journal is unreadable', async () => {
    for (const change of [{ etag: 'e2' }, { end: id.end - 1 }, { source: 'model org/other@abc/model.safetensors' }, null]) {
      const partial = join(mkdtempSync(join(tmpdir(), 'tks-resume-')), 'slice.bin.incomplete');
      await interruptedAfter(partial, 5 * block);
      if (change === null) writeFileSync(journalPathOf(partial), '{"version": 1, "blocks": [');
      const again = await openResumable(partial, { ...id, ...change });
      expect(again.resumedBytes).toBe(0);
      await again.close();
      expect(readFileSync(partial).length).toBe(0);
    }
  });
});

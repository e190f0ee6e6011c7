/**
 * GGUF figures for `npm run bench` (section `gguf`): a LLaMA-3-sized token_embd.weight (128256 × 4096) in the
 * K-quant and Q8_0 layouts people download, turned into the float32 cache slice by the real materialise path
 * (range copy, then dequantisation a window of block rows at a time), and the dequantiser alone in memory.
 * The notebook has no GGUF reader, so there is no peer figure; the target is the "in seconds".
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { f32ToF16Bits } from '../loopback-hub/fixtureMirror.ts';
import { dequantize } from '../../src/gguf/dequantize.ts';
import { GGML_TYPES } from '../../src/gguf/ggmlTypes.ts';
import { GgufFile, ggufSource } from '../../src/gguf/ggufSource.ts';
import { localFolderFiles } from '../../src/sources/repoFiles.ts';
import type { ModelTokenizer } from '../../src/tokens/loadTokenizer.ts';
import { encodeGguf } from '../../tests/support/ggufFile.ts';
import { BENCH_DIR } from './inputs.ts';
import type { BenchRow } from './table.ts';

const ROWS = 128256;
const COLS = 4096;
/** Where each type keeps its f16 scales (byte offsets inside a block), set to sane values over random bytes. */
const SCALE_OFFSETS: Record<string, number[]> = { Q4_K: [0, 2], Q6_K: [208], Q8_0: [0] };

function typeId(name: string): number {
  for (const [id, t] of GGML_TYPES) if (t.name === name) return id;
  throw new Error(name);
}

/** A GGUF holding one random token_embd.weight of `type` (made once, kept in the bench cache). */
function ensureFile(type: string, log: (s: string) => void): string {
  const t = GGML_TYPES.get(typeId(type))!;
  const folder = join(BENCH_DIR, 'gguf');
  const file = join(folder, `embd-${ROWS}x${COLS}-${type}.gguf`);
  if (existsSync(file)) return file;
  log(`making a ${ROWS} × ${COLS} ${type} GGUF (once) …`);
  mkdirSync(folder, { recursive: true });
  const header = encodeGguf({ tensors: [{ name: 'token_embd.weight', dims: [COLS, ROWS], type: typeId(type), data: new Uint8Array(0) }] });
  const temp = `${file}.partial-${process.pid}`;
  const fd = openSync(temp, 'w');
  writeSync(fd, header);
  const blocksPerRow = COLS / t.blockElements;
  const chunkRows = 1024;
  const chunk = new Uint8Array(chunkRows * blocksPerRow * t.blockBytes);
  const scale = f32ToF16Bits(0.01);
  for (let row = 0; row < ROWS; row += chunkRows) {
    const n = Math.min(chunkRows, ROWS - row);
    randomFillSync(chunk);
    for (let b = 0; b < n * blocksPerRow; b++) {
      for (const at of SCALE_OFFSETS[type]) {
        chunk[b * t.blockBytes + at] = scale & 0xff;
        chunk[b * t.blockBytes + at + 1] = scale >> 8;
      }
    }
    writeSync(fd, chunk, 0, n * blocksPerRow * t.blockBytes);
  }
  closeSync(fd);
  renameSync(temp, file);
  return file;
}

export async function benchGguf(log: (s: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const type of ['Q4_K', 'Q6_K', 'Q8_0']) {
    const path = ensureFile(type, log);
    const file = new GgufFile(localFolderFiles(join(path, '..'), 'bench'), path.split('/').pop()!, async () => statSync(path).size);
    const source = ggufSource(file);
    const at = await source.locate('input', { vocabSize: ROWS } as ModelTokenizer);
    const dest = join(BENCH_DIR, 'gguf', `slice-${type}.f32`);
    log(`GGUF ${type}: materialise ${ROWS} × ${COLS} as float32 …`);
    rmSync(dest, { force: true });
    const start = performance.now();
    await source.materialise(at, dest);
    const seconds = (performance.now() - start) / 1000;
    rmSync(dest, { force: true });

    // The dequantiser alone, over one 8 MB window of the same blocks, repeated to the matrix's size.
    const t = at.storedDtype;
    const rowBytes = (at.end - at.begin) / ROWS;
    const windowRows = Math.floor((8 * 1024 * 1024) / rowBytes);
    const raw = new Uint8Array(windowRows * rowBytes);
    const fd = openSync(path, 'r');
    const { readSync } = await import('node:fs');
    readSync(fd, raw, 0, raw.length, at.begin);
    closeSync(fd);
    const out = new Float32Array(windowRows * COLS);
    const t0 = performance.now();
    for (let r = 0; r < ROWS; r += windowRows) {
      const n = Math.min(windowRows, ROWS - r);
      dequantize(t, raw.subarray(0, n * rowBytes), out.subarray(0, n * COLS));
    }
    const kernel = (performance.now() - t0) / 1000;
    rows.push({
      figure: `GGUF ${type} ${ROWS} × ${COLS} → float32 cache slice (copy + dequantise)`,
      ours: `${seconds.toFixed(2)} s`,
      peer: 'n/a',
      ratio: '',
      target: 'seconds (issue 9)',
      verdict: seconds < 30 ? 'met' : 'MISSED',
    });
    rows.push({
      figure: `  dequantisation alone, in memory`,
      ours: `${kernel.toFixed(2)} s`,
      peer: 'n/a',
      ratio: '',
      target: `(${((ROWS * COLS) / kernel / 1e6).toFixed(0)} M values/s)`,
      verdict: '',
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./table.ts');
  printTable(await benchGguf((s) => process.stderr.write(`${s}\n`)));
}

/**
 * The cached embedding slice on disk, read in windows: neither the raw tensor nor a float32 copy of the whole
 * matrix is ever held at once, so a 128k × 4096 vocabulary fits in about the tensor's own size of memory.
 */
import { open } from 'node:fs/promises';
import { TokenscapeError } from '../errors.ts';
import { decodeRows } from './decodeRows.ts';
import { DTYPE_BYTES } from './safetensorsHeader.ts';

/** Consecutive blocks of selected rows as float32, for algorithms that pass over the data several times. */
export interface RowBlocks {
  rows: number;
  dims: number;
  /** True when blocks are views of one matrix in memory, so changes made during a pass persist. */
  persistent: boolean;
  /**
   * Calls `visit` with each block (row-major float32, rows in selection order). The block is the caller's to
   * modify until `visit` resolves.
   */
  forEachBlock(visit: (block: Float32Array, firstRow: number, count: number) => Promise<void> | void): Promise<void>;
}

/** Raw bytes read per file access. */
const WINDOW_BYTES = 64 * 1024 * 1024;

export class EmbeddingFile {
  readonly rowBytes: number;

  constructor(
    readonly path: string,
    readonly dtype: string,
    readonly rows: number,
    readonly cols: number,
    /** Names the tensor in errors. */
    readonly describe: string,
  ) {
    this.rowBytes = cols * DTYPE_BYTES[dtype];
  }

  /**
   * Decodes the rows `ids` (ascending) into `out`, a window of the file at a time.
   * Returns how many rows hold NaN or Infinity.
   */
  private async decodeInto(ids: Uint32Array, out: Float32Array): Promise<number> {
    const handle = await open(this.path, 'r');
    const rowsPerWindow = Math.max(1, Math.floor(WINDOW_BYTES / this.rowBytes));
    const window = new Uint8Array(rowsPerWindow * this.rowBytes);
    let nonFinite = 0;
    try {
      let i = 0;
      while (i < ids.length) {
        const first = ids[i];
        let j = i;
        while (j < ids.length && ids[j] < first + rowsPerWindow) j++;
        const span = ids[j - 1] - first + 1;
        const { bytesRead } = await handle.read(window, 0, span * this.rowBytes, first * this.rowBytes);
        if (bytesRead !== span * this.rowBytes) {
          throw new TokenscapeError(`The cached embedding ${this.path} is shorter than ${this.rows} rows.`, { file: this.path, hint: 'Delete it and run again.' });
        }
        const local = new Uint32Array(j - i);
        for (let r = i; r < j; r++) local[r - i] = ids[r] - first;
        nonFinite += decodeRows(window.subarray(0, span * this.rowBytes), this.dtype, this.cols, local, out.subarray(i * this.cols, j * this.cols));
        i = j;
      }
    } finally {
      await handle.close();
    }
    return nonFinite;
  }

  private nonFiniteError(bad: number, of: number): TokenscapeError {
    return new TokenscapeError(`${bad} of ${of} embedding rows of ${this.describe} contain NaN or Infinity.`, {
      file: this.path,
      hint: 'The weights are damaged or overflowed when saved; use another revision of the model.',
    });
  }

  /** The selected rows as one float32 matrix. */
  async readRows(ids: Uint32Array): Promise<Float32Array> {
    const out = new Float32Array(ids.length * this.cols);
    const bad = await this.decodeInto(ids, out);
    if (bad > 0) throw this.nonFiniteError(bad, ids.length);
    return out;
  }

  /**
   * The selected rows as blocks: held in memory when they fit in `memoryBytes` (decoded once), otherwise
   * decoded again on every pass.
   */
  async rowBlocks(ids: Uint32Array, memoryBytes: number, blockRows = Math.max(1, Math.floor((16 * 1024 * 1024) / this.cols))): Promise<RowBlocks> {
    if (ids.length * this.cols * 4 <= memoryBytes) return inMemoryBlocks(await this.readRows(ids), ids.length, this.cols);
    const buffer = new Float32Array(blockRows * this.cols);
    return {
      rows: ids.length,
      dims: this.cols,
      persistent: false,
      forEachBlock: async (visit) => {
        let bad = 0;
        for (let start = 0; start < ids.length; start += blockRows) {
          const count = Math.min(blockRows, ids.length - start);
          const block = buffer.subarray(0, count * this.cols);
          bad += await this.decodeInto(ids.subarray(start, start + count), block);
          // Once a NaN is seen the pass only goes on to count the damaged rows for the message.
          if (bad === 0) await visit(block, start, count);
        }
        if (bad > 0) throw this.nonFiniteError(bad, ids.length);
      },
    };
  }
}

/** Blocks over a matrix already in memory (no copies: blocks are views). */
export function inMemoryBlocks(x: Float32Array, rows: number, dims: number, blockRows = Math.max(1, Math.floor((64 * 1024 * 1024) / dims))): RowBlocks {
  return {
    rows,
    dims,
    persistent: true,
    forEachBlock: async (visit) => {
      for (let start = 0; start < rows; start += blockRows) {
        const count = Math.min(blockRows, rows - start);
        await visit(x.subarray(start * dims, (start + count) * dims), start, count);
      }
    },
  };
}

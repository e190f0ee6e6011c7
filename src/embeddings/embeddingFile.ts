/**
 * The cached embedding slice on disk, read in windows. PCA gets the selected rows in their stored precision
 * (float16 stays float16; bfloat16 is widened block by block), held in memory when they fit a budget and
 * streamed from the file on every pass otherwise: a 128k × 4096 vocabulary never needs a float32 copy.
 */
import { open } from 'node:fs/promises';
import { TokenscapeError } from '../errors.ts';
import type { BlockData } from '../projection/pcaKernels.ts';
import { decodeRows } from './decodeRows.ts';
import { DTYPE_BYTES } from './safetensorsHeader.ts';

/** Consecutive blocks of selected rows, for algorithms that pass over the data several times. */
export interface RowBlocks {
  rows: number;
  dims: number;
  /** Calls `visit` with each block in selection order; blocks must not be modified. */
  forEachBlock(visit: (block: BlockData, firstRow: number, count: number) => Promise<void> | void): Promise<void>;
  /** The error to report when `count` rows hold NaN or Infinity. */
  nonFiniteError(count: number): TokenscapeError;
}

/** Raw bytes read per file access. */
const WINDOW_BYTES = 64 * 1024 * 1024;
/**
 * Elements per block handed to onnxruntime: large enough for efficient matrix products, small enough that
 * the float32 copy a float16 block is cast to inside the graph stays small (32 MB).
 */
const BLOCK_ELEMENTS = 8 * 1024 * 1024;

export class EmbeddingFile {
  readonly rowBytes: number;

  constructor(
    readonly path: string,
    readonly dtype: string,
    readonly rows: number,
    readonly cols: number,
    /** Names the tensor in errors. */
    readonly describe: string,
    /** Where row 0 starts in the file (0 for a cached slice; the tensor's offset inside a safetensors file). */
    readonly byteOffset = 0,
  ) {
    this.rowBytes = cols * DTYPE_BYTES[dtype];
  }

  /** Calls `each(window, localRowIndex[], from, to)` for runs of `ids` (ascending) that share a window of the file. */
  private async readWindows(ids: Uint32Array, each: (window: Uint8Array, local: Uint32Array, from: number, to: number) => void): Promise<void> {
    const handle = await open(this.path, 'r');
    const rowsPerWindow = Math.max(1, Math.floor(WINDOW_BYTES / this.rowBytes));
    const window = new Uint8Array(Math.min(rowsPerWindow, this.rows) * this.rowBytes);
    try {
      let i = 0;
      while (i < ids.length) {
        const first = ids[i];
        let j = i;
        while (j < ids.length && ids[j] < first + rowsPerWindow) j++;
        const span = ids[j - 1] - first + 1;
        const { bytesRead } = await handle.read(window, 0, span * this.rowBytes, this.byteOffset + first * this.rowBytes);
        if (bytesRead !== span * this.rowBytes) {
          throw new TokenscapeError(`The cached embedding ${this.path} is shorter than ${this.rows} rows.`, { file: this.path, hint: 'Delete it and run again.' });
        }
        const local = new Uint32Array(j - i);
        for (let r = i; r < j; r++) local[r - i] = ids[r] - first;
        each(window.subarray(0, span * this.rowBytes), local, i, j);
        i = j;
      }
    } finally {
      await handle.close();
    }
  }

  /** The rows as PCA blocks take them: float16 bits for F16, float32 otherwise. */
  private async gather(ids: Uint32Array, out: BlockData): Promise<void> {
    await this.readWindows(ids, (window, local, from) => {
      if (out.type === 'float16') {
        const halves = new Uint16Array(window.buffer, window.byteOffset, window.byteLength >> 1);
        for (let r = 0; r < local.length; r++) out.data.set(halves.subarray(local[r] * this.cols, (local[r] + 1) * this.cols), (from + r) * this.cols);
      } else {
        decodeRows(window, this.dtype, this.cols, local, out.data.subarray(from * this.cols, (from + local.length) * this.cols));
      }
    });
  }

  nonFiniteError(bad: number, of: number): TokenscapeError {
    // The message names the model's file; the cached slice's path would mean nothing to the user.
    return new TokenscapeError(`${bad} of ${of} embedding rows of ${this.describe} contain NaN or Infinity.`, {
      hint: 'The weights are damaged or overflowed when saved; use another revision of the model.',
    });
  }

  /** The selected rows as one float32 matrix, checked for NaN and Infinity. */
  async readRows(ids: Uint32Array): Promise<Float32Array> {
    const out = new Float32Array(ids.length * this.cols);
    let bad = 0;
    await this.readWindows(ids, (window, local, from, to) => {
      bad += decodeRows(window, this.dtype, this.cols, local, out.subarray(from * this.cols, to * this.cols));
    });
    if (bad > 0) throw this.nonFiniteError(bad, ids.length);
    return out;
  }

  /** The selected rows as blocks: held in memory when they fit in `memoryBytes`, otherwise read again on every pass. */
  async rowBlocks(ids: Uint32Array, memoryBytes: number, blockRows = Math.max(1, Math.floor(BLOCK_ELEMENTS / this.cols))): Promise<RowBlocks> {
    const type = this.dtype === 'F16' ? 'float16' : 'float32';
    const allocate = (elements: number): BlockData =>
      type === 'float16' ? { type, data: new Uint16Array(elements) } : { type, data: new Float32Array(elements) };
    const elementBytes = type === 'float16' ? 2 : 4;
    const nonFiniteError = (count: number) => this.nonFiniteError(count, ids.length);
    if (ids.length * this.cols * elementBytes <= memoryBytes) {
      const all = allocate(ids.length * this.cols);
      await this.gather(ids, all);
      return { ...blocksOf(all, ids.length, this.cols), nonFiniteError };
    }
    const buffer = allocate(blockRows * this.cols);
    return {
      rows: ids.length,
      dims: this.cols,
      nonFiniteError,
      forEachBlock: async (visit) => {
        for (let start = 0; start < ids.length; start += blockRows) {
          const count = Math.min(blockRows, ids.length - start);
          const block = sliceBlock(buffer, 0, count * this.cols);
          await this.gather(ids.subarray(start, start + count), block);
          await visit(block, start, count);
        }
      },
    };
  }
}

function sliceBlock(block: BlockData, from: number, to: number): BlockData {
  return block.type === 'float16' ? { type: 'float16', data: block.data.subarray(from, to) } : { type: 'float32', data: block.data.subarray(from, to) };
}

/** Blocks over rows already in memory; blocks are views, never copies. */
function blocksOf(all: BlockData, rows: number, dims: number, blockRows = Math.max(1, Math.floor(BLOCK_ELEMENTS / dims))) {
  return {
    rows,
    dims,
    forEachBlock: async (visit: (block: BlockData, firstRow: number, count: number) => Promise<void> | void) => {
      for (let start = 0; start < rows; start += blockRows) {
        const count = Math.min(blockRows, rows - start);
        await visit(sliceBlock(all, start * dims, (start + count) * dims), start, count);
      }
    },
  };
}

/** A float32 matrix in memory as PCA blocks. */
export function inMemoryBlocks(x: Float32Array, rows: number, dims: number, describe = 'the rows'): RowBlocks {
  return {
    ...blocksOf({ type: 'float32', data: x }, rows, dims),
    nonFiniteError: (count) => new TokenscapeError(`${count} of ${rows} rows of ${describe} contain NaN or Infinity.`),
  };
}

/**
 * The embedding slice on disk (a cached slice, or the rows in place in a local model file), read in windows. PCA gets the selected rows as float32 blocks, in the
 * cheapest form that fits a memory budget: decoded once and held as float32; held as the stored 16-bit values
 * and widened a cache-sized block at a time on every pass (a 128k × 4096 BF16 vocabulary: 1 GB instead of
 * 2.1 GB, and widening is a shift); or read and decoded from the file on every pass.
 */
import { open } from 'node:fs/promises';
import { TokenscapeError } from '../errors.ts';
import { decodeRows } from './decodeRows.ts';
import { DTYPE_BYTES } from './safetensorsHeader.ts';
import { WasmArena } from './wasmWiden.ts';
import { widenInto } from './widenRows.ts';

/** Consecutive blocks of selected rows, for algorithms that pass over the data several times. */
export interface RowBlocks {
  rows: number;
  dims: number;
  /** Calls `visit` with each block in selection order; blocks must not be modified. */
  forEachBlock(visit: (block: Float32Array, firstRow: number, count: number) => Promise<void> | void): Promise<void>;
  /** The error to report when `count` rows hold NaN or Infinity. */
  nonFiniteError(count: number): TokenscapeError;
}

/** Raw bytes read per file access. */
const WINDOW_BYTES = 64 * 1024 * 1024;
/** Elements per block handed to onnxruntime: large enough for efficient matrix products, small in memory (32 MB). */
const BLOCK_ELEMENTS = 8 * 1024 * 1024;
/**
 * Elements per block widened from held 16-bit rows: small enough (4 MB as float32) that the block is still in
 * the CPU's last-level cache when both matrix products of a PCA pass read it, large enough that the per-block
 * work that does not shrink with the block (a k × d product to add up, a run of onnxruntime) stays small.
 */
const HELD_BLOCK_ELEMENTS = 1024 * 1024;

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
  private async readWindows(
    ids: Uint32Array,
    each: (window: Uint8Array, local: Uint32Array, from: number, to: number) => Promise<void>,
  ): Promise<void> {
    const handle = await open(this.path, 'r');
    const rowsPerWindow = Math.max(1, Math.floor(WINDOW_BYTES / this.rowBytes));
    // No larger than the rows asked for: a pass calls this per block, and a fresh 64 MB buffer per block
    // makes V8 run a full GC for each (external memory pressure).
    const spanned = ids.length > 0 ? ids[ids.length - 1] - ids[0] + 1 : 1;
    const window = new Uint8Array(Math.min(rowsPerWindow, this.rows, spanned) * this.rowBytes);
    try {
      let i = 0;
      while (i < ids.length) {
        const first = ids[i];
        let j = i;
        while (j < ids.length && ids[j] < first + rowsPerWindow) j++;
        const span = ids[j - 1] - first + 1;
        const { bytesRead } = await handle.read(window, 0, span * this.rowBytes, this.byteOffset + first * this.rowBytes);
        if (bytesRead !== span * this.rowBytes) {
          throw this.truncatedError();
        }
        const local = new Uint32Array(j - i);
        for (let r = i; r < j; r++) local[r - i] = ids[r] - first;
        await each(window.subarray(0, span * this.rowBytes), local, i, j);
        i = j;
      }
    } finally {
      await handle.close();
    }
  }

  /** Decodes the rows `ids` (ascending) into `out` as float32. */
  private async decodeInto(ids: Uint32Array, out: Float32Array): Promise<void> {
    await this.readWindows(ids, async (window, local, from, to) => {
      const target = out.subarray(from * this.cols, to * this.cols);
      if ((this.dtype === 'BF16' || this.dtype === 'F16') && window.byteOffset % 2 === 0) {
        const bits = new Uint16Array(window.buffer, window.byteOffset, window.byteLength >> 1);
        // Runs of consecutive rows are widened in one call (a full vocabulary is a single run per window).
        for (let r = 0; r < local.length; ) {
          let end = r + 1;
          while (end < local.length && local[end] === local[end - 1] + 1) end++;
          await widenInto(bits.subarray(local[r] * this.cols, (local[end - 1] + 1) * this.cols), this.dtype, target.subarray(r * this.cols, end * this.cols));
          r = end;
        }
        return;
      }
      decodeRows(window, this.dtype, this.cols, local, target);
    });
  }

  private truncatedError(): TokenscapeError {
    return new TokenscapeError(`${this.path} ends before row ${this.rows} of ${this.describe}.`, {
      file: this.path,
      hint: 'The file was truncated or replaced while the build ran. If it is under the Tokenscape cache folder, delete it; then run the build again.',
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
    await this.decodeInto(ids, out);
    const bad = countNonFiniteRows(out, this.cols);
    if (bad > 0) throw this.nonFiniteError(bad, ids.length);
    return out;
  }

  /** The selected rows (ascending) as stored, gathered into `raw` (ids.length × rowBytes). */
  private async readRaw(ids: Uint32Array, raw: Uint8Array): Promise<Uint8Array> {
    if (ids.length > 0 && ids[ids.length - 1] - ids[0] === ids.length - 1) {
      // Consecutive rows (a full vocabulary) are read straight into place, without a window to copy from.
      const handle = await open(this.path, 'r');
      try {
        for (let at = 0; at < raw.length; ) {
          const { bytesRead } = await handle.read(raw, at, Math.min(WINDOW_BYTES, raw.length - at), this.byteOffset + ids[0] * this.rowBytes + at);
          if (bytesRead === 0) throw this.truncatedError();
          at += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return raw;
    }
    await this.readWindows(ids, async (window, local, from) => {
      for (let r = 0; r < local.length; r++) {
        raw.set(window.subarray(local[r] * this.rowBytes, (local[r] + 1) * this.rowBytes), (from + r) * this.rowBytes);
      }
    });
    return raw;
  }

  /**
   * The selected rows as float32 blocks: 16-bit rows held as stored and widened per block in WebAssembly when
   * they fit in `memoryBytes`; else decoded once and held as float32 when that takes at most half of it (or
   * `holdAs: 'float32'`); else 16-bit rows held as stored and widened in JS; otherwise decoded from the file
   * on every pass.
   */
  async rowBlocks(ids: Uint32Array, memoryBytes: number, blockRows?: number, holdAs?: 'float32'): Promise<RowBlocks> {
    const nonFiniteError = (count: number) => this.nonFiniteError(count, ids.length);
    const float32Bytes = ids.length * this.cols * 4;
    const rawBytes = ids.length * this.rowBytes;
    const sixteenBit = this.dtype === 'F16' || this.dtype === 'BF16';
    const heldRowsPerBlock = blockRows ?? Math.max(1, Math.floor(HELD_BLOCK_ELEMENTS / this.cols));
    const blockValues = Math.min(heldRowsPerBlock, ids.length) * this.cols;
    // Stored 16-bit rows and the block they widen into, in one wasm memory: widening is then one SIMD call per
    // cache-sized block, cheaper than the float32 copy would be to make (and half its memory).
    const arena = sixteenBit && holdAs !== 'float32' && rawBytes <= memoryBytes ? WasmArena.create(rawBytes + blockValues * 4 + 256) : null;
    if (!arena && (float32Bytes <= memoryBytes / 2 || (this.dtype === 'F32' && float32Bytes <= memoryBytes) || holdAs === 'float32')) {
      const all = new Float32Array(ids.length * this.cols);
      await this.decodeInto(ids, all);
      // Cache-sized blocks here too: both products of a pass then read a block from the cache, not from RAM.
      return { ...blocksOf(all, ids.length, this.cols, heldRowsPerBlock), nonFiniteError };
    }
    if (rawBytes <= memoryBytes && sixteenBit) {
      const dtype = this.dtype as 'F16' | 'BF16';
      const raw = await this.readRaw(ids, arena ? arena.uint8(rawBytes) : new Uint8Array(rawBytes));
      const halves = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1);
      const buffer = arena ? arena.float32(blockValues) : new Float32Array(blockValues);
      return {
        rows: ids.length,
        dims: this.cols,
        nonFiniteError,
        forEachBlock: async (visit) => {
          for (let start = 0; start < ids.length; start += heldRowsPerBlock) {
            const count = Math.min(heldRowsPerBlock, ids.length - start);
            const block = buffer.subarray(0, count * this.cols);
            await widenInto(halves.subarray(start * this.cols, (start + count) * this.cols), dtype, block);
            await visit(block, start, count);
          }
        },
      };
    }
    blockRows ??= Math.max(1, Math.floor(BLOCK_ELEMENTS / this.cols));
    const buffer = new Float32Array(blockRows * this.cols);
    return {
      rows: ids.length,
      dims: this.cols,
      nonFiniteError,
      forEachBlock: async (visit) => {
        for (let start = 0; start < ids.length; start += blockRows) {
          const count = Math.min(blockRows, ids.length - start);
          const block = buffer.subarray(0, count * this.cols);
          await this.decodeInto(ids.subarray(start, start + count), block);
          await visit(block, start, count);
        }
      },
    };
  }
}

/** Rows of a row-major matrix holding NaN or Infinity. */
export function countNonFiniteRows(x: Float32Array, dims: number): number {
  let bad = 0;
  for (let r = 0; r * dims < x.length; r++) {
    for (let c = r * dims, end = c + dims; c < end; c++) {
      if (!Number.isFinite(x[c])) {
        bad++;
        break;
      }
    }
  }
  return bad;
}

/** Blocks over rows already in memory; blocks are views, never copies. */
function blocksOf(all: Float32Array, rows: number, dims: number, blockRows = Math.max(1, Math.floor(BLOCK_ELEMENTS / dims))) {
  return {
    rows,
    dims,
    forEachBlock: async (visit: (block: Float32Array, firstRow: number, count: number) => Promise<void> | void) => {
      for (let start = 0; start < rows; start += blockRows) {
        const count = Math.min(blockRows, rows - start);
        await visit(all.subarray(start * dims, (start + count) * dims), start, count);
      }
    },
  };
}

/** A float32 matrix in memory as PCA blocks. */
export function inMemoryBlocks(x: Float32Array, rows: number, dims: number, describe = 'the rows'): RowBlocks {
  return {
    ...blocksOf(x, rows, dims),
    nonFiniteError: (count) => new TokenscapeError(`${count} of ${rows} rows of ${describe} contain NaN or Infinity.`),
  };
}

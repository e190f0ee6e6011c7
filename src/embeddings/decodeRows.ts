/** Converts stored embedding rows (F32, F16, BF16, little-endian) to float32. */

let f16Table: Float32Array | null = null;
export function halfToFloatTable(): Float32Array {
  if (f16Table) return f16Table;
  f16Table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    f16Table[h] =
      exponent === 0
        ? sign * 2 ** -14 * (fraction / 1024)
        : exponent === 31
          ? fraction
            ? NaN
            : sign * Infinity
          : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return f16Table;
}

/** Writes `rowIds` rows of a [rows, cols] matrix stored as `dtype` in `raw` into `out` (row-major float32). */
export function decodeRows(raw: Uint8Array, dtype: string, cols: number, rowIds: ArrayLike<number>, out: Float32Array): void {
  const n = rowIds.length;
  if (dtype === 'F32') {
    const aligned = raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength >> 2) : new Float32Array(raw.slice().buffer);
    for (let r = 0; r < n; r++) out.set(aligned.subarray(rowIds[r] * cols, (rowIds[r] + 1) * cols), r * cols);
  } else {
    const halves = raw.byteOffset % 2 === 0 ? new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1) : new Uint16Array(raw.slice().buffer);
    if (dtype === 'F16') {
      const table = halfToFloatTable();
      for (let r = 0; r < n; r++) {
        const src = rowIds[r] * cols;
        const dst = r * cols;
        for (let c = 0; c < cols; c++) out[dst + c] = table[halves[src + c]];
      }
    } else if (dtype === 'BF16') {
      const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
      for (let r = 0; r < n; r++) {
        const src = rowIds[r] * cols;
        const dst = r * cols;
        for (let c = 0; c < cols; c++) bits[dst + c] = halves[src + c] << 16;
      }
    } else {
      throw new Error(`decodeRows: unsupported dtype ${dtype}`);
    }
  }
}

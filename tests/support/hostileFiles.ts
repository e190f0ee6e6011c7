/** Byte-level builders for broken model files: safetensors with whatever header a test wants, CSV parsing. */

/** A safetensors file from a header given as an object (serialised) or raw text/bytes, and a data section. */
export function rawSafetensors(header: unknown, data: Uint8Array | number = 0, announcedLength?: bigint): Uint8Array {
  const headerBytes =
    header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + headerBytes.length + body.length);
  new DataView(out.buffer).setBigUint64(0, announcedLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(body, 8 + headerBytes.length);
  return out;
}

/** The header object of a safetensors file written by encodeSafetensors. */
export function headerOf(file: Uint8Array): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; data: Uint8Array } {
  const length = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length)));
  return { header, data: file.subarray(8 + length) };
}

/** Rewrites the header of a safetensors file (keeping its data section). */
export function editHeader(file: Uint8Array, edit: (header: Record<string, any>) => void): Uint8Array {
  const { header, data } = headerOf(file);
  edit(header);
  return rawSafetensors(header, data);
}

/** RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

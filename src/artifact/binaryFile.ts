/** Shared framing of the small binary exhibit files: a 4-byte signature, a version, a body, a CRC-32. */
import { crc32 } from './format.ts';
import { ExhibitFormatError } from './readExhibit.ts';

export function failIn(file: string): (what: string) => never {
  return (what: string) => {
    throw new ExhibitFormatError(`${file} is damaged: ${what}.`);
  };
}

/** Runs a decoder so that it throws nothing but ExhibitFormatError, whatever the bytes. */
export function decodeGuarded<T>(file: string, bytes: ArrayBuffer | Uint8Array, decode: (b: Uint8Array) => T): T {
  try {
    return decode(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (error) {
    if (error instanceof ExhibitFormatError) throw error;
    return failIn(file)(`it could not be decoded (${(error as Error)?.message ?? error})`);
  }
}

/** Checks signature, version, announced length and checksum; returns a view on the bytes. */
export function checkFrame(
  file: string,
  bytes: Uint8Array,
  magic: string,
  version: number,
  headerBytes: number,
  bodyLengthOffset: number,
): DataView {
  const fail = failIn(file);
  if (bytes.length < headerBytes + 4) fail(`only ${bytes.length} bytes, shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (got !== magic) fail(`it does not start with the ${magic} signature`);
  const v = view.getUint16(4, true);
  if (v !== version) fail(`format version ${v}, this reader understands version ${version}; rebuild the gallery`);
  const expected = headerBytes + view.getUint32(bodyLengthOffset, true) + 4;
  if (bytes.length !== expected) fail(`${bytes.length} bytes where the header announces ${expected} (truncated download?)`);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== view.getUint32(bytes.length - 4, true)) fail('checksum mismatch');
  return view;
}

/** Appends the CRC-32 of everything before `end` at `end`. */
export function sealFrame(out: Uint8Array, end: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(end, crc32(out.subarray(0, end)), true);
}

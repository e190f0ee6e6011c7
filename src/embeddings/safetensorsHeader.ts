import { TokenscapeError } from '../errors.ts';

export type TensorDtype = 'F32' | 'F16' | 'BF16';
export const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 };

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offsets in the file (header included). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data section: 8 + header length. */
  dataStart: number;
  tensors: Map<string, SafetensorsTensor>;
  /**
   * The string entries of `__metadata__`. safetensors.torch.save_model stores each tensor it dropped as a
   * duplicate here, by name, pointing at the name it kept (tied weights: {"model.embed_tokens.weight": "lm_head.weight"}).
   */
  metadata: Map<string, string>;
}

/** A header larger than this is not a model we can read (real ones are a few hundred kB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function readHeaderLength(prefix: Uint8Array, file: string): number {
  if (prefix.length < 8) throw new TokenscapeError(`${file} is shorter than a safetensors header (${prefix.length} bytes).`, { file });
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n || n > BigInt(MAX_HEADER_BYTES)) {
    throw new TokenscapeError(`${file} is not a safetensors file: it announces a header of ${n} bytes.`, {
      file,
      hint: 'Check that the file is a complete .safetensors file (not an LFS pointer or an HTML error page).',
    });
  }
  return Number(n);
}

/**
 * Parses and checks a safetensors header; fileSize lets us reject offsets outside the file. Sizes are
 * computed exactly (BigInt), so a header claiming an exabyte tensor is an error here, before anything is
 * allocated or requested for it.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, file: string, fileSize: number | null): SafetensorsHeader {
  const dataStart = 8 + headerBytes.length;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new TokenscapeError(`${file} has a safetensors header that is not valid JSON (${(error as Error).message}).`, {
      file,
      hint: 'The file is damaged or not a safetensors file; download it again.',
    });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new TokenscapeError(`${file} has a safetensors header that is not a JSON object.`, { file });
  }
  const tensors = new Map<string, SafetensorsTensor>();
  const metadata = new Map<string, string>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
        for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') metadata.set(k, v);
      }
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const bad = (why: string) => new TokenscapeError(`${file}: tensor "${name}" ${why}.`, { file, field: name });
    if (!t || typeof t !== 'object' || Array.isArray(t)) throw bad('is not described by an object');
    if (typeof t.dtype !== 'string') throw bad('has no dtype');
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`has an invalid shape ${JSON.stringify(t.shape)}`);
    if (!Array.isArray(t.data_offsets) || t.data_offsets.length !== 2 || !t.data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`has invalid data_offsets ${JSON.stringify(t.data_offsets)}`);
    }
    const [b, e] = t.data_offsets as number[];
    if (e < b) throw bad(`has data_offsets [${b}, ${e}] that end before they begin`);
    const elementBytes = DTYPE_BYTES[t.dtype];
    if (elementBytes !== undefined) {
      const bytes = (t.shape as number[]).reduce((a, d) => a * BigInt(d), 1n) * BigInt(elementBytes);
      if (bytes !== BigInt(e - b)) {
        throw bad(`is ${t.dtype} ${JSON.stringify(t.shape)} (${bytes} bytes) but its data_offsets span ${e - b} bytes`);
      }
    }
    if (fileSize !== null && dataStart + e > fileSize) {
      throw bad(`has data_offsets [${b}, ${e}] past the end of the file (${fileSize} bytes)`);
    }
    tensors.set(name, { name, dtype: t.dtype, shape: t.shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  // Overlapping tensors would make one tensor's bytes another's; the format forbids it.
  const spans = [...tensors.values()].filter((t) => t.end > t.begin).sort((x, y) => x.begin - y.begin);
  for (let i = 1; i < spans.length; i++) {
    const [a, b] = [spans[i - 1], spans[i]];
    if (b.begin < a.end) {
      throw new TokenscapeError(
        `${file}: tensors "${a.name}" [${a.begin - dataStart}, ${a.end - dataStart}] and "${b.name}" [${b.begin - dataStart}, ${b.end - dataStart}] overlap.`,
        { file, field: b.name, hint: 'The file is damaged or was written by a broken tool.' },
      );
    }
  }
  return { dataStart, tensors, metadata };
}

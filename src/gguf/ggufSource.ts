/**
 * The embedding source of one GGUF file (local, or one file of a Hub repo): `token_embd.weight` for the input
 * embedding, `output.weight` for the output one (absent when tied). Only the header and the matrix's byte range
 * are read. F32, F16 and BF16 matrices are cached as they are; quantised ones are dequantised to float32
 * while the cache slice is written, a window of block rows at a time.
 */
import { open, rm } from 'node:fs/promises';
import type { TensorRole } from '../config/types.ts';
import type { EmbeddingLocation, EmbeddingSource, SliceDtype } from '../embeddings/embeddingSource.ts';
import { TokenscapeError } from '../errors.ts';
import { tempPathFor } from '../pipeline/workspace.ts';
import type { RepoFiles } from '../sources/repoFiles.ts';
import { dequantize, unreadableTypeError } from './dequantize.ts';
import { isReadableGgmlType } from './ggmlTypes.ts';
import { readGgufHeader, type GgufHeader, type GgufTensorInfo } from './ggufHeader.ts';

const INPUT = 'token_embd.weight';
const OUTPUT = 'output.weight';
/** Quantised bytes dequantised per step: small enough to keep memory flat, large enough for fast writes. */
const WINDOW_BYTES = 8 * 1024 * 1024;

/** One GGUF file of a RepoFiles: its header is read on first use, by ranges. */
export class GgufFile {
  private header: Promise<GgufHeader> | null = null;

  constructor(
    readonly files: RepoFiles,
    readonly path: string,
    private readonly size: () => Promise<number>,
  ) {}

  get label(): string {
    return this.files.describe(this.path);
  }

  readHeader(): Promise<GgufHeader> {
    this.header ??= this.size().then((size) => readGgufHeader({ size, read: (start, end) => this.files.readRange(this.path, start, end) }, this.label));
    return this.header;
  }
}

function sliceDtype(tensor: GgufTensorInfo): SliceDtype {
  const t = tensor.type.name;
  return t === 'F32' || t === 'F16' || t === 'BF16' ? t : 'F32';
}

function matrixOf(header: GgufHeader, role: TensorRole, file: GgufFile, vocabSize: number): { tensor: GgufTensorInfo; tied: boolean } {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const input = byName.get(INPUT);
  const output = byName.get(OUTPUT);
  const tensor = role === 'output' ? (output ?? input) : input;
  if (!tensor) {
    const names = header.tensors.slice(0, 8).map((t) => t.name);
    throw new TokenscapeError(
      header.tensors.length === 0
        ? `${file.label} holds no tensors (a vocabulary-only GGUF file), so there is no embedding to map.`
        : `${file.label} has no ${INPUT} tensor. Its tensors: ${names.join(', ')}${header.tensors.length > names.length ? ', …' : ''}.`,
      { file: file.label, field: INPUT, hint: 'Use a GGUF model file converted by llama.cpp (convert_hf_to_gguf.py), not a vocabulary or adapter file.' },
    );
  }
  if (tensor.dims.length !== 2) {
    throw new TokenscapeError(`The tensor ${tensor.name} of ${file.label} has dimensions [${tensor.dims.join(', ')}], not a matrix.`, { file: file.label, field: tensor.name });
  }
  const [cols, rows] = tensor.dims;
  if (cols === 0 || rows === 0) {
    throw new TokenscapeError(`The tensor ${tensor.name} of ${file.label} is empty ([${tensor.dims.join(', ')}]).`, { file: file.label, field: tensor.name });
  }
  if (rows < vocabSize) {
    throw new TokenscapeError(
      `The tensor ${tensor.name} of ${file.label} has ${rows} rows, fewer than the tokenizer's ${vocabSize} tokens.`,
      { file: file.label, field: tensor.name, hint: 'The tokenizer does not belong to this model: check `tokenizer:` in the config.' },
    );
  }
  if (!isReadableGgmlType(tensor.type.name)) throw unreadableTypeError(tensor.type.name, tensor.name, file.label);
  return { tensor, tied: output === undefined };
}

/** Dequantises the whole quantised rows at `offset` of `src` into `dest` as float32, a window of rows at a time. */
async function dequantiseFile(src: string, offset: number, dest: string, typeName: string, rowBytes: number, rows: number, cols: number): Promise<void> {
  const input = await open(src, 'r');
  const output = await open(dest, 'w');
  try {
    const rowsPerWindow = Math.max(1, Math.floor(WINDOW_BYTES / rowBytes));
    const raw = new Uint8Array(rowsPerWindow * rowBytes);
    const floats = new Float32Array(rowsPerWindow * cols);
    const floatBytes = new Uint8Array(floats.buffer);
    for (let row = 0; row < rows; row += rowsPerWindow) {
      const count = Math.min(rowsPerWindow, rows - row);
      const { bytesRead } = await input.read(raw, 0, count * rowBytes, offset + row * rowBytes);
      if (bytesRead !== count * rowBytes) throw new TokenscapeError(`${src} ended early, inside the embedding; run the build again.`, { file: src });
      dequantize(typeName, raw.subarray(0, count * rowBytes), floats.subarray(0, count * cols));
      await output.write(floatBytes, 0, count * cols * 4);
    }
  } finally {
    await input.close();
    await output.close();
  }
}

export function ggufSource(file: GgufFile): EmbeddingSource {
  return {
    format: 'gguf',
    files: file.files,
    async locate(role, tokenizer): Promise<EmbeddingLocation> {
      const header = await file.readHeader();
      const { tensor, tied } = matrixOf(header, role, file, tokenizer.vocabSize);
      const [cols, rows] = tensor.dims;
      return {
        role,
        name: tensor.name,
        tied,
        rows,
        cols,
        storedDtype: tensor.type.name,
        dtype: sliceDtype(tensor),
        file: file.path,
        begin: tensor.begin,
        end: tensor.end,
        fileIdentity: await file.files.identity(file.path),
      };
    },
    async materialise(at, dest) {
      const label = `${file.files.label} ${at.name} (${at.storedDtype} ${at.rows}×${at.cols})`;
      if (at.storedDtype === at.dtype) {
        await file.files.copyRange(at.file, at.begin, at.end, dest, label);
        return;
      }
      const rowBytes = (at.end - at.begin) / at.rows;
      if (file.files.source === 'local') {
        // A local file is read in place; only the float32 slice is written.
        await dequantiseFile(await file.files.localPath(at.file), at.begin, dest, at.storedDtype, rowBytes, at.rows, at.cols);
        return;
      }
      // From the Hub the quantised range is fetched first (verified, resumable), then dequantised.
      const quantised = tempPathFor(`${dest}.quantised`);
      try {
        await file.files.copyRange(at.file, at.begin, at.end, quantised, label);
        await dequantiseFile(quantised, 0, dest, at.storedDtype, rowBytes, at.rows, at.cols);
      } finally {
        await rm(quantised, { force: true });
      }
    },
  };
}

/**
 * The header of a llama2.c checkpoint (karpathy/llama2.c run.c, the legacy "version 0" layout): seven
 * little-endian int32 — dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len — then float32
 * weights, the token embedding table [vocab, dim] first. A negative vocab_size means the classifier wcls is
 * stored separately at the end (untied); positive means it is the embedding table (tied).
 */
import { TokenscapeError } from '../errors.ts';

export const LLAMA2C_HEADER_BYTES = 28;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  /** |vocab_size| */
  vocabSize: number;
  seqLen: number;
  tied: boolean;
  /** Byte ranges of the embedding table and of the classifier (the same range when tied). */
  embedding: { begin: number; end: number };
  classifier: { begin: number; end: number };
  /** Bytes the header's shapes add up to. */
  totalBytes: number;
}

const FIELDS = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'] as const;

/** Parses and checks the header against the file size; every size is computed exactly (BigInt) first. */
export function parseLlama2cHeader(prefix: Uint8Array, fileSize: number, file: string): Llama2cHeader {
  const hint = 'Check that this is a llama2.c checkpoint (model.bin written by export.py --version 0 / legacy_export), complete and undamaged.';
  const fail = (what: string, field: string) => new TokenscapeError(`The llama2.c checkpoint ${file} ${what}.`, { file, field, hint });
  if (fileSize < LLAMA2C_HEADER_BYTES || prefix.length < LLAMA2C_HEADER_BYTES) {
    throw fail(`is ${fileSize} bytes long, shorter than its 28-byte header`, 'header');
  }
  const magic = String.fromCharCode(...prefix.subarray(0, 4));
  if (magic === 'GGUF') throw new TokenscapeError(`${file} is a GGUF file, not a llama2.c checkpoint.`, { file, field: 'header', hint: 'Use model: { gguf: ... } for it.' });
  const view = new DataView(prefix.buffer, prefix.byteOffset, LLAMA2C_HEADER_BYTES);
  if (view.getUint32(0, true) === 0x616b3432) {
    throw new TokenscapeError(`${file} is a llama2.c "version 1/2" export (magic ak42), which Tokenscape does not read.`, {
      file,
      field: 'header',
      hint: 'Export the checkpoint with llama2.c export.py --version 0 (the legacy layout that run.c reads).',
    });
  }
  const v = FIELDS.map((_, i) => view.getInt32(i * 4, true));
  const [dim, hiddenDim, layers, heads, kvHeads, vocab, seqLen] = v;
  for (const [i, name] of FIELDS.entries()) {
    if (name === 'vocab_size' ? v[i] === 0 : v[i] <= 0) throw fail(`has ${name} ${v[i]} in its header; it must be ${name === 'vocab_size' ? 'non-zero' : 'positive'}`, name);
  }
  if (kvHeads > heads) throw fail(`has n_kv_heads ${kvHeads} > n_heads ${heads}`, 'n_kv_heads');
  if (dim % heads !== 0) throw fail(`has dim ${dim}, not a multiple of n_heads ${heads}`, 'dim');
  const vocabSize = Math.abs(vocab);
  const b = (n: number) => BigInt(n);
  const headSize = b(dim / heads);
  const kvDim = (b(dim) * b(kvHeads)) / b(heads);
  const L = b(layers);
  const D = b(dim);
  const H = b(hiddenDim);
  const embeddingFloats = b(vocabSize) * D;
  const floats =
    embeddingFloats +
    L * D + // rms_att_weight
    L * D * D + 2n * L * kvDim * D + L * D * D + // wq, wk, wv, wo
    L * D + // rms_ffn_weight
    3n * L * H * D + // w1, w2, w3
    D + // rms_final_weight
    b(seqLen) * headSize; // freq_cis_real + freq_cis_imag, seq_len × head_size/2 each
  const total = b(LLAMA2C_HEADER_BYTES) + 4n * (floats + (vocab < 0 ? embeddingFloats : 0n));
  if (total > b(fileSize)) {
    throw fail(
      `is ${fileSize} bytes, but its header (dim ${dim}, hidden_dim ${hiddenDim}, n_layers ${layers}, n_heads ${heads}, n_kv_heads ${kvHeads}, vocab_size ${vocab}, seq_len ${seqLen}) describes ${total} bytes of weights`,
      'header',
    );
  }
  const embedding = { begin: LLAMA2C_HEADER_BYTES, end: LLAMA2C_HEADER_BYTES + Number(4n * embeddingFloats) };
  const classifier = vocab < 0 ? { begin: Number(total - 4n * embeddingFloats), end: Number(total) } : embedding;
  return { dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, tied: vocab > 0, embedding, classifier, totalBytes: Number(total) };
}

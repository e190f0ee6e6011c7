/**
 * llama2.c's tokenizer.bin: int32 max_token_length, then per token float32 score, int32 length and that
 * many bytes of UTF-8 (SentencePiece's "▁" written as a space; BOS and EOS as "\n<s>\n" and "\n</s>\n").
 * The file does not store its token count: it is read to the end, and the model's vocab_size is checked
 * against it by the caller.
 */
import { readFile, stat } from 'node:fs/promises';
import { TokenscapeError } from '../errors.ts';
import type { SentencePieceVocabulary } from './sentencepieceFromScores.ts';

/** Larger than any real tokenizer.bin (LLaMA-2's is 0.4 MB, a 256k vocabulary a few MB): refused before it is read. */
const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024;

const SPECIAL_WRITTEN = new Map([
  ['\n<s>\n', '<s>'],
  ['\n</s>\n', '</s>'],
]);

export async function readLlama2cTokenizer(path: string, display: string): Promise<SentencePieceVocabulary> {
  const fail = (what: string, field: string, hint = 'Check that this is the tokenizer.bin written by llama2.c (tokenizer.py export), complete and undamaged.') =>
    new TokenscapeError(`The llama2.c tokenizer ${display} ${what}.`, { file: path, field, hint });
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new TokenscapeError(`The llama2.c tokenizer ${display} does not exist (${path}).`, {
      file: path,
      hint: 'tokenizer: is resolved relative to the config file; llama2.c ships tokenizer.bin beside run.c.',
    });
  }
  if (size > MAX_TOKENIZER_BYTES) throw fail(`is ${size} bytes, more than any tokenizer (at most ${MAX_TOKENIZER_BYTES})`, 'size');
  const bytes = await readFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw fail(`is ${bytes.length} bytes long, too short for its header (max_token_length, 4 bytes)`, 'max_token_length');
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength <= 0) throw fail(`has max_token_length ${maxTokenLength}; it must be positive`, 'max_token_length');
  // ignoreBOM: a piece may be U+FEFF itself (LLaMA-2 has one), which the decoder would otherwise drop.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const pieces: string[] = [];
  const scores: number[] = [];
  let at = 4;
  while (at < bytes.length) {
    const id = pieces.length;
    if (at + 8 > bytes.length) throw fail(`ends inside token ${id}: ${bytes.length - at} bytes where a score and a length (8 bytes) belong`, `token ${id}`);
    const score = view.getFloat32(at, true);
    const length = view.getInt32(at + 4, true);
    at += 8;
    if (!Number.isFinite(score)) throw fail(`gives token ${id} the score ${score}`, `token ${id} score`);
    if (length <= 0) throw fail(`gives token ${id} the length ${length}; it must be positive`, `token ${id} length`);
    if (at + length > bytes.length) throw fail(`gives token ${id} a length of ${length} bytes, past the end of the file (${bytes.length - at} left)`, `token ${id} length`);
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(at, at + length));
    } catch {
      throw fail(`has token ${id} whose bytes are not valid UTF-8`, `token ${id}`);
    }
    at += length;
    pieces.push(SPECIAL_WRITTEN.get(text) ?? text.replaceAll(' ', '\u2581'));
    scores.push(score);
  }
  if (pieces.length < 3) throw fail(`holds ${pieces.length} tokens; a llama2.c vocabulary starts with <unk>, <s>, </s>`, 'tokens');
  const seen = new Map<string, number>();
  for (const [id, piece] of pieces.entries()) {
    const first = seen.get(piece);
    if (first !== undefined) throw fail(`has the piece ${JSON.stringify(piece)} twice (tokens ${first} and ${id})`, `token ${id}`);
    seen.set(piece, id);
  }
  // llama2.c's run.c fixes these ids: 0 <unk>, 1 BOS, 2 EOS.
  return { pieces, scores, unkId: 0, bosId: 1, eosId: 2, addBos: true, addEos: false };
}

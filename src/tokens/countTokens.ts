import type { ModelTokenizer } from './loadTokenizer.ts';
import type { LineEncoder } from './lineEncoder.ts';

export interface TokenCounts {
  /** Occurrences per token id (index = id). */
  counts: Uint32Array;
  total: number;
  unique: number;
  /** Lines (or rows) that were tokenized. */
  lines: number;
}

/**
 * Counts the tokens of a corpus, one line at a time: tokenizers for SentencePiece models are
 * superlinear on long inputs, and per-line ids are what SentencePiece itself gives line by line.
 * Special tokens the tokenizer adds (BOS/EOS) are counted only when asked. The ids are `encode`'s,
 * through the tokenizer's memoising line encoder when it has one.
 */
/** Counts through the tokenizer's own encode (no fast path). */
export function encodeCounter(tokenizer: Pick<ModelTokenizer, 'encode'>): Pick<LineEncoder, 'count'> {
  return {
    count(line, addSpecial, into) {
      const ids = tokenizer.encode(line, addSpecial);
      for (const id of ids) if (id < into.length) into[id]++;
      return ids.length;
    },
  };
}

export function countTokens(
  tokenizer: ModelTokenizer,
  lines: Iterable<string>,
  includeSpecial: boolean,
  vocabSize: number,
  /** Counts a line; default: the tokenizer's fast line encoder where it has one. */
  encoder: Pick<LineEncoder, 'count'> = tokenizer.lineEncoder?.() ?? encodeCounter(tokenizer),
): TokenCounts {
  const counts = new Uint32Array(vocabSize);
  let total = 0;
  let lineCount = 0;
  for (const line of lines) {
    lineCount++;
    if (line.length === 0) continue;
    total += encoder.count(line, includeSpecial, counts);
  }
  let unique = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) unique++;
  return { counts, total, unique, lines: lineCount };
}

/** Splits text into lines, accepting both LF and CRLF endings (the Divine Comedy file is CRLF). */
export function* splitLines(text: string): Generator<string> {
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) yield text.slice(start);
      return;
    }
    yield text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
    start = nl + 1;
  }
}

/** Whether a token starts a word, by the tokenizer's own marker, detected from its vocabulary. */
import type { WordStartMarker } from '../artifact/manifest.ts';
import { WordStart } from './facetTypes.ts';

const SENTENCEPIECE_SPACE = '\u2581';
const BYTE_LEVEL_SPACE = '\u0120';
const WORDPIECE_CONTINUATION = '##';

/**
 * The convention with the most pieces in the vocabulary, if any has at least 2% of it: `▁word`
 * (SentencePiece), `Ġword` (byte-level BPE), `##piece` (WordPiece). A vocabulary that marks word ends
 * instead (`word▁`, e.g. TinyStories) or nothing has no word-start marker.
 */
export function detectWordStartMarker(pieces: readonly string[]): WordStartMarker {
  let sentencepiece = 0;
  let byteLevel = 0;
  let wordpiece = 0;
  let used = 0;
  let wordEnds = 0;
  for (const p of pieces) {
    if (!p) continue;
    used++;
    if (p.length > 1 && p.endsWith(SENTENCEPIECE_SPACE)) wordEnds++;
    if (p.startsWith(SENTENCEPIECE_SPACE)) sentencepiece++;
    else if (p.startsWith(BYTE_LEVEL_SPACE)) byteLevel++;
    else if (p.startsWith(WORDPIECE_CONTINUATION) && p.length > 2) wordpiece++;
  }
  const best = Math.max(sentencepiece, byteLevel, wordpiece);
  if (best < 0.02 * used || (best === sentencepiece && wordEnds > sentencepiece)) return 'none';
  return best === sentencepiece ? 'sentencepiece' : best === byteLevel ? 'byte-level' : 'wordpiece';
}

/** A WordStart value; special and byte tokens, and tokenizers without a marker, are "not applicable". */
export function wordStartOf(piece: string, marker: WordStartMarker, special: boolean, byteToken: boolean): number {
  if (special || byteToken || marker === 'none') return WordStart.notApplicable;
  if (marker === 'sentencepiece') return piece.startsWith(SENTENCEPIECE_SPACE) ? WordStart.start : WordStart.continuation;
  if (marker === 'byte-level') return piece.startsWith(BYTE_LEVEL_SPACE) ? WordStart.start : WordStart.continuation;
  return piece.startsWith(WORDPIECE_CONTINUATION) && piece.length > 2 ? WordStart.continuation : WordStart.start;
}

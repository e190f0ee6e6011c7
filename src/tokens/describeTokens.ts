import type { ModelTokenizer } from './loadTokenizer.ts';

export interface TokenDescription {
  /** What the token reads as in running text (leading space kept). */
  text: string;
  /** The vocabulary entry as stored ("▁Birmingham", "<0x0A>", "Ġthe"). */
  piece: string;
  special: boolean;
  byteToken: boolean;
}

const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;
const SENTENCEPIECE_SPACE = '\u2581';

/** Whether a token is special or a byte token, without decoding it (what the facets need of every token). */
export function tokenKind(tokenizer: ModelTokenizer, id: number): { special: boolean; byteToken: boolean } {
  return { special: tokenizer.specialIds.has(id), byteToken: BYTE_PIECE.test(tokenizer.pieces[id] ?? '') };
}

/**
 * Decoded text and raw piece of each token. Decoders strip the leading space a lone SentencePiece
 * token would have ("▁Birmingham" decodes to "Birmingham"), which would make it look like
 * "irmingham"'s sibling "Birmingham"; the space is restored so word-initial tokens read as such.
 */
export function describeTokens(tokenizer: ModelTokenizer, ids: ArrayLike<number>): TokenDescription[] {
  const out: TokenDescription[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const piece = tokenizer.pieces[id] ?? '';
    const { special, byteToken } = tokenKind(tokenizer, id);
    let text = special ? piece : tokenizer.decodeOne(id);
    if (!special && piece.startsWith(SENTENCEPIECE_SPACE)) {
      const leading = piece.length - piece.replace(/^\u2581+/, '').length;
      const have = text.length - text.replace(/^ +/, '').length;
      if (have < leading) text = ' '.repeat(leading - have) + text;
    }
    out[i] = { text, piece, special, byteToken };
  }
  return out;
}

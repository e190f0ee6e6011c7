/**
 * A SentencePiece BPE vocabulary given as pieces and scores (llama2.c tokenizer.bin, a GGUF `llama`
 * tokenizer) turned into the Hugging Face tokenizer.json that transformers' LlamaConverter writes for the
 * same vocabulary, so it runs through the same tokenizer, counting fast path and browser code as any
 * tokenizer.json.
 *
 * SentencePiece BPE merges the adjacent pair whose merged piece has the highest score. Hugging Face BPE
 * merges by rank, so the ranks are derived the way SentencePieceExtractor does: every split of every
 * piece into two pieces of the vocabulary is a merge, ordered by the score of the merged piece (highest
 * first), ties kept in vocabulary order. For LLaMA-2 this reproduces the 61249 merges of Meta's
 * tokenizer.json exactly (a test checks it).
 */

/** SentencePiece piece types, numbered as GGUF's tokenizer.ggml.token_type stores them. */
export const PieceType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export interface SentencePieceVocabulary {
  /** Pieces by id, with "▁" (U+2581) for a space, as SentencePiece stores them. */
  pieces: string[];
  scores: ArrayLike<number>;
  /** PieceType per id; when absent, <0xNN> pieces are bytes and the unk/bos/eos ids are unknown/control. */
  types?: ArrayLike<number>;
  unkId: number | null;
  bosId: number | null;
  eosId: number | null;
  /** Whether encode adds BOS / EOS (SentencePiece LLaMA: BOS only). */
  addBos?: boolean;
  addEos?: boolean;
}

const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

/** Merges "left right", ranked as Hugging Face's SentencePieceExtractor ranks them. */
export function mergesFromScores(pieces: readonly string[], scores: ArrayLike<number>): string[] {
  const ids = new Map<string, number>(); // first id of each piece
  pieces.forEach((p, i) => {
    if (!ids.has(p)) ids.set(p, i);
  });
  const merges: { left: string; right: string; score: number }[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const score = scores[i];
    // Splits are at UTF-16 positions like Python's at code points; a split inside a surrogate pair
    // cannot name two vocabulary pieces, since pieces are whole characters.
    const local: { left: string; right: string; score: number; l: number; r: number }[] = [];
    for (let at = 1; at < piece.length; at++) {
      const left = piece.slice(0, at);
      const right = piece.slice(at);
      const l = ids.get(left);
      const r = ids.get(right);
      if (l !== undefined && r !== undefined) local.push({ left, right, score, l, r });
    }
    local.sort((a, b) => a.l - b.l || a.r - b.r);
    for (const m of local) merges.push(m);
  }
  // Array.prototype.sort is stable: equal scores keep vocabulary order, as Python's sorted does.
  merges.sort((a, b) => b.score - a.score);
  return merges.map((m) => `${m.left} ${m.right}`);
}

function pieceType(v: SentencePieceVocabulary, id: number): number {
  if (v.types) return v.types[id];
  if (id === v.unkId) return PieceType.unknown;
  if (id === v.bosId || id === v.eosId) return PieceType.control;
  return BYTE_PIECE.test(v.pieces[id]) ? PieceType.byte : PieceType.normal;
}

/** tokenizer.json and tokenizer_config.json for the vocabulary, as LlamaConverter writes them. */
export function sentencePieceBpeFiles(v: SentencePieceVocabulary): { 'tokenizer.json': string; 'tokenizer_config.json': string } {
  const addBos = v.addBos ?? true;
  const addEos = v.addEos ?? false;
  // No prototype: a piece may well be "__proto__" or "constructor".
  const vocab = Object.create(null) as Record<string, number>;
  v.pieces.forEach((p, id) => {
    if (!(p in vocab)) vocab[p] = id;
  });
  const added = v.pieces
    .map((content, id) => ({ content, id, type: pieceType(v, id) }))
    .filter((t) => t.type === PieceType.unknown || t.type === PieceType.control || t.type === PieceType.userDefined)
    .map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: t.type === PieceType.userDefined,
      special: t.type !== PieceType.userDefined,
    }));
  const piece = (id: number | null) => (id === null ? null : v.pieces[id]);
  const bos = piece(v.bosId);
  const eos = piece(v.eosId);
  const template = (seq: 'A' | 'B', typeId: number) => [
    ...(addBos && bos ? [{ SpecialToken: { id: bos, type_id: typeId } }] : []),
    { Sequence: { id: seq, type_id: typeId } },
    ...(addEos && eos ? [{ SpecialToken: { id: eos, type_id: typeId } }] : []),
  ];
  const specialTokens: Record<string, { id: string; ids: number[]; tokens: string[] }> = {};
  if (addBos && bos) specialTokens[bos] = { id: bos, ids: [v.bosId!], tokens: [bos] };
  if (addEos && eos) specialTokens[eos] = { id: eos, ids: [v.eosId!], tokens: [eos] };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
      ],
    },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing', single: template('A', 0), pair: [...template('A', 0), ...template('B', 1)], special_tokens: specialTokens },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: piece(v.unkId),
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges: mergesFromScores(v.pieces, v.scores),
    },
  };
  const token = (content: string | null) => (content === null ? null : { __type: 'AddedToken', content, lstrip: false, normalized: false, rstrip: false, single_word: false });
  const config = {
    add_bos_token: addBos,
    add_eos_token: addEos,
    bos_token: token(bos),
    eos_token: token(eos),
    unk_token: token(piece(v.unkId)),
    pad_token: null,
    clean_up_tokenization_spaces: false,
    legacy: false,
    model_max_length: 1e30,
    tokenizer_class: 'LlamaTokenizer',
  };
  return { 'tokenizer.json': JSON.stringify(tokenizer), 'tokenizer_config.json': JSON.stringify(config, null, 2) };
}

/**
 * The tokenizer a GGUF file carries in its metadata, as the Hugging Face tokenizer.json (+ tokenizer_config.json)
 * of the model it was converted from, so that it runs through the same tokenizer, counting fast path and
 * browser code as any tokenizer.json. Three families: `llama` (SentencePiece BPE: pieces and scores),
 * `gpt2` (byte-level BPE: tokens, merges and the pre-tokenizer named by `tokenizer.ggml.pre`) and `bert`
 * (WordPiece, whose `##` continuation llama.cpp rewrote as a `▁` word start).
 */
import { TokenscapeError } from '../errors.ts';
import { PieceType, sentencePieceBpeFiles } from '../tokens/sentencepieceFromScores.ts';
import type { TokenizerFiles } from '../tokens/builtTokenizer.ts';
import type { GgufHeader } from './ggufHeader.ts';
import { KNOWN_PRE_TOKENIZERS, preTokenizerFor } from './preTokenizerRegexes.ts';

const KEY = 'tokenizer.ggml.';

class Metadata {
  constructor(
    private readonly header: GgufHeader,
    private readonly label: string,
  ) {}

  fail(key: string, message: string, hint = 'The file was written by a broken converter; convert the model again, or give `tokenizer:` (a Hub repo or folder with tokenizer.json) in the config.'): never {
    throw new TokenscapeError(`${this.label}: ${message}.`, { file: this.label, field: key, hint });
  }

  has(key: string): boolean {
    return this.header.metadata.has(KEY + key);
  }

  string(key: string): string | undefined {
    const v = this.header.metadata.get(KEY + key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(KEY + key, `${KEY + key} is not a string`);
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.header.metadata.get(KEY + key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(KEY + key, `${KEY + key} is not a boolean`);
    return v;
  }

  /** A token id, or null when absent or out of range (llama.cpp ignores those too; stories260K stores 2^32 − 1). */
  id(key: string, size: number): number | null {
    const v = this.header.metadata.get(KEY + key);
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < size ? v : null;
  }

  strings(key: string, length?: number): string[] {
    const v = this.header.metadata.get(KEY + key);
    if (v === undefined) this.fail(KEY + key, `the tokenizer metadata has no ${KEY + key}`);
    if (!Array.isArray(v) || (v.length > 0 && typeof v[0] !== 'string')) this.fail(KEY + key, `${KEY + key} is not an array of strings`);
    if (length !== undefined && v.length !== length) this.fail(KEY + key, `${KEY + key} has ${v.length} entries for ${length} tokens`);
    return v as string[];
  }

  numbers(key: string, length: number): ArrayLike<number> | undefined {
    const v = this.header.metadata.get(KEY + key);
    if (v === undefined) return undefined;
    if (!(v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint32Array || v instanceof Float64Array)) {
      this.fail(KEY + key, `${KEY + key} is not an array of numbers`);
    }
    if (v.length !== length) this.fail(KEY + key, `${KEY + key} has ${v.length} entries for ${length} tokens`);
    return v;
  }
}

const addedToken = (id: number, content: string, special: boolean) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special });
const configToken = (content: string | null) => (content === null ? null : { __type: 'AddedToken', content, lstrip: false, normalized: false, rstrip: false, single_word: false });

/** BOS/EOS around the sequence, as TemplateProcessing (how Hugging Face adds them). */
function templateProcessor(bos: string | null, bosId: number | null, eos: string | null, eosId: number | null) {
  const single = [
    ...(bos !== null ? [{ SpecialToken: { id: bos, type_id: 0 } }] : []),
    { Sequence: { id: 'A', type_id: 0 } },
    ...(eos !== null ? [{ SpecialToken: { id: eos, type_id: 0 } }] : []),
  ];
  const pair = [...single, ...single.map((s) => ('Sequence' in s ? { Sequence: { id: 'B', type_id: 1 } } : { SpecialToken: { ...s.SpecialToken, type_id: 1 } }))];
  const special: Record<string, { id: string; ids: number[]; tokens: string[] }> = {};
  if (bos !== null) special[bos] = { id: bos, ids: [bosId!], tokens: [bos] };
  if (eos !== null) special[eos] = { id: eos, ids: [eosId!], tokens: [eos] };
  return { type: 'TemplateProcessing', single, pair, special_tokens: special };
}

/** Byte-level BPE (GPT-2, LLaMA-3, Qwen2, Falcon, DeepSeek, StarCoder…): tokens are already in GPT-2's byte alphabet. */
function byteLevelBpe(m: Metadata, label: string): TokenizerFiles {
  const tokens = m.strings('tokens');
  const types = m.numbers('token_type', tokens.length);
  const merges = m.strings('merges');
  const pre = m.string('pre');
  const spec = pre === undefined ? undefined : preTokenizerFor(pre);
  if (!spec) {
    m.fail(
      KEY + 'pre',
      pre === undefined
        ? `the byte-level BPE tokenizer has no ${KEY}pre, so which pre-tokenizer the model uses is unknown`
        : `Tokenscape cannot reproduce the pre-tokenizer "${pre}" of this byte-level BPE tokenizer (it knows ${KNOWN_PRE_TOKENIZERS.length}: ${KNOWN_PRE_TOKENIZERS.join(', ')})`,
      `Give the model's own tokenizer in the config: tokenizer: <org/name of the original model> (or a folder with its tokenizer.json).`,
    );
  }
  const vocab: Record<string, number> = {};
  const added = [];
  for (let id = 0; id < tokens.length; id++) {
    if (!(tokens[id] in vocab)) vocab[tokens[id]] = id;
    const type = types?.[id] ?? PieceType.normal;
    // Control and user-defined tokens were added tokens in tokenizer.json: matched in the raw text before
    // pre-tokenization (the converter stores them as plain text, not in the byte alphabet).
    if (type === PieceType.control || type === PieceType.userDefined) added.push(addedToken(id, tokens[id], type === PieceType.control));
  }
  const size = tokens.length;
  const bosId = m.id('bos_token_id', size);
  const eosId = m.id('eos_token_id', size);
  const unkId = m.id('unknown_token_id', size);
  const addBos = m.bool('add_bos_token') ?? spec!.addBos ?? false;
  const addEos = m.bool('add_eos_token') ?? false;
  const bos = bosId === null ? null : tokens[bosId];
  const eos = eosId === null ? null : tokens[eosId];
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: spec!.nfc ? { type: 'NFC' } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        ...spec!.regexes.map((regex) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false })),
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: templateProcessor(addBos ? bos : null, bosId, addEos ? eos : null, eosId),
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: spec!.ignoreMerges ?? false,
      vocab,
      merges,
    },
  };
  const config = {
    add_bos_token: addBos,
    add_eos_token: addEos,
    bos_token: configToken(bos),
    eos_token: configToken(eos),
    unk_token: configToken(unkId === null ? null : tokens[unkId]),
    clean_up_tokenization_spaces: false,
    model_max_length: 1e30,
    tokenizer_class: 'GPT2Tokenizer',
    tokenscape_source: `${label} (tokenizer.ggml.model gpt2, pre ${pre})`,
  };
  return { 'tokenizer.json': JSON.stringify(tokenizer), 'tokenizer_config.json': JSON.stringify(config, null, 2) };
}

/**
 * WordPiece (BERT). llama.cpp's converter turned the vocabulary into "phantom space" form: a word-initial
 * piece gets a leading ▁, a continuation loses its ##, and [BRACKETED] specials stay. This undoes it.
 */
function wordPiece(m: Metadata, label: string): TokenizerFiles {
  const stored = m.strings('tokens');
  const types = m.numbers('token_type', stored.length);
  const tokens = stored.map((t, id) => {
    const type = types?.[id] ?? PieceType.normal;
    if (type === PieceType.control || type === PieceType.unknown || (t.startsWith('[') && t.endsWith(']'))) return t;
    return t.startsWith('\u2581') ? t.slice(1) : `##${t}`;
  });
  const vocab: Record<string, number> = {};
  tokens.forEach((t, id) => {
    if (!(t in vocab)) vocab[t] = id;
  });
  const size = tokens.length;
  const unkId = m.id('unknown_token_id', size);
  const clsId = m.id('cls_token_id', size) ?? m.id('bos_token_id', size);
  const sepId = m.id('seperator_token_id', size) ?? m.id('separator_token_id', size) ?? m.id('eos_token_id', size);
  const padId = m.id('padding_token_id', size);
  const maskId = m.id('mask_token_id', size);
  // GGUF does not record do_lower_case; an uncased vocabulary has no capitalised Latin word pieces.
  const lowercase = !tokens.some((t, id) => (types?.[id] ?? 1) === PieceType.normal && /^[A-Z]/.test(t));
  const added = tokens
    .map((t, id) => ({ t, id, type: types?.[id] ?? PieceType.normal }))
    .filter(({ type }) => type === PieceType.control || type === PieceType.unknown)
    .map(({ t, id }) => addedToken(id, t, true));
  const piece = (id: number | null) => (id === null ? null : tokens[id]);
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: templateProcessor(piece(clsId), clsId, piece(sepId), sepId),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: piece(unkId) ?? '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
  const config = {
    do_lower_case: lowercase,
    cls_token: piece(clsId),
    sep_token: piece(sepId),
    pad_token: piece(padId),
    mask_token: piece(maskId),
    unk_token: piece(unkId),
    clean_up_tokenization_spaces: true,
    model_max_length: 1e30,
    tokenizer_class: 'BertTokenizer',
    tokenscape_source: `${label} (tokenizer.ggml.model bert)`,
  };
  return { 'tokenizer.json': JSON.stringify(tokenizer), 'tokenizer_config.json': JSON.stringify(config, null, 2) };
}

/** SentencePiece BPE (LLaMA, Mistral, phi-3, TinyStories…): merges derived from the scores. */
function sentencePiece(m: Metadata): TokenizerFiles {
  const pieces = m.strings('tokens');
  const scores = m.numbers('scores', pieces.length);
  if (!scores) m.fail(KEY + 'scores', `the SentencePiece tokenizer has no ${KEY}scores, which decide its merges`);
  const types = m.numbers('token_type', pieces.length);
  const size = pieces.length;
  const files = sentencePieceBpeFiles({
    pieces,
    scores: scores!,
    types,
    unkId: m.id('unknown_token_id', size),
    bosId: m.id('bos_token_id', size),
    eosId: m.id('eos_token_id', size),
    addBos: m.bool('add_bos_token') ?? true,
    addEos: m.bool('add_eos_token') ?? false,
  });
  if (m.bool('add_space_prefix') !== false) return files;
  // A vocabulary trained without SentencePiece's dummy prefix (add_dummy_prefix false): no ▁ before the text,
  // and none to strip when decoding.
  const json = JSON.parse(files['tokenizer.json']);
  json.normalizer.normalizers = json.normalizer.normalizers.filter((n: { type: string }) => n.type !== 'Prepend');
  json.decoder.decoders = json.decoder.decoders.filter((d: { type: string }) => d.type !== 'Strip');
  return { ...files, 'tokenizer.json': JSON.stringify(json) };
}

/** The Hugging Face tokenizer files equivalent to a GGUF file's own tokenizer; `label` names the file in errors. */
export function tokenizerFilesFromGguf(header: GgufHeader, label: string): TokenizerFiles {
  const m = new Metadata(header, label);
  const model = m.string('model');
  if (model === undefined) {
    m.fail(`${KEY}model`, 'the file carries no tokenizer (no tokenizer.ggml.model)', 'Give the tokenizer in the config: tokenizer: <org/name> or tokenizer: ./folder-with-tokenizer.json.');
  }
  switch (model) {
    case 'llama':
      return sentencePiece(m);
    case 'gpt2':
      return byteLevelBpe(m, label);
    case 'bert':
      return wordPiece(m, label);
    default:
      return m.fail(
        `${KEY}model`,
        `Tokenscape does not read GGUF tokenizers of type "${model}" (it reads llama, gpt2 and bert)`,
        'Give the model\'s own tokenizer in the config: tokenizer: <org/name> or tokenizer: ./folder-with-tokenizer.json.',
      );
  }
}

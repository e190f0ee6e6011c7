/**
 * The pre-tokenizer of each `tokenizer.ggml.pre` value of a GGUF `gpt2` (byte-level BPE) vocabulary: the
 * regexes llama.cpp splits text with (src/llama-vocab.cpp, llm_tokenizer_bpe), each applied to the pieces
 * the previous one left, which is Hugging Face's Sequence of Split pre-tokenizers with "Isolated" behaviour.
 * llama.cpp wrote them to reproduce each model's own tokenizer.json; `(?i:…)` groups are spelled out there.
 */

const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const LLAMA3 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const QWEN2 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const CJK = '[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+';
const DEEPSEEK_LLM_LETTERS =
  '\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1f7dᾀ-ᾴᾶ-ᾼ\u1fbeῂ-ῄῆ-ῌῐ-\u1fd3ῖ-\u1fdbῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212a-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ\u{10400}-\u{1044f}\u{104b0}-\u{104d3}\u{104d8}-\u{104fb}\u{10c80}-\u{10cb2}\u{10cc0}-\u{10cf2}\u{118a0}-\u{118df}\u{1e900}-\u{1e943}]+';
const TEKKEN =
  "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const GPT4O =
  "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+" + `${CONTRACTIONS}?` + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" + `${CONTRACTIONS}?` + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const BLOOM = ' ?[^(\\s|.,!?…。，、।۔،)]+';

export interface PreTokenizerSpec {
  regexes: string[];
  /** Hugging Face applies NFC before these (Qwen2's tokenizer.json does; llama.cpp does not need to). */
  nfc?: boolean;
  /** A word that is a whole vocabulary entry is not merged (tokenizer.json `ignore_merges`, LLaMA-3). */
  ignoreMerges?: boolean;
  /** llama.cpp's default for add_bos_token when the file does not say. */
  addBos?: boolean;
}

const SPECS: [string[], PreTokenizerSpec][] = [
  [['default'], { regexes: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'] }],
  [['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2'], { regexes: [LLAMA3], ignoreMerges: true, addBos: true }],
  [['dbrx', 'smaug-bpe', 'chatglm-bpe', 'glm4'], { regexes: [LLAMA3] }],
  [['deepseek-llm'], { regexes: ['[\r\n]', DEEPSEEK_LLM_LETTERS, '\\s?[!-/:-~！-／：-～‘-‟　-。]+', '\\s+$', CJK, '\\p{N}+'] }],
  [['deepseek-coder'], { regexes: ['[\r\n]', '\\s?\\p{L}+', '\\s?\\p{P}+', CJK, '\\p{N}'] }],
  [['deepseek-v3'], { regexes: ['\\p{N}{1,3}', '[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+', "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"] }],
  [['falcon'], { regexes: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'] }],
  [['starcoder', 'refact', 'command-r', 'smollm', 'codeshell', 'exaone', 'minerva-7b'], { regexes: ['\\p{N}', GPT2] }],
  [['gpt-2', 'phi-2', 'mpt', 'olmo', 'jais', 'jina-es', 'jina-de', 'gigachat', 'jina-v2-es', 'jina-v2-de', 'jina-v1-en', 'jina-v2-code', 'roberta-bpe', 'a.x-4.0', 'mellum', 'exaone4', 'trillion', 'granite-docling'], { regexes: [GPT2] }],
  [['qwen2', 'deepseek-r1-qwen', 'kormo', 'megrez', 'stablelm2', 'hunyuan'], { regexes: [QWEN2], nfc: true }],
  [['poro-chat', 'bloom', 'gpt3-finnish'], { regexes: [BLOOM] }],
  [['viking'], { regexes: [BLOOM, '\\p{N}'] }],
  [['tekken'], { regexes: [TEKKEN], ignoreMerges: true, addBos: true }],
  [['gpt-4o', 'llama4'], { regexes: [GPT4O] }],
  [['seed-coder'], { regexes: [`${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`] }],
  [['grok-2'], { regexes: [QWEN2] }],
];

const BY_NAME = new Map(SPECS.flatMap(([names, spec]) => names.map((n) => [n, spec] as const)));

export function preTokenizerFor(pre: string): PreTokenizerSpec | undefined {
  return BY_NAME.get(pre);
}

export const KNOWN_PRE_TOKENIZERS = [...BY_NAME.keys()];

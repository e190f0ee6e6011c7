/** A gallery config after validation: every default applied, every path absolute. */

/** Where a tokenizer comes from when the config names one apart from the weights. */
export type TokenizerRef =
  | { kind: 'hub'; id: string; revision: string }
  | { kind: 'local'; path: string /* absolute folder */; display: string }
  /** A llama2.c tokenizer.bin (max token length, then score + length + bytes per token). */
  | { kind: 'llama2c'; path: string /* absolute file */; display: string };

/**
 * The model forms of the config. Every form may carry `tokenizer` (set only when the config gives one),
 * which replaces the tokenizer the weights come with.
 */
export type ModelRef =
  | { kind: 'hub'; id: string; revision: string; tokenizer?: TokenizerRef }
  | { kind: 'local'; path: string /* absolute */; display: string /* as written */; tokenizer?: TokenizerRef }
  /** One GGUF file, local (`path`) or one file of a Hub repo (`hub`). */
  | { kind: 'gguf'; path: string /* absolute */; display: string; tokenizer?: TokenizerRef }
  | { kind: 'gguf-hub'; id: string; revision: string; file: string /* path inside the repo */; tokenizer?: TokenizerRef }
  /** A llama2.c checkpoint; its tokenizer is required (tokenizer.bin or a tokenizer folder/repo). */
  | { kind: 'llama2c'; path: string /* absolute */; display: string; tokenizer: TokenizerRef };

/** Which matrix an exhibit maps: the input embedding or the unembedding (output projection). */
export type TensorRole = 'input' | 'output';

export type CorpusRef =
  | { kind: 'dataset'; dataset: string; config: string | null; split: string; column: string; revision: string }
  | { kind: 'url'; url: string }
  | { kind: 'file'; path: string /* absolute */; display: string }
  | { kind: 'vocabulary' };

export interface ExhibitConfig {
  id: string;
  title: string;
  description: string | null;
  model: ModelRef;
  /** `tensor:` of the exhibit, default input. */
  tensor: TensorRole;
  corpus: CorpusRef;
  projection: { fit: 'corpus' | 'vocabulary' };
  color: { clip: number };
  includeSpecial: boolean;
  /** k nearest tokens per point (config `neighbors`), or null when turned off (`neighbors: false`). */
  neighbors: { k: number } | null;
  /** 1-based line of this exhibit in the config file, for later error messages */
  line: number;
}

export interface GalleryConfig {
  file: string;
  title: string;
  description: string | null;
  exhibits: ExhibitConfig[];
}

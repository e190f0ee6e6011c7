/** The small JSON file beside each exhibit file: what the map shows and where it came from. */
export const MANIFEST_FILE = 'manifest.json';
export const POINTS_FILE = 'points.bin';
export const CSV_FILE = 'points.csv';
export const NEIGHBORS_FILE = 'neighbors.bin';
export const FACETS_FILE = 'facets.bin';
/** The model's tokenizer, for the browser's search (loadable by tokenizers.js). */
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
/** Index of all exhibits of a gallery, written beside the exhibit folders. */
export const GALLERY_FILE = 'gallery.json';

export interface AxisEnds {
  negative: number[];
  positive: number[];
}

/** `sentencepiece`: ▁ starts a word; `byte-level`: Ġ starts a word; `wordpiece`: ## continues one. */
export type WordStartMarker = 'sentencepiece' | 'byte-level' | 'wordpiece' | 'none';

/**
 * `lowest-norm`: untied input embeddings, the lowest-norm 2% of ordinary tokens (score = −norm);
 * `unused-mean-distance`: tied embeddings, cosine similarity to the mean of the unused/reserved tokens;
 * `tied-norm`: tied embeddings without unused tokens, the lowest-norm 2% (score = −norm).
 */
export type UndertrainedMethod = 'lowest-norm' | 'unused-mean-distance' | 'tied-norm';

export interface ExhibitManifest {
  formatVersion: number;
  id: string;
  title: string;
  model: {
    /** Hub repo id, or the local folder as written in the config. */
    id: string;
    source: 'hub' | 'local';
    revision: string | null;
    /** The resolved commit sha (hub), or null for a local folder. */
    commit: string | null;
    tensor: string;
    /** Which matrix the map shows: the input embedding or the unembedding (output projection). */
    tensorRole: 'input' | 'output';
    /** Input and output embedding are one matrix in this model. */
    tied: boolean;
    /** The element type in the model file (a quantised GGUF type is dequantised before PCA). */
    dtype: string;
    vocabSize: number;
    hiddenSize: number;
  };
  corpus: {
    kind: 'dataset' | 'url' | 'file' | 'vocabulary';
    /** Human-readable description, e.g. "Salesforce/wikitext (wikitext-2-raw-v1) train[:20%]". */
    label: string;
    dataset?: string;
    config?: string | null;
    split?: string;
    column?: string;
    url?: string;
    file?: string;
    /** Rows (dataset) or lines (text) that were tokenized. */
    rows?: number;
  };
  tokens: {
    /** Tokens in the corpus (every occurrence); 0 for a vocabulary exhibit. */
    total: number;
    /** Distinct tokens in the corpus. */
    unique: number;
    /** Points in the map. */
    shown: number;
    includeSpecial: boolean;
  };
  projection: {
    method: 'pca';
    fit: 'corpus' | 'vocabulary';
    /** Rows the PCA was fitted on. */
    fitRows: number;
    explainedVarianceRatio: [number, number, number];
    /** Per axis (PC1–PC3): token ids of the points at either end, most extreme first (8 per end). */
    axisEnds: AxisEnds[];
  };
  /** Absent when the config says `neighbors: false`. */
  neighbors?: {
    k: number;
    metric: 'cosine';
    /** Rows searched: the whole vocabulary, not only the tokens on this map. */
    searchedRows: number;
    /** How the neighbours were found, e.g. "int8 candidates + exact float32 re-ranking". */
    method: string;
  };
  facets: {
    /** The word-start convention detected from the vocabulary. */
    wordStartMarker: WordStartMarker;
    /** How `undertrained_score` was computed (see docs/format.md). */
    undertrainedMethod: UndertrainedMethod;
    /** Points flagged as under-trained candidates. */
    undertrainedCount: number;
  };
  color: { clip: number };
  files: {
    points: string;
    csv: string;
    pointsBytes: number;
    csvBytes: number;
    neighbors?: string;
    neighborsBytes?: number;
    facets: string;
    facetsBytes: number;
    /** tokenizer.json; absent when the model's tokenizer cannot be exported. */
    tokenizer?: string;
    tokenizerBytes?: number;
    /** tokenizer_config.json, present whenever `tokenizer` is. */
    tokenizerConfig?: string;
    tokenizerConfigBytes?: number;
  };
  /** Hash of every input of this exhibit; equal keys mean equal files. */
  cacheKey: string;
}

export interface GalleryIndex {
  title: string;
  exhibits: ExhibitManifest[];
}

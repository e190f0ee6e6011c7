/** The small JSON file beside each exhibit file: what the map shows and where it came from. */
export const MANIFEST_FILE = 'manifest.json';
export const POINTS_FILE = 'points.bin';
export const CSV_FILE = 'points.csv';
/** Index of all exhibits of a gallery, written beside the exhibit folders. */
export const GALLERY_FILE = 'gallery.json';

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
  };
  color: { clip: number };
  files: { points: string; csv: string; pointsBytes: number; csvBytes: number };
  /** Hash of every input of this exhibit; equal keys mean equal files. */
  cacheKey: string;
}

export interface GalleryIndex {
  title: string;
  exhibits: ExhibitManifest[];
}

/** A gallery config after validation: every default applied, every path absolute. */

export type ModelRef =
  | { kind: 'hub'; id: string; revision: string }
  | { kind: 'local'; path: string /* absolute */; display: string /* as written */ };

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

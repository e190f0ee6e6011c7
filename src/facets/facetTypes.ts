/**
 * Names of the per-token facets: shared by the pipeline (which computes them) and the viewer (which
 * colours and filters by them). Indices into these lists are what facets.bin stores, so entries are
 * only ever appended, never reordered.
 */

/** Unicode script of a token's text (after stripping the word-start space). */
export const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'CJK',
  'Arabic',
  'Hebrew',
  'Devanagari',
  'Hangul',
  'Thai',
  'Armenian',
  'Georgian',
  'Bengali',
  'Tamil',
  'Ethiopic',
  'digits',
  'punctuation',
  'whitespace',
  'symbols',
  'mixed',
  'other',
] as const;
export type ScriptName = (typeof SCRIPTS)[number];

/** Most frequent part of speech of a whole-word English token; `other` for everything else. */
export const POS_TAGS = [
  'noun',
  'verb',
  'adjective',
  'adverb',
  'pronoun',
  'determiner',
  'preposition',
  'conjunction',
  'numeral',
  'interjection',
  'other',
] as const;
export type PosTag = (typeof POS_TAGS)[number];

/** facets.bin `wordStart` values. */
export const WordStart = {
  continuation: 0,
  start: 1,
  /** Special and byte tokens, or a tokenizer without a word-start convention. */
  notApplicable: 2,
} as const;
export const WORD_START_LABELS = ['continues a word', 'starts a word', 'not applicable'] as const;

export type FacetKey = 'count' | 'length' | 'script' | 'wordStart' | 'byte' | 'special' | 'norm' | 'undertrained' | 'pos';

export interface FacetDescriptor {
  key: FacetKey;
  /** Shown in the "Colour by" control. */
  label: string;
  kind: 'numeric' | 'categorical';
  /** Legend entries of a categorical facet, in stored-index order. */
  categories?: readonly string[];
  /** Where the values come from: points.bin (count, byte, special) or facets.bin (the rest). */
  source: 'points' | 'facets';
  /** Longer explanation for a tooltip or the docs. */
  description: string;
}

/** The "Colour by" choices, in menu order. */
export const FACETS: readonly FacetDescriptor[] = [
  { key: 'count', label: 'Corpus count', kind: 'numeric', source: 'points', description: 'Occurrences in the corpus (log scale, clipped).' },
  { key: 'length', label: 'Length', kind: 'numeric', source: 'facets', description: 'Characters of the decoded token text.' },
  { key: 'script', label: 'Script', kind: 'categorical', categories: SCRIPTS, source: 'facets', description: 'Unicode script of the token text.' },
  {
    key: 'wordStart',
    label: 'Word start',
    kind: 'categorical',
    categories: WORD_START_LABELS,
    source: 'facets',
    description: "Whether the token begins a word, by the tokenizer's own marker (▁, Ġ, or no ##).",
  },
  { key: 'byte', label: 'Byte token', kind: 'categorical', categories: ['no', 'yes'], source: 'points', description: 'A byte-fallback token such as <0x0A>.' },
  { key: 'special', label: 'Special token', kind: 'categorical', categories: ['no', 'yes'], source: 'points', description: 'A control token such as <s>.' },
  { key: 'norm', label: 'Embedding norm', kind: 'numeric', source: 'facets', description: 'L2 norm of the token’s embedding row.' },
  {
    key: 'undertrained',
    label: 'Under-trained candidate',
    kind: 'categorical',
    categories: ['no', 'yes'],
    source: 'facets',
    description: 'Tokens the model has likely barely seen in training (Land & Bartolo 2024).',
  },
  { key: 'pos', label: 'Part of speech', kind: 'categorical', categories: POS_TAGS, source: 'facets', description: 'Most frequent tag of a whole English word.' },
];

/** Per-point facets as facets.bin holds them, in points.bin order. */
export interface ExhibitFacets {
  count: number;
  /** Characters (code points) of the decoded text. */
  length: Uint16Array;
  /** Index into SCRIPTS. */
  script: Uint8Array;
  /** A WordStart value. */
  wordStart: Uint8Array;
  /** L2 norm of the embedding row. */
  norm: Float32Array;
  /** Higher = more likely under-trained (its meaning is in manifest.facets.undertrainedMethod). */
  undertrainedScore: Float32Array;
  /** 1 = candidate. */
  undertrained: Uint8Array;
  /** Index into POS_TAGS. */
  pos: Uint8Array;
}

/**
 * Most frequent part of speech of a whole English word, from wink-lexicon's tagged lexicon (Penn
 * Treebank tags, most frequent first).
 */
import { createRequire } from 'node:module';
import { POS_TAGS, type PosTag } from './facetTypes.ts';

const require = createRequire(import.meta.url);
let lexicon: Record<string, string[]> | null = null;
const lexiconOf = () => (lexicon ??= require('wink-lexicon/src/lexicon.js') as Record<string, string[]>);

function fromPenn(tag: string): PosTag {
  if (tag.startsWith('NN')) return 'noun';
  if (tag.startsWith('VB') || tag === 'MD') return 'verb';
  if (tag.startsWith('JJ')) return 'adjective';
  if (tag.startsWith('RB') || tag === 'WRB') return 'adverb';
  if (tag.startsWith('PRP') || tag.startsWith('WP') || tag === 'EX') return 'pronoun';
  if (tag === 'DT' || tag === 'PDT' || tag === 'WDT') return 'determiner';
  if (tag === 'IN' || tag === 'TO' || tag === 'RP') return 'preposition';
  if (tag === 'CC') return 'conjunction';
  if (tag === 'CD') return 'numeral';
  if (tag === 'UH') return 'interjection';
  return 'other';
}

/** The tag of `word` (already stripped of markers and spaces), `other` for anything not an English word. */
export function partOfSpeech(word: string): PosTag {
  if (!/^[A-Za-z]+(?:'[A-Za-z]+)?$/.test(word)) return 'other';
  const tags = lexiconOf()[word.toLowerCase()];
  return tags && tags.length > 0 ? fromPenn(tags[0]) : 'other';
}

export const posIndex = (tag: PosTag): number => POS_TAGS.indexOf(tag);

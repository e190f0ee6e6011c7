/** The Unicode script of a token's text, by \p{Script=…}: one script, digits, punctuation, whitespace, symbols or mixed. */
import { SCRIPTS, type ScriptName } from './facetTypes.ts';

const LETTER_SCRIPTS: [ScriptName, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['CJK', /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}]/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Bengali', /\p{Script=Bengali}/u],
  ['Tamil', /\p{Script=Tamil}/u],
  ['Ethiopic', /\p{Script=Ethiopic}/u],
];
const LETTER = /[\p{L}\p{Nl}]/u;
const MARK = /\p{M}/u;
const DIGIT = /\p{Nd}/u;
const PUNCTUATION = /\p{P}/u;
const SYMBOL = /[\p{S}\p{No}]/u;
const WHITESPACE = /^\s+$/u;

export const scriptIndex = (name: ScriptName): number => SCRIPTS.indexOf(name);

/**
 * Letters decide when there are any (one script → it, several → mixed; digits and punctuation beside
 * them do not count: "don't", "A4"); otherwise digits, punctuation or symbols when only one kind is
 * present. Combining marks follow their letter. Replacement characters (a partial UTF-8 sequence) and
 * controls make "other".
 */
export function scriptOf(text: string): ScriptName {
  if (text === '') return 'other';
  if (WHITESPACE.test(text)) return 'whitespace';
  const letterScripts = new Set<ScriptName>();
  const kinds = new Set<'digits' | 'punctuation' | 'symbols' | 'other'>();
  for (const ch of text.trim()) {
    if (ch === '\uFFFD') kinds.add('other');
    else if (LETTER.test(ch)) letterScripts.add(LETTER_SCRIPTS.find(([, re]) => re.test(ch))?.[0] ?? 'other');
    else if (MARK.test(ch) || /\s/u.test(ch)) continue;
    else if (DIGIT.test(ch)) kinds.add('digits');
    else if (PUNCTUATION.test(ch)) kinds.add('punctuation');
    else if (SYMBOL.test(ch)) kinds.add('symbols');
    else kinds.add('other');
  }
  if (letterScripts.size === 1) return [...letterScripts][0];
  if (letterScripts.size > 1) return 'mixed';
  if (kinds.size === 1) return [...kinds][0];
  return kinds.has('other') ? 'other' : 'mixed';
}

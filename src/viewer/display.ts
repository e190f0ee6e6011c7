/**
 * Token text is untrusted and often invisible (newlines, bidi overrides, zero-width spaces).
 * These helpers turn it into a string that shows every character; callers still insert the
 * result with `textContent`, never as HTML.
 */

/** Code points that render as nothing or reorder text around them; shown as \u escapes. */
const INVISIBLE = new Set<number>([
  0x00a0, 0x00ad, 0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e, 0x2028, 0x2029, 0x202f, 0x205f,
  0x3000, 0x3164, 0xfeff, 0xffa0,
]);

function isInvisible(cp: number): boolean {
  return (
    INVISIBLE.has(cp) ||
    (cp >= 0x80 && cp <= 0x9f) || // C1 controls
    (cp >= 0x2000 && cp <= 0x200f) || // odd-width spaces, zero-width chars, LRM/RLM
    (cp >= 0x202a && cp <= 0x202e) || // bidi embeddings and overrides
    (cp >= 0x2060 && cp <= 0x206f) || // word joiner, bidi isolates, deprecated format chars
    (cp >= 0xd800 && cp <= 0xdfff) || // lone surrogates
    (cp >= 0xfe00 && cp <= 0xfe0f) || // variation selectors
    (cp >= 0xfff9 && cp <= 0xfffb) || // interlinear annotation
    (cp >= 0xe0000 && cp <= 0xe0fff) // tags, variation selectors supplement
  );
}

function escapeCodePoint(cp: number): string {
  return cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Makes every character of a token visible: C0 controls become Control Pictures (`\n` → `␊`,
 * ESC → `␛`), DEL becomes `␡`, and invisible or direction-changing characters become `\uXXXX`.
 * An empty token becomes `∅`.
 */
export function visibleText(text: string): string {
  if (text.length === 0) return '∅';
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20) out += String.fromCodePoint(0x2400 + cp);
    else if (cp === 0x7f) out += '\u2421';
    else if (isInvisible(cp)) out += escapeCodePoint(cp);
    else out += ch;
  }
  return out;
}

/** True when `visibleText` changes the string (the tooltip then also shows the escapes legend). */
export function hasHiddenCharacters(text: string): boolean {
  return text.length > 0 && visibleText(text) !== text;
}

/** `1234567` → `1,234,567` without depending on the visitor's locale (tests compare strings). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Explained-variance ratio as a percentage: 0.1123 → "11.2%". */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 1)}%`;
}

/**
 * Token text in the page. Tokens are untrusted, so every card, list and label builds its elements
 * here: text goes in through `textContent` only, in display.ts's visible form (control characters
 * as pictures, invisible and direction-changing ones as escapes). The tooltip, the selected token's
 * card, the details panel, the neighbour list and the tokenizer's pieces then show a token alike.
 */
import { visibleText } from './display.ts';

/** A new element with a class and, optionally, plain text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** “text” with invisible characters made visible. */
export function quotedText(text: string): string {
  return `“${visibleText(text)}”`;
}

/** A token's text, quoted and made visible (“the”, “␊”). */
export function tokenTextElement<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text: string): HTMLElementTagNameMap[K] {
  return el(tag, className, quotedText(text));
}

/** A token's piece as the tokenizer spells it (▁the, Ġthe), made visible, in `<code>`. */
export function pieceElement(className: string, piece: string): HTMLElement {
  return el('code', className, visibleText(piece));
}

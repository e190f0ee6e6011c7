/**
 * Token cards: the hover tooltip, the pinned label of the selected token and the details panel.
 * Token text is untrusted: everything here goes through `textContent`, never HTML, and is made
 * visible with `visibleText` first (control characters, bidi overrides, zero-width spaces).
 */
import { TokenFlag } from '../artifact/format.ts';
import { formatCount, hasHiddenCharacters, visibleText } from './display.ts';

export interface TokenInfo {
  id: number;
  text: string;
  piece: string;
  count: number;
  flags: number;
  /** Whether counts mean anything (false for vocabulary exhibits). */
  hasCounts: boolean;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** “text” with invisible characters made visible. */
export function quotedText(text: string): string {
  return `“${visibleText(text)}”`;
}

export function kindLabel(flags: number): string | null {
  if (flags & TokenFlag.special) return 'special token';
  if (flags & TokenFlag.byte) return 'byte token';
  return null;
}

export function countLabel(info: TokenInfo): string {
  return info.hasCounts ? `${formatCount(info.count)} in corpus` : 'no corpus counts';
}

/** Fills the hover tooltip. */
export function fillTooltip(root: HTMLElement, info: TokenInfo): void {
  root.replaceChildren();
  root.append(el('div', 'tt-text', quotedText(info.text)));
  const meta = el('div', 'tt-meta');
  meta.append(el('span', 'tt-label', 'piece '), el('code', 'tt-piece', visibleText(info.piece)));
  root.append(meta);
  const kind = kindLabel(info.flags);
  root.append(el('div', 'tt-meta', [`id ${info.id}`, countLabel(info), kind].filter(Boolean).join(' · ')));
}

/** Fills the details panel (exhibit page) for the selected token. */
export function fillDetails(
  root: HTMLElement,
  info: TokenInfo | null,
  extra: { coordinates?: [number, number, number]; rank?: number; total?: number } = {},
): void {
  root.replaceChildren();
  if (!info) {
    root.append(el('p', 'details-empty', 'Click a point or search for a token to see its details here.'));
    return;
  }
  root.append(el('p', 'details-text', quotedText(info.text)));
  const dl = el('dl', 'details-list');
  const row = (term: string, value: string, code = false) => {
    dl.append(el('dt', '', term));
    const dd = el('dd', '');
    if (code) dd.append(el('code', '', value));
    else dd.textContent = value;
    dl.append(dd);
  };
  row('Piece', visibleText(info.piece), true);
  row('Token id', String(info.id));
  if (info.hasCounts) {
    row('Count in corpus', formatCount(info.count));
    if (extra.rank !== undefined && extra.total !== undefined) row('Frequency rank', `${formatCount(extra.rank)} of ${formatCount(extra.total)}`);
  }
  const kind = kindLabel(info.flags);
  if (kind) row('Kind', kind);
  if (extra.coordinates) row('PC1, PC2, PC3', extra.coordinates.map((v) => v.toFixed(3)).join(', '));
  if (hasHiddenCharacters(info.text) || hasHiddenCharacters(info.piece)) {
    row('Escapes', 'Invisible characters are shown as ␊-style pictures or \\u escapes.');
  }
  root.append(dl);
}

/**
 * Token cards: the hover tooltip, the pinned label of the selected token and the details panel.
 * Token text is untrusted: every element is built by tokenText.ts (textContent, visible form).
 */
import { TokenFlag, type ExhibitPoints } from '../artifact/format.ts';
import { formatCount, hasHiddenCharacters } from './display.ts';
import { el, pieceElement, tokenTextElement } from './tokenText.ts';

export interface TokenInfo {
  id: number;
  text: string;
  piece: string;
  count: number;
  flags: number;
  /** Whether counts mean anything (false for vocabulary exhibits). */
  hasCounts: boolean;
}

/** What the cards say about point `i` of the exhibit. */
export function tokenInfoOf(points: Pick<ExhibitPoints, 'ids' | 'texts' | 'pieces' | 'counts' | 'flags'>, hasCounts: boolean): (i: number) => TokenInfo {
  return (i) => ({ id: points.ids[i], text: points.texts[i], piece: points.pieces[i], count: points.counts[i], flags: points.flags[i], hasCounts });
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
  root.append(tokenTextElement('div', 'tt-text', info.text));
  const meta = el('div', 'tt-meta');
  meta.append(el('span', 'tt-label', 'piece '), pieceElement('tt-piece', info.piece));
  root.append(meta);
  const kind = kindLabel(info.flags);
  root.append(el('div', 'tt-meta', [`id ${info.id}`, countLabel(info), kind].filter(Boolean).join(' · ')));
}

/** Fills the card pinned below the selected token on the map. */
export function fillLabel(root: HTMLElement, info: TokenInfo): void {
  root.replaceChildren(tokenTextElement('span', 'label-text', info.text), el('span', 'label-meta', `#${info.id} · ${countLabel(info)}`));
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
  root.append(tokenTextElement('p', 'details-text', info.text));
  const dl = el('dl', 'details-list');
  const row = (term: string, value: string | HTMLElement) => {
    dl.append(el('dt', '', term));
    const dd = el('dd', '');
    dd.append(value);
    dl.append(dd);
  };
  row('Piece', pieceElement('', info.piece));
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

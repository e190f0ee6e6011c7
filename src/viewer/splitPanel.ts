/**
 * What the search says about text that is not one token: the tokenizer's pieces (text and id),
 * which of them are on this map (buttons that select them) and which are not, or that nothing
 * matches at all. Text goes in through textContent only.
 */
import type { Piece } from './tokenizerSearch.ts';
import { el, pieceElement, quotedText } from './tokenText.ts';

export interface SplitPanel {
  /** `pieces` of `query`; `matches` is how many tokens the text search found. */
  show(query: string, pieces: Piece[], matches: number): void;
  message(text: string): void;
  clear(): void;
}

export function createSplitPanel(root: HTMLElement, onChoose: (index: number) => void): SplitPanel {
  root.hidden = true;
  return {
    show(query, pieces, matches) {
      root.replaceChildren();
      root.hidden = false;
      const q = quotedText(query);
      if (pieces.length === 0) {
        root.append(el('p', 'split-summary', matches ? `${q} gives no tokens with this exhibit's tokenizer.` : `Nothing matches ${q}: no token contains it, and the tokenizer gives no tokens for it.`));
        return;
      }
      const offMap = pieces.filter((p) => p.index < 0);
      const nothing = matches === 0 && offMap.length === pieces.length;
      const summary = nothing
        ? `Nothing on this map matches ${q}: no token contains it, and none of the ${pieces.length === 1 ? 'token' : `${pieces.length} pieces`} this exhibit's tokenizer makes of it is on the map:`
        :
        pieces.length === 1
          ? `${q} is one token of this exhibit's tokenizer${offMap.length ? ', but it is not on this map' : ''}:`
          : `${q} is not one token: this exhibit's tokenizer splits it into ${pieces.length} pieces:`;
      root.append(el('p', nothing ? 'split-summary is-nothing' : 'split-summary', summary));
      const list = el('ol', 'split-pieces');
      list.setAttribute('aria-label', 'Tokenizer pieces');
      for (const p of pieces) {
        const li = el('li', p.index >= 0 ? 'split-piece on-map' : 'split-piece off-map');
        li.dataset.tokenId = String(p.id);
        const text = pieceElement('piece-text', p.piece);
        const meta = el('span', 'piece-meta', `#${p.id}${p.index >= 0 ? '' : ' · not on this map'}`);
        if (p.index >= 0) {
          const b = el('button', 'piece-button');
          b.type = 'button';
          b.title = 'Select this token';
          b.append(text, meta);
          b.addEventListener('click', () => onChoose(p.index));
          li.append(b);
        } else li.append(text, meta);
        list.append(li);
      }
      root.append(list);
      if (!nothing && offMap.length && pieces.length > 1) {
        root.append(el('p', 'split-note muted', `${offMap.length} of ${pieces.length} pieces are not on this map (the corpus never uses them, or they are special tokens).`));
      }
    },
    message(text) {
      root.replaceChildren(el('p', 'split-summary', text));
      root.hidden = false;
    },
    clear() {
      root.replaceChildren();
      root.hidden = true;
    },
  };
}

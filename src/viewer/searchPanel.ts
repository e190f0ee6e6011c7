/**
 * The exhibit page's search: the combobox over the map's tokens (searchBox.ts), and, when the
 * typed text is not one token of the map, how the exhibit's tokenizer splits it
 * (tokenizerSearch.ts, loaded on that first need; splitPanel.ts shows the pieces).
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import { describeLoadError } from './data.ts';
import { formatCount } from './display.ts';
import { indexOfId, resolveToken, searchTokens, type SearchIndex } from './search.ts';
import { createSearchBox } from './searchBox.ts';
import type { SplitPanel } from './splitPanel.ts';
import type { TokenSplitter } from './tokenizerSearch.ts';
import { quotedText } from './tokenText.ts';

export interface SearchPanelOptions {
  points: ExhibitPoints;
  index: SearchIndex;
  hasCounts: boolean;
  tokenizer: { tokenizer?: string; config?: string };
  onChoose(index: number): void;
  /** Text matches (ringed on the map). */
  onMatches(indices: number[]): void;
  /** The tokenizer's pieces of the query that are on the map ([] when none or cleared). */
  onPieces(indices: number[]): void;
}

/** Wires the search elements of the page, when there are any (the embed page has none). */
export function mountSearchPanel(o: SearchPanelOptions): void {
  const input = document.querySelector<HTMLInputElement>('[data-tks-search-input]');
  const list = document.querySelector<HTMLElement>('[data-tks-search-list]');
  const status = document.querySelector<HTMLElement>('[data-tks-search-status]');
  const splitRoot = document.querySelector<HTMLElement>('[data-tks-split]');
  if (!input || !list || !status) return;
  input.disabled = false;
  const { points } = o;
  // The split's code (and tokenizers.js, and the tokenizer files) load on the first query that needs them.
  let tools: Promise<{ splitter: TokenSplitter; split: SplitPanel }> | null = null;
  const loadTools = () =>
    (tools ??= Promise.all([import('./tokenizerSearch.ts'), import('./splitPanel.ts')]).then(([t, p]) => ({
      splitter: t.createTokenSplitter(o.tokenizer, (id) => indexOfId(points.ids, id)),
      split: p.createSplitPanel(splitRoot!, o.onChoose),
    })));
  let current = '';

  const showSplit = async (q: string, found: number) => {
    current = q;
    if (!splitRoot) return;
    const needsSplit = q.trim().length > 0 && !/^#\d+$/.test(q.trim()) && resolveToken(o.index, q) < 0;
    if (!needsSplit) {
      if (tools) (await tools).split.clear();
      o.onPieces([]);
      return;
    }
    const { splitter, split } = await loadTools();
    if (current !== q) return;
    if (!splitter.available) {
      if (found) split.clear();
      else split.message(`Nothing matches ${quotedText(q)}.`);
      return;
    }
    split.message('Asking the tokenizer…');
    try {
      const pieces = await splitter.split(q);
      if (current !== q) return;
      split.show(q, pieces, found);
      o.onPieces(pieces.filter((p) => p.index >= 0).map((p) => p.index));
    } catch (e) {
      if (current !== q) return;
      split.message(describeLoadError(e));
      o.onPieces([]);
    }
  };

  createSearchBox({
    input,
    list,
    status,
    search: (q) => searchTokens(o.index, q, 50),
    describe: (i) => ({
      text: quotedText(points.texts[i]),
      meta: `#${points.ids[i]}${o.hasCounts ? ` · ${formatCount(points.counts[i])}` : ''}`,
    }),
    onResults: (indices) => {
      o.onMatches(indices);
      void showSplit(input.value, indices.length);
    },
    onChoose: o.onChoose,
  });
}

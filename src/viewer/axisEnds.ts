/**
 * What each axis means: the tokens at either end of PC1, PC2 and PC3 (manifest.projection.axisEnds,
 * most extreme first), as buttons that select the token. Text goes in through textContent only.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import type { AxisEnds } from '../artifact/manifest.ts';
import { visibleText } from './display.ts';
import { indexOfId } from './search.ts';
import { el } from './tokenText.ts';

/**
 * Fills the exhibit page's axis-ends box from its `data-axis-ends` (JSON written at build time);
 * a page without the box (the embed page) or without the data shows nothing.
 */
export function mountAxisEnds(points: Pick<ExhibitPoints, 'ids' | 'texts'>, onChoose: (index: number) => void): void {
  const root = document.querySelector<HTMLElement>('[data-tks-axis-ends]');
  if (!root?.dataset.axisEnds) return;
  const token = { indexOfId: (id: number) => indexOfId(points.ids, id), text: (i: number) => points.texts[i] };
  try {
    renderAxisEnds(root, JSON.parse(root.dataset.axisEnds) as AxisEnds[], token, onChoose);
  } catch {
    root.replaceChildren();
  }
}

export function renderAxisEnds(
  root: HTMLElement,
  ends: AxisEnds[],
  token: { indexOfId(id: number): number; text(index: number): string },
  onChoose: (index: number) => void,
): void {
  root.replaceChildren();
  ends.slice(0, 3).forEach((axis, a) => {
    const row = el('div', 'axis-ends-row');
    row.append(el('span', 'axis', `PC${a + 1}`));
    for (const [side, ids] of [['−', axis.negative], ['+', axis.positive]] as const) {
      const group = el('span', `axis-end axis-end-${side === '+' ? 'positive' : 'negative'}`);
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', `PC${a + 1} ${side === '+' ? 'positive' : 'negative'} end`);
      group.append(el('span', 'axis-sign', side));
      for (const id of ids) {
        const i = token.indexOfId(id);
        if (i < 0) continue;
        const b = el('button', 'axis-token', visibleText(token.text(i)));
        b.type = 'button';
        b.dataset.tokenId = String(id);
        b.title = `Token #${id}: select it`;
        b.addEventListener('click', () => onChoose(i));
        group.append(b);
      }
      row.append(group);
    }
    root.append(row);
  });
}

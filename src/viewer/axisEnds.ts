/**
 * What each axis means: the tokens at either end of PC1, PC2 and PC3 (manifest.projection.axisEnds,
 * most extreme first), as buttons that select the token. Text goes in through textContent only.
 */
import type { AxisEnds } from '../artifact/manifest.ts';
import { visibleText } from './display.ts';

export function renderAxisEnds(
  root: HTMLElement,
  ends: AxisEnds[],
  token: { indexOfId(id: number): number; text(index: number): string },
  onChoose: (index: number) => void,
): void {
  root.replaceChildren();
  ends.slice(0, 3).forEach((axis, a) => {
    const row = document.createElement('div');
    row.className = 'axis-ends-row';
    const name = document.createElement('span');
    name.className = 'axis';
    name.textContent = `PC${a + 1}`;
    row.append(name);
    for (const [side, ids] of [['−', axis.negative], ['+', axis.positive]] as const) {
      const group = document.createElement('span');
      group.className = `axis-end axis-end-${side === '+' ? 'positive' : 'negative'}`;
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', `PC${a + 1} ${side === '+' ? 'positive' : 'negative'} end`);
      const mark = document.createElement('span');
      mark.className = 'axis-sign';
      mark.textContent = side;
      group.append(mark);
      for (const id of ids) {
        const i = token.indexOfId(id);
        if (i < 0) continue;
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'axis-token';
        b.dataset.tokenId = String(id);
        b.textContent = visibleText(token.text(i));
        b.title = `Token #${id}: select it`;
        b.addEventListener('click', () => onChoose(i));
        group.append(b);
      }
      row.append(group);
    }
    root.append(row);
  });
}

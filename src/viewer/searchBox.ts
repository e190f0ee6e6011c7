/**
 * The token search: an ARIA 1.2 combobox (input + listbox). Typing lists matches; ArrowDown /
 * ArrowUp move through them (aria-activedescendant keeps focus in the input), Enter picks one,
 * Escape closes the list (a second Escape clears the query). Option text is set with
 * textContent only.
 */
import { el } from './tokenText.ts';

export interface SearchBoxOptions {
  input: HTMLInputElement;
  list: HTMLElement;
  status: HTMLElement;
  search(query: string): number[];
  describe(index: number): { text: string; meta: string };
  /** The current matches (highlighted on the map while the query stands). */
  onResults(indices: number[]): void;
  onChoose(index: number): void;
}

export interface SearchBox {
  setQuery(query: string): void;
  close(): void;
}

export function createSearchBox(o: SearchBoxOptions): SearchBox {
  const { input, list, status } = o;
  const listId = list.id || `tks-list-${Math.random().toString(36).slice(2)}`;
  list.id = listId;
  list.setAttribute('role', 'listbox');
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', listId);
  input.setAttribute('aria-expanded', 'false');
  let results: number[] = [];
  let active = -1;
  let timer = 0;

  const setOpen = (open: boolean) => {
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    if (!open) {
      active = -1;
      input.removeAttribute('aria-activedescendant');
    }
  };

  const setActive = (k: number) => {
    const options = list.querySelectorAll<HTMLElement>('[role=option]');
    options.forEach((opt, j) => opt.setAttribute('aria-selected', String(j === k)));
    active = k;
    if (k >= 0 && options[k]) {
      input.setAttribute('aria-activedescendant', options[k].id);
      options[k].scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };

  const render = () => {
    list.replaceChildren();
    results.forEach((index, k) => {
      const li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.id = `${listId}-${k}`;
      li.dataset.index = String(index);
      li.setAttribute('aria-selected', 'false');
      const d = o.describe(index);
      li.append(el('span', 'opt-text', d.text), el('span', 'opt-meta', d.meta));
      list.append(li);
    });
  };

  const run = () => {
    const q = input.value;
    results = q.length ? o.search(q) : [];
    render();
    setOpen(results.length > 0);
    status.textContent = q.length === 0 ? '' : results.length === 0 ? 'No token matches.' : `${results.length}${results.length >= 50 ? '+' : ''} matching tokens; use the arrow keys to choose.`;
    o.onResults(results);
  };

  const choose = (k: number) => {
    const index = results[k];
    if (index === undefined) return;
    setActive(k);
    setOpen(false);
    o.onChoose(index);
  };

  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, 60);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      window.clearTimeout(timer);
      if (list.hidden) {
        run();
        if (results.length) setActive(e.key === 'ArrowDown' ? 0 : results.length - 1);
        return;
      }
      const n = results.length;
      if (!n) return;
      setActive(e.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      window.clearTimeout(timer);
      if (list.hidden && results.length === 0) run();
      choose(active >= 0 ? active : 0);
    } else if (e.key === 'Escape') {
      if (!list.hidden) {
        e.preventDefault();
        setOpen(false);
      } else if (input.value) {
        e.preventDefault();
        input.value = '';
        run();
      }
    } else if (e.key === 'Home' || e.key === 'End') {
      // Leave Home/End to the text field.
    }
  });
  input.addEventListener('blur', () => window.setTimeout(() => setOpen(false), 150));
  input.addEventListener('focus', () => {
    if (input.value && results.length) setOpen(true);
  });
  // mousedown (not click) so the input keeps focus and the blur handler does not close first.
  list.addEventListener('mousedown', (e) => {
    const li = (e.target as HTMLElement).closest<HTMLElement>('[role=option]');
    if (!li) return;
    e.preventDefault();
    const k = [...list.children].indexOf(li);
    choose(k);
  });

  setOpen(false);
  return {
    setQuery(query) {
      input.value = query;
      run();
      setOpen(false);
    },
    close: () => setOpen(false),
  };
}

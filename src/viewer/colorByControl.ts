/**
 * The "Colour by" control and its legend (in the map's corner). A numeric colouring shows the
 * palette with ticks; a categorical one lists its categories as toggle buttons (aria-pressed)
 * that switch their points off and on. facets.bin is fetched the first time a facet needs it.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import type { ExhibitFacets } from '../facets/facetTypes.ts';
import { countColoring, isFacet, needsFacets, toggleCategory, visibilityMask, type ColorChoice, type Coloring } from './colorBy.ts';
import { paletteGradient, rgbHex } from './colorScale.ts';
import { describeLoadError, fetchExhibitFile } from './data.ts';
import { formatCount } from './display.ts';
import { el } from './tokenText.ts';

export interface ColorByOptions {
  legend: HTMLElement;
  /** The sentence under "About this map" (exhibit page). */
  note: HTMLElement | null;
  points: ExhibitPoints;
  clip: number;
  hasCounts: boolean;
  facetsUrl: string | undefined;
  initial: { choice: ColorChoice; hidden: number[] };
  /** New colours (and which points show: null = all). */
  onChange(coloring: Coloring, visible: Uint8Array | null): void | Promise<void>;
}

export interface ColorByControl {
  choice(): ColorChoice;
  hidden(): number[];
  coloring(): Coloring;
  /** Applies the initial choice (fetching facets.bin when it needs them). */
  start(): Promise<void>;
}

export function createColorByControl(o: ColorByOptions): ColorByControl {
  const select = o.legend.querySelector<HTMLSelectElement>('select[data-action=color-by]');
  const logToggle = o.legend.querySelector<HTMLInputElement>('input[data-action=log]');
  const logWrap = logToggle?.closest<HTMLElement>('label') ?? null;
  const title = o.legend.querySelector<HTMLElement>('.legend-title');
  const bar = o.legend.querySelector<HTMLElement>('.legend-bar');
  const ticks = o.legend.querySelector<HTMLElement>('.legend-ticks');
  const categoriesBox = o.legend.querySelector<HTMLElement>('.legend-categories');
  const status = o.legend.querySelector<HTMLElement>('.legend-status');
  let facets: ExhibitFacets | null = null;
  let facetsPending: Promise<ExhibitFacets> | null = null;
  let choice: ColorChoice = o.initial.choice;
  let hidden = new Set<number>(o.initial.hidden);
  const input = () => ({ points: o.points, facets, clip: o.clip });
  let coloring: Coloring = countColoring(isFacet(choice) ? (o.hasCounts ? 'clip' : 'id') : choice, input());
  // Facet colourings (and facetTypes.ts) load with the first facet chosen.
  let facetModule: Promise<typeof import('./facetColoring.ts')> | null = null;
  const colour = async (next: ColorChoice): Promise<Coloring> => {
    if (!isFacet(next)) return countColoring(next, input());
    facetModule ??= import('./facetColoring.ts');
    return (await facetModule).facetColoring(next, input());
  };

  if (!o.facetsUrl && select) {
    for (const opt of select.options) if (needsFacets(opt.value as ColorChoice)) opt.disabled = true;
  }

  const loadFacets = () => {
    if (facets) return Promise.resolve(facets);
    if (!o.facetsUrl) return Promise.reject(new Error('This exhibit was built without facets.'));
    // The reader loads with the file: a visitor who never picks a facet downloads neither.
    facetsPending ??= Promise.all([fetchExhibitFile(o.facetsUrl, 'facet data'), import('../artifact/readFacets.ts')]).then(
      ([bytes, { readFacets }]) => (facets = readFacets(bytes, o.points.count)),
    );
    facetsPending.catch(() => (facetsPending = null));
    return facetsPending;
  };

  const renderLegend = () => {
    if (title) title.textContent = coloring.title;
    if (o.note) o.note.textContent = coloring.note;
    o.legend.title = coloring.note;
    o.legend.dataset.coloring = coloring.choice;
    const isCount = coloring.choice === 'clip' || coloring.choice === 'log';
    if (logWrap) logWrap.hidden = !o.hasCounts || !isCount;
    if (logToggle) logToggle.checked = coloring.choice === 'log';
    if (select) select.value = isCount ? 'count' : coloring.choice;
    if (coloring.kind === 'numeric') {
      if (bar) {
        bar.hidden = false;
        bar.style.backgroundImage = paletteGradient();
      }
      if (ticks) {
        ticks.hidden = false;
        ticks.replaceChildren(
          ...coloring.ticks.map((t) => {
            const s = document.createElement('span');
            s.textContent = t.label;
            s.style.left = `${(t.t * 100).toFixed(1)}%`;
            s.className = t.t >= 0.99 ? 'tick tick-end' : t.t <= 0.01 ? 'tick tick-start' : 'tick';
            return s;
          }),
        );
      }
      categoriesBox?.replaceChildren();
      if (categoriesBox) categoriesBox.hidden = true;
      return;
    }
    if (bar) bar.hidden = true;
    if (ticks) ticks.hidden = true;
    if (!categoriesBox) return;
    categoriesBox.hidden = false;
    categoriesBox.replaceChildren(
      ...coloring.categories.map((k) => {
        const b = el('button', 'legend-category');
        b.type = 'button';
        b.dataset.category = String(k.index);
        b.setAttribute('aria-pressed', String(!hidden.has(k.index)));
        b.title = `${hidden.has(k.index) ? 'Show' : 'Hide'} these points`;
        const swatch = el('span', 'swatch');
        swatch.style.backgroundColor = rgbHex(k.rgb);
        b.append(swatch, el('span', 'category-label', k.label), el('span', 'category-count', formatCount(k.count)));
        b.addEventListener('click', () => {
          hidden = toggleCategory(coloring, hidden, k.index);
          renderLegend();
          o.legend.querySelector<HTMLButtonElement>(`button[data-category="${k.index}"]`)?.focus();
          void o.onChange(coloring, visibilityMask(coloring, hidden));
        });
        return b;
      }),
    );
  };

  const apply = async (next: ColorChoice, keepHidden = false) => {
    if (!keepHidden) hidden = new Set();
    let computed: Coloring;
    try {
      if (needsFacets(next) && !facets) {
        if (status) status.textContent = 'Loading the facets…';
        await loadFacets();
      }
      computed = await colour(next);
      if (status) status.textContent = '';
    } catch (e) {
      if (status) status.textContent = describeLoadError(e);
      renderLegend();
      return;
    }
    choice = next;
    coloring = computed;
    // Hidden categories that this colouring does not have mean nothing.
    if (coloring.kind === 'categorical') {
      const present = new Set(coloring.categories.map((k) => k.index));
      hidden = new Set([...hidden].filter((h) => present.has(h)));
      if (coloring.categories.every((k) => hidden.has(k.index))) hidden = new Set();
    } else hidden = new Set();
    renderLegend();
    await o.onChange(coloring, visibilityMask(coloring, hidden));
  };

  select?.addEventListener('change', () => {
    const v = select.value;
    void apply(v === 'count' ? (logToggle?.checked ? 'log' : 'clip') : (v as ColorChoice));
  });
  logToggle?.addEventListener('change', () => void apply(logToggle.checked ? 'log' : 'clip'));

  return {
    choice: () => choice,
    hidden: () => [...hidden].sort((a, b) => a - b),
    coloring: () => coloring,
    async start() {
      renderLegend();
      if (choice !== coloring.choice || hidden.size) await apply(choice, true);
    },
  };
}

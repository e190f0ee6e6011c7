/**
 * The two cards that follow a point on the map: the hover tooltip (above the hovered point) and
 * the selected token's card (below the selected point, hidden while that point is hovered, since
 * the tooltip then says the same). Both are kept inside the map's box.
 */
import { clamp } from './camera.ts';
import { fillTooltip, type TokenInfo } from './tooltip.ts';

export interface PointCardsOptions {
  map: HTMLElement;
  tooltip: HTMLElement;
  /** The selected token's card (tooltip.ts's fillLabel fills it). */
  label: HTMLElement;
  /** Point `i` in CSS pixels from the active canvas's top-left corner, or null. */
  screenOf(i: number): { x: number; y: number } | null;
  activeCanvas(): HTMLElement;
  info(i: number): TokenInfo;
}

export interface PointCards {
  /** Fills the tooltip for point `i` (-1: none; the next `place` hides it). */
  hover(i: number): void;
  /** Moves both cards to their points (call after every frame). */
  place(hovered: number, selected: number): void;
}

export function createPointCards(o: PointCardsOptions): PointCards {
  const placeAt = (el: HTMLElement, i: number, dy: number) => {
    const p = o.screenOf(i);
    const c = o.activeCanvas();
    if (!p || p.x < 0 || p.y < 0 || p.x > c.clientWidth || p.y > c.clientHeight) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    const x = clamp(p.x + c.offsetLeft - w / 2, 4, o.map.clientWidth - w - 4);
    let y = p.y + c.offsetTop + dy - (dy < 0 ? h : 0);
    if (y < 4) y = p.y + c.offsetTop + 14;
    if (y + h > o.map.clientHeight - 4) y = p.y + c.offsetTop - h - 14;
    el.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  };

  return {
    hover(i) {
      if (i >= 0) fillTooltip(o.tooltip, o.info(i));
    },
    place(hovered, selected) {
      if (hovered >= 0) placeAt(o.tooltip, hovered, -14);
      else o.tooltip.hidden = true;
      if (selected >= 0 && selected !== hovered) placeAt(o.label, selected, 12);
      else o.label.hidden = true;
    },
  };
}

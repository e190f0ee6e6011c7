/**
 * What a shared link remembers. Query parameters (all optional):
 *
 * - `view`  — `3d` (default), `xy` (PC1×PC2), `xz` (PC1×PC3), `yz` (PC2×PC3);
 * - `id`    — the selected token, by token id (written by the viewer: unambiguous);
 * - `token` — the selected token, by text (for hand-written links: `?token=Switzerland`);
 *             `id` wins when both are present;
 * - `color` — `clip` or `log` (corpus counts), or a facet: `length`, `script`, `wordStart`, `byte`,
 *             `special`, `norm`, `undertrained`, `pos` (the "Colour by" control);
 * - `hide`  — categories of a categorical `color` switched off in the legend, by stored index
 *             (`hide=0,3`);
 * - `labels` — `off` when the map's token labels are switched off;
 * - `cam`   — the camera: `yaw,pitch,distance,tx,ty,tz` (degrees) in 3D, `x,y,distance` in 2D.
 *
 * Unknown parameters are kept when the viewer rewrites the URL.
 */
import { isColorChoice, type ColorChoice } from './colorBy.ts';

export const VIEWS = ['3d', 'xy', 'xz', 'yz'] as const;
export type ViewName = (typeof VIEWS)[number];

/** Which coordinates each 2D view plots (0 = PC1, 1 = PC2, 2 = PC3). */
export const PLANE_AXES: Record<Exclude<ViewName, '3d'>, [number, number]> = {
  xy: [0, 1],
  xz: [0, 2],
  yz: [1, 2],
};

export const VIEW_LABELS: Record<ViewName, string> = {
  '3d': '3D',
  xy: 'PC1 × PC2',
  xz: 'PC1 × PC3',
  yz: 'PC2 × PC3',
};

export interface UrlState {
  view?: ViewName;
  id?: number;
  token?: string;
  color?: ColorChoice;
  hide?: number[];
  labels?: 'off';
  cam?: number[];
}

const OWN_KEYS = ['view', 'id', 'token', 'color', 'hide', 'labels', 'cam'];

export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const state: UrlState = {};
  const view = params.get('view')?.toLowerCase();
  if (view && (VIEWS as readonly string[]).includes(view)) state.view = view as ViewName;
  const id = params.get('id');
  if (id !== null && /^\d{1,10}$/.test(id.trim())) state.id = Number(id.trim());
  const token = params.get('token');
  if (token !== null && token.length > 0 && token.length <= 200) state.token = token;
  const color = params.get('color');
  if (color !== null && color !== 'id' && isColorChoice(color)) state.color = color;
  const hide = params.get('hide');
  if (hide && /^\d{1,3}(,\d{1,3}){0,63}$/.test(hide.trim())) state.hide = [...new Set(hide.trim().split(',').map(Number))].sort((a, b) => a - b);
  if (params.get('labels') === 'off') state.labels = 'off';
  const cam = params.get('cam');
  if (cam) {
    const values = cam.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v)));
    if (values.length >= 3 && values.length <= 6 && values.every(Number.isFinite)) state.cam = values;
  }
  return state;
}

/**
 * The query string (with `?`, or '' when empty) for `state`, keeping parameters of `current`
 * that the viewer does not own. Defaults (`view=3d`) are left out.
 */
export function formatUrlState(state: UrlState, current = ''): string {
  const params = new URLSearchParams(current);
  for (const key of OWN_KEYS) params.delete(key);
  if (state.view && state.view !== '3d') params.set('view', state.view);
  if (state.id !== undefined) params.set('id', String(state.id));
  else if (state.token !== undefined) params.set('token', state.token);
  if (state.color) params.set('color', state.color);
  if (state.color && state.hide && state.hide.length) params.set('hide', state.hide.join(','));
  if (state.labels === 'off') params.set('labels', 'off');
  if (state.cam && state.cam.length) params.set('cam', state.cam.join(','));
  const s = params.toString().replaceAll('%2C', ',');
  return s ? `?${s}` : '';
}

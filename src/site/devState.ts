/**
 * What the live preview (`npm run dev`, scripts/dev.ts) tells the pages: the error of the last
 * rebuild, if it failed. The dev script and the pages run in one Node process but load this
 * module separately (tsx and Vite's SSR loader), so the state lives on globalThis.
 */
const KEY = Symbol.for('tokenscape.devState');

export interface DevState {
  /** The last rebuild's error as the terminal showed it (TokenscapeError.format()), or null. */
  error: string | null;
}

type WithState = typeof globalThis & { [KEY]?: DevState };

export function devState(): DevState | null {
  return (globalThis as WithState)[KEY] ?? null;
}

export function setDevState(state: DevState): void {
  (globalThis as WithState)[KEY] = state;
}

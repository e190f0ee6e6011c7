// Entry of a token-counting worker thread (parallelCount.ts) when it runs from the TypeScript sources (tsx,
// vitest): the worker runs the same esbuild bundle that `npm run precompute` uses (scripts/bundle.mjs), which
// starts in about half the time of tsx transpiling it; tsx's API loads countWorker.ts if esbuild cannot build.
// (Worker threads on Node 20 do not get tsx's loader hooks from the parent.) Inside the bundle, parallelCount
// finds the bundled countWorker.mjs beside it instead of this file.
import { pathToFileURL } from 'node:url';
import { ensureBundle } from '../../scripts/bundle.mjs';

const bundled = await ensureBundle('countWorker');
if (bundled) {
  await import(pathToFileURL(bundled).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('./countWorker.ts', import.meta.url);
}

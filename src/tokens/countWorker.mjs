// Entry of a token-counting worker thread (parallelCount.ts). Worker threads on Node 20 do not get tsx's
// loader hooks from the parent, so tsx's API loads the TypeScript module.
import { tsImport } from 'tsx/esm/api';

await tsImport('./countWorker.ts', import.meta.url);

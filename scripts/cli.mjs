#!/usr/bin/env node
/**
 * `npm run precompute` → `node scripts/cli.mjs precompute`: runs scripts/precompute.ts from an esbuild bundle
 * of it (scripts/bundle.mjs), so that a run does not spend its start-up transpiling TypeScript file by file
 * (tsx). If esbuild cannot build, the script runs through tsx as before.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBundle, ENTRIES, root } from './bundle.mjs';

const name = process.argv[2];
if (name !== 'precompute') {
  process.stderr.write('usage: node scripts/cli.mjs precompute\n');
  process.exit(2);
}
// The script sees its own flags (--quiet, --verbose) where it would under `tsx scripts/precompute.ts`.
process.argv.splice(2, 1);
let entry = await ensureBundle(name);
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, ENTRIES[name]);
}
await import(pathToFileURL(entry).href);

#!/usr/bin/env node
/**
 * `npm run precompute` → `node scripts/cli.mjs precompute`: runs scripts/precompute.ts from an esbuild bundle
 * of it, so that a run does not spend its start-up transpiling TypeScript file by file (tsx). The bundle (our
 * code only; packages stay imports) lives in node_modules/.cache/tokenscape/ and is rebuilt whenever one of
 * its input files is newer than it, so it always runs the sources as they are. The token-counting worker
 * (src/tokens/countWorker.ts) is bundled beside it, where parallelCount.ts looks for it. If esbuild cannot
 * build, the script runs through tsx as before.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
const ENTRIES = { precompute: 'scripts/precompute.ts' };
if (!(name in ENTRIES)) {
  process.stderr.write(`usage: node scripts/cli.mjs ${Object.keys(ENTRIES).join('|')}\n`);
  process.exit(2);
}
const outDir = join(root, 'node_modules', '.cache', 'tokenscape');
const bundle = join(outDir, `${name}.mjs`);
const inputsFile = join(outDir, `${name}.inputs.json`);

/** Fresh when every file that went into the bundle is older than it (an edit to any of them rebuilds). */
function fresh() {
  if (!existsSync(bundle) || !existsSync(inputsFile)) return false;
  const built = statSync(bundle).mtimeMs;
  try {
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return inputs.every((p) => existsSync(join(root, p)) && statSync(join(root, p)).mtimeMs < built);
  } catch {
    return false;
  }
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  const temp = join(outDir, `build-${process.pid}`);
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: { [name]: ENTRIES[name], countWorker: 'src/tokens/countWorker.ts' },
    outdir: temp,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
  });
  mkdirSync(outDir, { recursive: true });
  renameSync(join(temp, 'countWorker.mjs'), join(outDir, 'countWorker.mjs'));
  renameSync(join(temp, `${name}.mjs`), bundle);
  rmSync(temp, { recursive: true, force: true });
  writeFileSync(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs)));
}

let entry = bundle;
if (!fresh()) {
  try {
    await build();
  } catch (error) {
    process.stderr.write(`(could not bundle ${ENTRIES[name]}: ${error?.message ?? error}; running it through tsx)\n`);
    const { register } = await import('tsx/esm/api');
    register();
    entry = join(root, ENTRIES[name]);
  }
}
await import(pathToFileURL(entry).href);

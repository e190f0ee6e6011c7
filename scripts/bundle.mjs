/**
 * esbuild bundles of our TypeScript entry points (our code only; packages stay imports), kept in
 * node_modules/.cache/tokenscape/ and rebuilt whenever one of their input files is newer, so they always run the
 * sources as they are. Used by scripts/cli.mjs (`npm run precompute`) and by the token-counting worker's entry
 * (src/tokens/countWorker.mjs), so neither pays for transpiling TypeScript file by file at start-up.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRIES = { precompute: 'scripts/precompute.ts', countWorker: 'src/tokens/countWorker.ts' };
const outDir = join(root, 'node_modules', '.cache', 'tokenscape');
const inputsFile = join(outDir, 'inputs.json');
const bundlePath = (name) => join(outDir, `${name}.mjs`);

/** Fresh when every file that went into the bundles is older than them (an edit to any of them rebuilds). */
function fresh() {
  if (!existsSync(inputsFile) || !Object.keys(ENTRIES).every((n) => existsSync(bundlePath(n)))) return false;
  const built = Math.min(...Object.keys(ENTRIES).map((n) => statSync(bundlePath(n)).mtimeMs));
  try {
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return inputs.every((p) => existsSync(join(root, p)) && statSync(join(root, p)).mtimeMs < built);
  } catch {
    return false;
  }
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  const temp = join(outDir, `build-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: ENTRIES,
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
  // Each rename is atomic, so a concurrent run sees an old bundle or a new one, never half of one.
  for (const name of Object.keys(ENTRIES)) renameSync(join(temp, `${name}.mjs`), bundlePath(name));
  writeFileSync(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs)));
  rmSync(temp, { recursive: true, force: true });
}

/** The path of a fresh bundle of `name`, or null (with the reason on stderr) when esbuild cannot build it. */
export async function ensureBundle(name) {
  if (!fresh()) {
    try {
      await build();
    } catch (error) {
      process.stderr.write(`(could not bundle ${ENTRIES[name]}: ${error?.message ?? error}; running it through tsx)\n`);
      return null;
    }
  }
  return bundlePath(name);
}

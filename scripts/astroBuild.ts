/** `astro build` in a child process with the given build environment (used by the browser tests and the bench). */
import { spawn } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..');

/** Builds the site; resolves with the build's wall time in seconds, rejects with the tail of its output. */
export function astroBuild(env: Record<string, string>): Promise<number> {
  const started = performance.now();
  // Vitest puts Vite's import.meta.env values (BASE_URL, MODE, PROD, ...) into process.env; a
  // child Astro build would pick them up (BASE_URL=/ hides the base path), so leave them out.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^(BASE_URL|MODE|DEV|PROD|SSR|NODE_ENV|TEST|VITEST.*)$/.test(k)),
  ) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/astro/astro.js'), 'build', '--silent'], {
      cwd: repoRoot,
      env: { ...inherited, ...env, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`astro build failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}

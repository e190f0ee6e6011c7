/** Where the shared real-data fixtures are, and whether the Python reference tools are installed. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIXTURES = resolve(process.cwd(), process.env.TOKENSCAPE_FIXTURES ?? '../shared/fixtures');
export const hasFixtures = existsSync(resolve(FIXTURES, 'SOURCES.md'));
export const fixture = (...parts: string[]) => resolve(FIXTURES, ...parts);

export const PYTHON = '/usr/bin/python3';

const moduleCache = new Map<string, boolean>();
/** True when Debian's python3 can import every module named; otherwise prints why the check is skipped. */
export function pythonHas(...modules: string[]): boolean {
  const key = modules.join(',');
  if (!moduleCache.has(key)) {
    let ok = existsSync(PYTHON);
    if (ok) {
      try {
        execFileSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
      } catch {
        ok = false;
      }
    }
    if (!ok) console.warn(`[skipped] ${PYTHON} lacks ${modules.join(', ')}: apt-get install -y python3-sklearn python3-sentencepiece python3-numpy`);
    moduleCache.set(key, ok);
  }
  return moduleCache.get(key)!;
}

/** Runs a Python snippet with Debian's python3 and parses its JSON output; `stdin` carries large inputs. */
export function runPython<T>(code: string, args: string[] = [], stdin?: string): T {
  const out = execFileSync(PYTHON, ['-c', code, ...args], { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', input: stdin });
  return JSON.parse(out) as T;
}

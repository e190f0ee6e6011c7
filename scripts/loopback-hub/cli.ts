/**
 * tsx scripts/loopback-hub/cli.ts --root DIR [--port 8765] [--gated org/name ...] [--token T]
 * tsx scripts/loopback-hub/cli.ts --fixtures [--root DIR] [...]
 *
 * Prints `HF_ENDPOINT=http://127.0.0.1:PORT` on stdout once it is ready (everything else goes to
 * stderr, so `head -1` of stdout can be eval'd), then serves until Ctrl-C.
 */
import path from 'node:path';
import { buildExampleRepos } from './exampleRepos.ts';
import { buildFixtureMirror, GATED_REPO } from './fixtureMirror.ts';
import { startLoopbackHub } from './server.ts';

const DEFAULT_FIXTURE_ROOT = '.tokenscape-cache/loopback-hub';
const DEFAULT_PORT = 8765;
const DEFAULT_FIXTURE_TOKEN = 'hf_loopback_token';

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    'usage: tsx scripts/loopback-hub/cli.ts --root DIR [--port 8765] [--gated org/name ...] [--token T]\n' +
      `       tsx scripts/loopback-hub/cli.ts --fixtures [--root DIR (default ${DEFAULT_FIXTURE_ROOT})] [...]\n` +
      '       --port 0 picks a free port\n',
  );
  process.exit(message ? 2 : 0);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let root: string | undefined;
  let port = DEFAULT_PORT;
  let token: string | undefined;
  let fixtures = false;
  const gated: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--root') root = value();
    else if (a === '--port') {
      port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad --port ${args[i]}`);
    } else if (a === '--token') token = value();
    else if (a === '--gated') {
      gated.push(value());
      // `--gated a/b c/d` as well as `--gated a/b --gated c/d`
      while (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) gated.push(args[++i]!);
    } else if (a === '--fixtures') fixtures = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }

  if (fixtures) {
    root ??= DEFAULT_FIXTURE_ROOT;
    process.stderr.write(`building fixture mirror in ${path.resolve(root)} ...\n`);
    await buildFixtureMirror(root);
    process.stderr.write(`example repos: ${(await buildExampleRepos(root)).join(', ')}\n`);
    // The mirror's gated repo is only useful if it is actually gated.
    if (!gated.includes(GATED_REPO)) gated.push(GATED_REPO);
    token ??= DEFAULT_FIXTURE_TOKEN;
  }
  if (!root) usage('--root DIR is required (or --fixtures)');

  const hub = await startLoopbackHub({ root, port, gated, token, prehash: true });
  process.stdout.write(`HF_ENDPOINT=${hub.url}\n`);
  process.stderr.write(`serving ${path.resolve(root)}\n`);
  process.stderr.write(`web files: ${hub.url}/urls/<host>/<path>\n`);
  if (gated.length) process.stderr.write(`gated: ${gated.join(', ')}${token ? ` (token: ${token})` : ' (no token: closed)'}\n`);

  let closing = false;
  const stop = (): void => {
    if (closing) process.exit(1);
    closing = true;
    hub.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

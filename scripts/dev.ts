/**
 * `npm run dev`: the live preview. Runs the precompute, starts Astro's dev server, and watches
 * the gallery config (GALLERY_CONFIG, default gallery.config.yaml) and the prose folder
 * (TOKENSCAPE_CONTENT, default content/):
 *
 *  - a config change re-runs the precompute (only what changed is rebuilt) and reloads the open
 *    pages, so a new or changed exhibit shows without a restart;
 *  - a content/*.md change reloads the pages (prose is read when a page renders);
 *  - a mistake (a config error, a model that cannot be read) is printed once in the terminal, in the
 *    usual `file:line: key: problem` form, and shown on every page as a banner, while the last good
 *    gallery keeps being served.
 *
 * Flags: --port N, --host (listen on all addresses), --quiet, --verbose.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';
import { galleryConfigPath, loadGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import { hubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { createReporter, setProgress, verbosityFrom } from '../src/pipeline/progress.ts';
import { workspaceFromEnv } from '../src/pipeline/workspace.ts';
import { setDevState } from '../src/site/devState.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  port: number;
  host: boolean;
  argv: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { port: 4321, host: false, argv };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' || a.startsWith('--port=')) {
      const value = a.includes('=') ? a.slice('--port='.length) : argv[++i];
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TokenscapeError(`--port needs a port number, not ${JSON.stringify(value)}`);
      args.port = port;
    } else if (a === '--host') {
      args.host = true;
    } else if (!['--quiet', '-q', '--verbose', '-v'].includes(a)) {
      throw new TokenscapeError(`unknown option ${a}; npm run dev takes --port N, --host, --quiet, --verbose`);
    }
  }
  return args;
}

function describeError(error: unknown): string {
  if (error instanceof TokenscapeError) return error.format();
  return (error as Error)?.stack ?? String(error);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const reporter = createReporter({ verbosity: verbosityFrom(args.argv) });
  setProgress(reporter);
  const configFile = galleryConfigPath();
  const contentDir = path.resolve(root, process.env.TOKENSCAPE_CONTENT ?? 'content');
  const workspace = workspaceFromEnv();
  setDevState({ error: null });

  /** Rebuilds the exhibits; on a mistake keeps what is there and records the error. */
  const rebuild = async (): Promise<void> => {
    const started = performance.now();
    try {
      const config = await loadGalleryConfig(configFile);
      const env = hubEnvironment();
      const outcomes = await precompute({ config, env, workspace, log: (line) => reporter.info(line) });
      const built = outcomes.filter((o) => o.status === 'built').length;
      reporter.info(`Gallery ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${built} built, ${outcomes.length - built} up to date`);
      setDevState({ error: null });
    } catch (error) {
      const text = describeError(error);
      // Printed even with --quiet: it is the one thing the author must see.
      process.stderr.write(`\nerror: ${text}\n  (still serving the last good gallery; fix it and save to rebuild)\n\n`);
      setDevState({ error: text });
    }
  };

  // One rebuild at a time; changes during a rebuild start one more afterwards.
  let running: Promise<void> | null = null;
  let again = false;
  let afterRebuild: () => void = () => {};
  // Editors often save by writing a new file and renaming it over the old one (unlink, then add):
  // wait for the events of one save to settle before reading the config.
  let settle: NodeJS.Timeout | undefined;
  const scheduleRebuild = () => {
    clearTimeout(settle);
    settle = setTimeout(startRebuild, 150);
  };
  const startRebuild = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await rebuild();
      } while (again);
      running = null;
      afterRebuild();
    })();
  };

  reporter.info(`Tokenscape preview: building the gallery from ${configFile}`);
  await rebuild();

  const livePreview: AstroIntegration = {
    name: 'tokenscape-live-preview',
    hooks: {
      'astro:server:setup': ({ server }) => {
        let emitting = false;
        const reload = () => {
          // A 'change' event makes Astro forget the pages' cached getStaticPaths (new exhibits),
          // then every open page reloads. The event is ours: onFile ignores it.
          emitting = true;
          try {
            server.watcher.emit('change', configFile);
          } finally {
            emitting = false;
          }
          server.ws.send({ type: 'full-reload', path: '*' });
        };
        afterRebuild = reload;
        server.watcher.add([configFile, contentDir]);
        const shown = (file: string) => {
          const relative = path.relative(process.cwd(), file);
          return relative && !relative.startsWith('..') ? relative : file;
        };
        const onFile = (file: string) => {
          if (emitting) return;
          const resolved = path.resolve(file);
          if (resolved === configFile) {
            reporter.info(`${shown(configFile)} changed: rebuilding`);
            scheduleRebuild();
          } else if (resolved.startsWith(contentDir + path.sep) && resolved.endsWith('.md')) {
            reporter.info(`${shown(resolved)} changed: reloading the pages`);
            reload();
          }
        };
        server.watcher.on('change', onFile);
        server.watcher.on('add', onFile);
        server.watcher.on('unlink', onFile);
      },
    },
  };

  const { dev } = await import('astro');
  const server = await dev({
    root,
    logLevel: reporter.verbosity === 'quiet' ? 'error' : 'info',
    server: { port: args.port, host: args.host },
    integrations: [livePreview],
  });
  const base = (process.env.BASE_PATH ?? '').trim().replace(/^\/+|\/+$/g, '');
  const host = server.address.family === 'IPv6' ? `[${server.address.address}]` : server.address.address;
  // Printed even with --quiet, and in this exact form: tests and scripts read the address from it.
  process.stdout.write(`Tokenscape preview: http://${host === '::' || host === '[::]' ? 'localhost' : host}:${server.address.port}/${base ? `${base}/` : ''}\n`);

  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`\nerror: ${describeError(error)}\n`);
  process.exitCode = 1;
}

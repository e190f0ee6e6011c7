/**
 * `npm run precompute`: builds every exhibit of the gallery config into the exhibits folder.
 * `--quiet` prints only errors, `--verbose` adds a line per stage and pass (src/pipeline/progress.ts).
 */
import { galleryConfigPath, loadGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import { hubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { createReporter, setProgress, verbosityFrom } from '../src/pipeline/progress.ts';
import { workspaceFromEnv } from '../src/pipeline/workspace.ts';

const FLAGS = ['--quiet', '-q', '--verbose', '-v'];

async function main(): Promise<number> {
  const started = performance.now();
  const unknown = process.argv.slice(2).filter((a) => !FLAGS.includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`error: unknown option ${unknown.join(' ')}; npm run precompute takes --quiet or --verbose\n`);
    return 2;
  }
  const reporter = createReporter({ verbosity: verbosityFrom(process.argv.slice(2)) });
  setProgress(reporter);
  try {
    const config = await loadGalleryConfig(galleryConfigPath());
    const env = hubEnvironment();
    const workspace = workspaceFromEnv();
    const log = (line: string) => reporter.info(line);
    reporter.detail(`config ${config.file}; cache ${workspace.cacheDir}; exhibits ${workspace.exhibitsDir}; Hub cache ${env.cacheDir}`);
    log(`Tokenscape: ${config.exhibits.length} exhibit(s) from ${config.file}${env.offline ? ' (offline)' : ` via ${env.endpoint}`}`);
    const outcomes = await precompute({ config, env, workspace, log });
    const built = outcomes.filter((o) => o.status === 'built').length;
    log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${built} built, ${outcomes.length - built} up to date → ${workspace.exhibitsDir}`);
    // Peak memory is what decides whether a vocabulary fits a CI runner; npm run bench reads this line too.
    reporter.detail(`peak memory ${Math.round((process.resourceUsage().maxRSS * 1024) / 1e6)} MB`);
    return 0;
  } catch (error) {
    if (error instanceof TokenscapeError) {
      process.stderr.write(`\nerror: ${error.format()}\n`);
    } else {
      process.stderr.write(`\nunexpected error: ${(error as Error)?.stack ?? error}\n`);
    }
    return 1;
  }
}

process.exitCode = await main();

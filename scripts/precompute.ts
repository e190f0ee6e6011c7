/** `npm run precompute`: builds every exhibit of the gallery config into the exhibits folder. */
import { galleryConfigPath, loadGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';
import { hubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { workspaceFromEnv } from '../src/pipeline/workspace.ts';

async function main(): Promise<number> {
  const started = performance.now();
  try {
    const config = await loadGalleryConfig(galleryConfigPath());
    const env = hubEnvironment();
    const workspace = workspaceFromEnv();
    const log = (line: string) => process.stderr.write(`${line}\n`);
    log(`Tokenscape: ${config.exhibits.length} exhibit(s) from ${config.file}${env.offline ? ' (offline)' : ` via ${env.endpoint}`}`);
    const outcomes = await precompute({ config, env, workspace, log });
    const built = outcomes.filter((o) => o.status === 'built').length;
    log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${built} built, ${outcomes.length - built} up to date → ${workspace.exhibitsDir}`);
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

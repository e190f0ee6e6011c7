/** What a user sees from `npm run precompute` when the config is wrong: one clear message, exit 1, nothing written. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function runPrecompute(configText: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tks-cli-'));
  const config = join(dir, 'gallery.config.yaml');
  writeFileSync(config, configText);
  // What `npm run precompute` runs: the esbuild bundle of scripts/precompute.ts (scripts/cli.mjs).
  const result = spawnSync(process.execPath, ['scripts/cli.mjs', 'precompute'], {
    env: { ...process.env, GALLERY_CONFIG: config, TOKENSCAPE_EXHIBITS: join(dir, 'exhibits'), TOKENSCAPE_CACHE: join(dir, 'cache'), HF_HUB_OFFLINE: '1', HF_HOME: join(dir, 'hf') },
    encoding: 'utf8',
  });
  return { ...result, dir, config };
}

describe('npm run precompute', () => {
  it('names the file, line and key of a config mistake, once, and exits 1 without writing exhibits', () => {
    const { status, stderr, dir, config } = runPrecompute('title: T\nexhibits:\n  - id: a\n    title: A\n    model: org/m\n    corpus: vocabulary\n    colour: { clip: 5 }\n');
    expect(status).toBe(1);
    expect(stderr).toContain(`${config}:7`);
    expect(stderr).toMatch(/colour/);
    expect(stderr).toMatch(/did you mean "color"/);
    expect(stderr.match(/error:/g)).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'exhibits'))).toBe(false);
  }, 60_000);

  it('says what is missing when offline and the model was never downloaded', () => {
    const { status, stderr } = runPrecompute('title: T\nexhibits:\n  - id: a\n    title: A\n    model: org/never-downloaded\n    corpus: vocabulary\n');
    expect(status).toBe(1);
    expect(stderr).toMatch(/exhibit "a"/);
    expect(stderr).toMatch(/HF_HUB_OFFLINE is set and model org\/never-downloaded/);
    expect(stderr).toMatch(/Run the build once with network access/);
  }, 60_000);
});

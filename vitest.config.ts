import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 *  - `unit`: everything except the browser suite (fast, no build);
 *  - `e2e`:  tests/e2e, run against a site built once by tests/support/siteSetup.ts (global setup:
 *            test gallery → astro build → static servers → one headless Chromium).
 * `npx vitest run --project unit` skips the build.
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts', 'src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['tests/e2e/**', '**/node_modules/**', 'dist/**'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/support/siteSetup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});

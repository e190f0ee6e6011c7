/**
 * Download progress: a live line (bytes, rate, ETA) on a terminal, one plain line per file otherwise.
 * A stage of the one progress reporter (src/pipeline/progress.ts), so --quiet silences it too.
 */
import { formatBytes, progress, type ProgressReporter as Reporter } from '../pipeline/progress.ts';

export { formatBytes };

export interface ProgressReporter {
  update(bytes: number): void;
  done(): void;
}

export function startProgress(label: string, total: number, reporter: Reporter = progress()): ProgressReporter {
  const started = performance.now();
  let received = 0;
  const stage = reporter.stage(`↓ ${label}`, { total, unit: 'bytes' });
  return {
    update(bytes) {
      received += bytes;
      stage.add(bytes);
    },
    done() {
      const seconds = (performance.now() - started) / 1000;
      stage.done(`↓ ${label}  ${formatBytes(received)} in ${seconds.toFixed(1)} s (${formatBytes(received / Math.max(seconds, 1e-3))}/s)`);
    },
  };
}

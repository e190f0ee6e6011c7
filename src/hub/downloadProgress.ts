/** Download progress on stderr: a live line (bytes, rate, ETA) on a terminal, one plain line per file otherwise. */
export interface ProgressReporter {
  update(bytes: number): void;
  done(): void;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}

export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const started = performance.now();
  let received = 0;
  let lastDraw = 0;
  const live = Boolean(stream.isTTY);
  const draw = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = received / Math.max(seconds, 1e-3);
    const eta = total > 0 ? (total - received) / rate : NaN;
    const pct = total > 0 ? ` ${((100 * received) / total).toFixed(0)}%` : '';
    stream.write(`\r\x1b[2K↓ ${label}${pct}  ${formatBytes(received)} / ${formatBytes(total)}  ${formatBytes(rate)}/s  ETA ${formatSeconds(eta)}`);
  };
  return {
    update(bytes) {
      received += bytes;
      if (live && performance.now() - lastDraw > 100) {
        lastDraw = performance.now();
        draw();
      }
    },
    done() {
      const seconds = (performance.now() - started) / 1000;
      const line = `↓ ${label}  ${formatBytes(received)} in ${seconds.toFixed(1)} s (${formatBytes(received / Math.max(seconds, 1e-3))}/s)`;
      stream.write(live ? `\r\x1b[2K${line}\n` : `${line}\n`);
    },
  };
}

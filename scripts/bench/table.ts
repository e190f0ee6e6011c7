/** The rows of the `npm run bench` table and how they print. */
export interface BenchRow {
  figure: string;
  ours: string;
  peer: string;
  ratio: string;
  target: string;
  verdict: string;
}

export function printTable(rows: BenchRow[]): void {
  const header: BenchRow = { figure: 'figure', ours: 'Tokenscape', peer: 'notebook (peer)', ratio: 'ours/peer', target: 'target', verdict: '' };
  const keys = Object.keys(header) as (keyof BenchRow)[];
  const all = [header, ...rows];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: BenchRow) => `| ${keys.map((k, i) => r[k].padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/**
 * A worker thread of parallelCount.ts: builds the tokenizer from its exported files (with the fast path's
 * tables the main thread prepared), takes the main thread's memo snapshot if one comes, and counts the chunks
 * it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tokenizerFromJson } from './loadTokenizer.ts';
import { encodeCounter } from './countTokens.ts';
import type { LineEncoderTables, MemoSnapshot } from './lineEncoder.ts';
import { countChunk } from './parallelCount.ts';

const { files, tables, vocabSize, includeSpecial } = workerData as {
  files: { 'tokenizer.json': string; 'tokenizer_config.json': string };
  tables: LineEncoderTables | null;
  vocabSize: number;
  includeSpecial: boolean;
};
const port = parentPort!;
const tokenizer = tokenizerFromJson({
  tokenizerJson: JSON.parse(files['tokenizer.json']),
  config: JSON.parse(files['tokenizer_config.json']),
  label: 'the exhibit\'s tokenizer',
  form: 'tokenizer.json',
  file: 'tokenizer.json',
  identity: '',
  configVocabSize: null,
  lineEncoderTables: tables,
});
const encoder = tokenizer.lineEncoder?.() ?? null;
const counter = encoder ?? encodeCounter(tokenizer);
const counts = new Uint32Array(vocabSize);
let total = 0;
let lines = 0;
port.on('message', (m: { chunk?: string; finish?: boolean; memo?: MemoSnapshot }) => {
  if (m.memo) {
    encoder?.remember(m.memo);
    return;
  }
  if (m.finish) {
    port.postMessage({ type: 'result', counts, total, lines }, [counts.buffer]);
    port.close();
    return;
  }
  const part = countChunk(counter, m.chunk!, includeSpecial, counts);
  total += part.total;
  lines += part.lines;
  port.postMessage({ type: 'done' });
});
port.postMessage({ type: 'ready' });

/** A worker thread of parallelCount.ts: builds the tokenizer from its exported files and counts the chunks it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { tokenizerFromJson } from './loadTokenizer.ts';
import { countChunk, lineCounter } from './parallelCount.ts';

const { files, vocabSize, includeSpecial } = workerData as {
  files: { 'tokenizer.json': string; 'tokenizer_config.json': string };
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
});
const encoder = lineCounter(tokenizer);
const counts = new Uint32Array(vocabSize);
let total = 0;
let lines = 0;
port.on('message', (m: { chunk?: string; finish?: boolean }) => {
  if (m.finish) {
    port.postMessage({ type: 'result', counts, total, lines }, [counts.buffer]);
    port.close();
    return;
  }
  const part = countChunk(encoder, m.chunk!, includeSpecial, counts);
  total += part.total;
  lines += part.lines;
  port.postMessage({ type: 'done' });
});
port.postMessage({ type: 'ready' });

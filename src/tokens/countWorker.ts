/** A worker thread of parallelCount.ts: loads the tokenizer from the same folder and counts the chunks it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { localFolderFiles } from '../sources/repoFiles.ts';
import { loadTokenizer } from './loadTokenizer.ts';
import { countChunk, lineCounter } from './parallelCount.ts';

const { folder, vocabSize, includeSpecial } = workerData as { folder: string; vocabSize: number; includeSpecial: boolean };
const port = parentPort!;
const encoder = lineCounter(await loadTokenizer(localFolderFiles(folder, folder)));
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

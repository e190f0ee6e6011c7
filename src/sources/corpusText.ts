/**
 * The text of an exhibit's corpus, from a dataset on the Hub, a URL or a local file, as lines.
 * Each source also gives a content identity, so counts are recomputed only when the text changes.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AsyncBuffer, parquetMetadataAsync } from 'hyparquet';
import type { CorpusRef } from '../config/types.ts';
import { TokenscapeError } from '../errors.ts';
import { startProgress } from '../hub/downloadProgress.ts';
import { networkSettings, type HubEnvironment } from '../hub/hubEnvironment.ts';
import { HubRepo } from '../hub/hubRepo.ts';
import { HttpStatusError, RangeNotSupportedError, transfer, TransferError } from '../hub/transfer.ts';
import { tempPathFor } from '../pipeline/workspace.ts';
import { splitLines } from '../tokens/countTokens.ts';
import { describeSplit, parseSplit, resolveSplitRows } from './datasetSplit.ts';

export interface CorpusText {
  label: string;
  /** Changes whenever the selected text changes. */
  identity: string;
  /** Documents: dataset rows, or the whole file as one document. */
  documents: string[];
  /** Extra facts for the manifest (resolved commit, rows, files). */
  details: Record<string, unknown>;
}

/** What a file that is not UTF-8 text most likely is, from its first bytes. */
function guessEncoding(bytes: Uint8Array): string | null {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return 'it starts with a UTF-16 byte order mark';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'it is gzip-compressed';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'it is a zip archive';
  return null;
}

const CONVERT_HINT = 'Convert the corpus to UTF-8 (e.g. iconv -f latin1 -t utf-8, or -f utf-16 for UTF-16).';

/**
 * Decodes UTF-8, naming the line and byte of the first invalid sequence. Text that decodes but is mostly
 * NUL characters is UTF-16 without a byte order mark, and is refused too: tokenizing it would count noise.
 */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  const guess = guessEncoding(bytes);
  if (guess) {
    throw new TokenscapeError(`${where} is not UTF-8 text: ${guess}.`, {
      file: where,
      hint: guess.includes('UTF-16') ? CONVERT_HINT : 'Decompress or extract the text first.',
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    let line = 1;
    let lineStart = 0;
    let i = 0;
    const lenient = new TextDecoder('utf-8', { fatal: true });
    // Walk code points until one does not decode.
    while (i < bytes.length) {
      const b = bytes[i];
      const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
      try {
        if (len === 0) throw new Error('continuation byte');
        if (i + len > bytes.length) throw new Error('truncated sequence');
        lenient.decode(bytes.subarray(i, i + len));
      } catch {
        const column = i - lineStart + 1;
        const atEnd = i + len > bytes.length && len > 0 ? ', a character cut off at the end of the file' : '';
        throw new TokenscapeError(
          `${where} is not valid UTF-8: byte ${i} (line ${line}, column ${column}) is 0x${b.toString(16).padStart(2, '0')}${atEnd}.`,
          { file: where, line, column, hint: CONVERT_HINT },
        );
      }
      if (b === 0x0a) {
        line++;
        lineStart = i + 1;
      }
      i += len;
    }
    throw new TokenscapeError(`${where} is not valid UTF-8.`, { file: where, hint: CONVERT_HINT });
  }
  const sample = text.slice(0, 65536);
  let nul = 0;
  for (let i = 0; i < sample.length; i++) if (sample.charCodeAt(i) === 0) nul++;
  if (sample.length >= 4 && nul * 4 >= sample.length) {
    throw new TokenscapeError(`${where} is not UTF-8 text: ${Math.round((100 * nul) / sample.length)}% of its first characters are NUL, as in UTF-16.`, {
      file: where,
      hint: CONVERT_HINT,
    });
  }
  return text;
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function requireText(text: string, where: string): void {
  if (text.trim().length === 0) {
    throw new TokenscapeError(`The corpus ${where} is empty.`, { file: where, hint: 'Point the exhibit at a text with some content, or use corpus: vocabulary.' });
  }
}

async function fileCorpus(path: string, display: string): Promise<CorpusText> {
  if (!existsSync(path)) {
    throw new TokenscapeError(`The corpus file ${display} does not exist (${path}).`, { file: path, hint: 'corpus: { file } is relative to the config file.' });
  }
  const bytes = await readFile(path);
  const text = decodeUtf8(bytes, path);
  requireText(text, path);
  return { label: display, identity: `file:${sha256(bytes)}`, documents: [text], details: { file: display } };
}

/**
 * Where a URL corpus is kept once downloaded: URLs are not content-addressed, so the first download is kept.
 * It is fetched with retries, stall detection and Range resume, into a temp name that a killed run leaves
 * for the next run to sweep.
 */
async function urlCorpus(url: string, env: HubEnvironment, cacheDir: string): Promise<CorpusText> {
  const folder = join(cacheDir, 'urls');
  const stored = join(folder, sha256(url));
  let bytes: Uint8Array;
  if (existsSync(stored)) {
    bytes = await readFile(stored);
  } else {
    if (env.offline) {
      throw new TokenscapeError(`HF_HUB_OFFLINE is set and the corpus ${url} has not been downloaded yet.`, { hint: 'Run once with network access.' });
    }
    const parsed = new URL(url);
    const source = env.urlMirror ? `${env.urlMirror}/${parsed.host}${parsed.pathname}${parsed.search}` : url;
    await mkdir(folder, { recursive: true });
    const temp = tempPathFor(stored);
    const handle = await open(temp, 'w');
    let progress: ReturnType<typeof startProgress> | null = null;
    let position = 0;
    try {
      await transfer(
        { url: source, start: 0, end: null, settings: networkSettings(env), onBytes: (n) => (progress ??= startProgress(url, 0)).update(n) },
        {
          async write(chunk) {
            await writeAll(handle, chunk, position);
            position += chunk.length;
          },
          async reset() {
            await handle.truncate(0);
            position = 0;
          },
        },
      );
      await handle.close();
      (progress as ReturnType<typeof startProgress> | null)?.done();
      await rename(temp, stored);
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(temp, { force: true });
      if (error instanceof HttpStatusError) {
        throw new TokenscapeError(`Downloading the corpus ${url} failed with HTTP ${error.status}.`, { hint: 'Check the URL in the config.' });
      }
      const why = error instanceof TransferError || error instanceof RangeNotSupportedError ? error.message : (error as Error).message;
      throw new TokenscapeError(`Could not download the corpus ${url}: ${why}.`, { hint: 'Check the URL and the network, then run the build again.' });
    }
    bytes = await readFile(stored);
  }
  const text = decodeUtf8(bytes, url);
  requireText(text, url);
  return { label: url, identity: `url:${sha256(bytes)}`, documents: [text], details: { url } };
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done, position + done)).bytesWritten;
}

/** The parquet files of one config/split, in the layouts the Hub uses. */
function splitParquetFiles(files: string[], config: string | null, split: string): string[] {
  const escaped = split.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const prefixes = config ? [`${config}/`, `data/${config}/`] : ['data/', ''];
  for (const prefix of prefixes) {
    const p = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const patterns = [new RegExp(`^${p}${escaped}-[^/]*\\.parquet$`), new RegExp(`^${p}${escaped}/[^/]*\\.parquet$`)];
    for (const pattern of patterns) {
      const found = files.filter((f) => pattern.test(f)).sort();
      if (found.length) return found;
    }
  }
  return [];
}

/** A parquet file as hyparquet reads it; a read past the end is an error, not zeros. */
async function fileBuffer(path: string): Promise<{ buffer: AsyncBuffer; close: () => Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    buffer: {
      byteLength: size,
      async slice(start: number, end?: number) {
        const stop = Math.min(end ?? size, size);
        if (start < 0 || start > stop) throw new Error(`read of bytes ${start}-${end} outside the file (${size} bytes)`);
        const out = new Uint8Array(stop - start);
        const { bytesRead } = await handle.read(out, 0, out.length, start);
        if (bytesRead !== out.length) throw new Error(`the file ended at byte ${start + bytesRead}`);
        return out.buffer;
      },
    },
    close: () => handle.close(),
  };
}

async function datasetCorpus(ref: Extract<CorpusRef, { kind: 'dataset' }>, env: HubEnvironment): Promise<CorpusText> {
  const spec = parseSplit(ref.split);
  if (!spec) throw new TokenscapeError(`"${ref.split}" is not a split.`, { field: 'corpus.split' });
  let repo = await HubRepo.open(env, 'dataset', ref.dataset, ref.revision);
  const listed = repo.files;
  let parquet = splitParquetFiles(listed, ref.config, spec.name);
  if (parquet.length === 0 && !env.offline) {
    // Datasets without parquet files in main have a parquet conversion on this branch.
    try {
      const converted = await HubRepo.open(env, 'dataset', ref.dataset, 'refs/convert/parquet');
      const found = splitParquetFiles(converted.files, ref.config ?? 'default', spec.name);
      if (found.length) {
        repo = converted;
        parquet = found;
      }
    } catch {
      // No conversion branch: report what main has below.
    }
  }
  if (parquet.length === 0) {
    const configs = [...new Set(listed.filter((f) => f.endsWith('.parquet')).map((f) => f.split('/').slice(0, -1).join('/') || '(root)'))];
    throw new TokenscapeError(
      `dataset ${ref.dataset} has no parquet files for ${ref.config ? `config "${ref.config}", ` : ''}split "${spec.name}".`,
      { field: 'corpus', hint: configs.length ? `Parquet folders in the repo: ${configs.join(', ')}.` : 'Tokenscape reads datasets stored as parquet (most Hub datasets are, or have a parquet conversion).' },
    );
  }

  const local = [];
  for (const f of parquet) local.push({ path: await repo.fetchFile(f), name: f, etag: (await repo.fileInfo(f)).etag });
  const shards: { buffer: AsyncBuffer; metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>; rows: number; first: number; path: string; name: string }[] = [];
  const handles: (() => Promise<void>)[] = [];
  let numRows = 0;
  const documents: string[] = [];
  let start = 0;
  let end = 0;
  const unreadable = (f: { name: string; path: string }, error: unknown) =>
    new TokenscapeError(`${ref.dataset}/${f.name} is not a readable parquet file (${(error as Error)?.message ?? error}).`, {
      file: f.path,
      hint: 'The file in the dataset repository is damaged; pick another revision or report it to the dataset authors.',
    });
  try {
    for (const f of local) {
      const { buffer, close } = await fileBuffer(f.path);
      handles.push(close);
      let metadata;
      try {
        // hyparquet is loaded only for dataset corpora, not at start-up.
        const { parquetMetadataAsync } = await import('hyparquet');
        metadata = await parquetMetadataAsync(buffer);
      } catch (error) {
        throw unreadable(f, error);
      }
      const columns = metadata.schema.slice(1).map((s) => s.name);
      if (!columns.includes(ref.column)) {
        throw new TokenscapeError(`dataset ${ref.dataset} has no column "${ref.column}".`, { field: 'corpus.column', hint: `Its columns: ${columns.join(', ')}.` });
      }
      const rows = Number(metadata.num_rows);
      if (!Number.isSafeInteger(rows) || rows < 0) throw unreadable(f, new Error(`it claims ${metadata.num_rows} rows`));
      shards.push({ buffer, metadata, rows, first: numRows, path: f.path, name: f.name });
      numRows += rows;
    }
    ({ start, end } = resolveSplitRows(spec, numRows));
    for (const shard of shards) {
      const rowStart = Math.max(start - shard.first, 0);
      const rowEnd = Math.min(end - shard.first, shard.rows);
      if (rowEnd <= rowStart) continue;
      let rows;
      try {
        const { parquetReadObjects } = await import('hyparquet');
        rows = await parquetReadObjects({ file: shard.buffer, metadata: shard.metadata, columns: [ref.column], rowStart, rowEnd });
      } catch (error) {
        throw unreadable(shard, error);
      }
      for (const row of rows) {
        const value = row[ref.column];
        if (value !== null && value !== undefined) documents.push(typeof value === 'string' ? value : String(value));
      }
    }
  } finally {
    for (const close of handles) await close().catch(() => {});
  }
  // Checked per document: joining a large split only to look at it would double its memory.
  if (!documents.some((d) => d.trim().length > 0)) requireText('', `${ref.dataset} ${describeSplit(spec)}`);
  const label = `${ref.dataset}${ref.config ? ` (${ref.config})` : ''} ${describeSplit(spec)}`;
  return {
    label,
    identity: `dataset:${sha256(JSON.stringify([local.map((f) => f.etag), start, end, ref.column]))}`,
    documents,
    details: { dataset: ref.dataset, config: ref.config, split: describeSplit(spec), column: ref.column, commit: repo.commit, rows: end - start, totalRows: numRows },
  };
}

export async function loadCorpusText(ref: Exclude<CorpusRef, { kind: 'vocabulary' }>, env: HubEnvironment, cacheDir: string): Promise<CorpusText> {
  switch (ref.kind) {
    case 'file':
      return fileCorpus(ref.path, ref.display);
    case 'url':
      return urlCorpus(ref.url, env, cacheDir);
    case 'dataset':
      return datasetCorpus(ref, env);
  }
}

/** All lines of all documents. */
export function* corpusLines(corpus: CorpusText): Generator<string> {
  for (const doc of corpus.documents) yield* splitLines(doc);
}


/**
 * The text of an exhibit's corpus, from a dataset on the Hub, a URL or a local file, as lines.
 * Each source also gives a content identity, so counts are recomputed only when the text changes.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import type { CorpusRef } from '../config/types.ts';
import { TokenscapeError } from '../errors.ts';
import { startProgress } from '../hub/downloadProgress.ts';
import type { HubEnvironment } from '../hub/hubEnvironment.ts';
import { HubRepo } from '../hub/hubRepo.ts';
import { createRetryingFetch } from '../hub/retryingFetch.ts';
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

/** Decodes UTF-8, naming the line and byte of the first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
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
        lenient.decode(bytes.subarray(i, i + len));
      } catch {
        throw new TokenscapeError(
          `${where} is not valid UTF-8: byte ${i} (line ${line}, column ${i - lineStart + 1}) is 0x${b.toString(16).padStart(2, '0')}.`,
          { file: where, line, column: i - lineStart + 1, hint: 'Convert the corpus to UTF-8 (e.g. iconv -f latin1 -t utf-8).' },
        );
      }
      if (b === 0x0a) {
        line++;
        lineStart = i + 1;
      }
      i += len;
    }
    throw new TokenscapeError(`${where} is not valid UTF-8.`, { file: where });
  }
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

/** Where a URL corpus is kept once downloaded: URLs are not content-addressed, so the first download is kept. */
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
    let response: Response;
    try {
      response = await createRetryingFetch()(source);
    } catch (error) {
      throw new TokenscapeError(`Could not download the corpus ${url}: ${(error as Error).message}.`, { hint: 'Check the URL and the network.' });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new TokenscapeError(`Downloading the corpus ${url} failed with HTTP ${response.status}.`, { hint: 'Check the URL in the config.' });
    }
    const progress = startProgress(url, Number(response.headers.get('content-length') ?? 0));
    const chunks: Uint8Array[] = [];
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      progress.update(chunk.length);
    }
    progress.done();
    bytes = Buffer.concat(chunks);
    await mkdir(folder, { recursive: true });
    const temp = `${stored}.${process.pid}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, stored);
  }
  const text = decodeUtf8(bytes, url);
  requireText(text, url);
  return { label: url, identity: `url:${sha256(bytes)}`, documents: [text], details: { url } };
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

function fileBuffer(path: string): Promise<AsyncBuffer> {
  return open(path, 'r').then(async (handle) => {
    const { size } = await handle.stat();
    return {
      byteLength: size,
      async slice(start: number, end?: number) {
        const length = (end ?? size) - start;
        const out = new Uint8Array(length);
        await handle.read(out, 0, length, start);
        return out.buffer;
      },
    };
  });
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
  const shards = [];
  let numRows = 0;
  for (const f of local) {
    const buffer = await fileBuffer(f.path);
    let metadata;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch (error) {
      throw new TokenscapeError(`${ref.dataset}/${f.name} is not a readable parquet file (${(error as Error).message}).`, { file: f.path });
    }
    const columns = metadata.schema.slice(1).map((s) => s.name);
    if (!columns.includes(ref.column)) {
      throw new TokenscapeError(`dataset ${ref.dataset} has no column "${ref.column}".`, { field: 'corpus.column', hint: `Its columns: ${columns.join(', ')}.` });
    }
    shards.push({ buffer, metadata, rows: Number(metadata.num_rows), first: numRows });
    numRows += Number(metadata.num_rows);
  }
  const { start, end } = resolveSplitRows(spec, numRows);
  const documents: string[] = [];
  for (const shard of shards) {
    const rowStart = Math.max(start - shard.first, 0);
    const rowEnd = Math.min(end - shard.first, shard.rows);
    if (rowEnd <= rowStart) continue;
    const rows = await parquetReadObjects({ file: shard.buffer, metadata: shard.metadata, columns: [ref.column], rowStart, rowEnd });
    for (const row of rows) {
      const value = row[ref.column];
      if (value !== null && value !== undefined) documents.push(typeof value === 'string' ? value : String(value));
    }
  }
  requireText(documents.join(''), `${ref.dataset} ${describeSplit(spec)}`);
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


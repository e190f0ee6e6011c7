/**
 * The neighbours stage: each point's k nearest tokens of the whole vocabulary (nearestNeighbors.ts),
 * cached by the embedding's content address, k, the method and the points, so a rerun recomputes
 * nothing; then turned into neighbors.bin's references (a point on the map, or an "extra" token).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NeighborsInput } from '../artifact/writeNeighbors.ts';
import type { ModelContext } from '../pipeline/modelContext.ts';
import { hashKey, produceAtomically, type Workspace } from '../pipeline/workspace.ts';
import { describeTokens } from '../tokens/describeTokens.ts';
import { DEFAULT_CANDIDATES, NEIGHBOR_METHOD, NEIGHBOR_METHOD_VERSION, nearestNeighbors } from './nearestNeighbors.ts';

export interface ExhibitNeighborResult {
  /** points·k neighbour token ids and exact cosines, nearest first. */
  ids: Uint32Array;
  similarities: Float32Array;
  k: number;
  searchedRows: number;
  method: string;
  key: string;
  /** neighbors.bin's content. */
  encoded: NeighborsInput;
}

/** The rows a neighbour can be: every vocabulary entry the embedding has a row for, plus the points. */
function searchRows(model: ModelContext, points: Uint32Array): Uint32Array {
  const limit = Math.min(model.tokenizer.vocabSize, model.rows);
  const rows = new Set<number>(points);
  for (let id = 0; id < limit; id++) if (model.tokenizer.pieces[id] !== '' || id === 0) rows.add(id);
  return Uint32Array.from([...rows].sort((a, b) => a - b));
}

export async function exhibitNeighbors(model: ModelContext, points: Uint32Array, k: number, workspace: Workspace, log?: (line: string) => void): Promise<ExhibitNeighborResult> {
  const search = searchRows(model, points);
  const kk = Math.min(k, search.length - 1);
  const key = hashKey('neighbors', NEIGHBOR_METHOD_VERSION, DEFAULT_CANDIDATES, model.embeddingKey, hashKey(Array.from(search)), hashKey(Array.from(points)), kk);
  const path = join(workspace.cacheDir, 'neighbors', `${key}.bin`);
  const n = points.length;
  await produceAtomically(path, async (temp) => {
    const started = performance.now();
    const result = await nearestNeighbors(model.embedding, search, points, { k: kk, log });
    log?.(`  ${kk} nearest of ${search.length} tokens for ${n} points in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const bytes = new Uint8Array(n * kk * 8);
    bytes.set(new Uint8Array(result.ids.buffer, result.ids.byteOffset, n * kk * 4), 0);
    bytes.set(new Uint8Array(result.similarities.buffer, result.similarities.byteOffset, n * kk * 4), n * kk * 4);
    await writeFile(temp, bytes);
  });
  let raw = existsSync(path) ? new Uint8Array(await readFile(path)) : new Uint8Array(0);
  if (raw.length !== n * kk * 8) throw new Error(`The cached neighbours ${path} have the wrong size; delete the file and run again.`);
  raw = raw.slice();
  const ids = new Uint32Array(raw.buffer, 0, n * kk);
  const similarities = new Float32Array(raw.buffer, n * kk * 4, n * kk);

  // References: a point of this map, or an entry of the extra-token table (ids ascending).
  const pointIndex = new Map<number, number>();
  points.forEach((id, i) => pointIndex.set(id, i));
  const extraIds = [...new Set(Array.from(ids).filter((id) => !pointIndex.has(id)))].sort((a, b) => a - b);
  const extraIndex = new Map<number, number>();
  extraIds.forEach((id, j) => extraIndex.set(id, n + j));
  const refs = Uint32Array.from(ids, (id) => pointIndex.get(id) ?? extraIndex.get(id)!);
  const extra = describeTokens(model.tokenizer, extraIds);
  return {
    ids,
    similarities,
    k: kk,
    searchedRows: search.length,
    method: NEIGHBOR_METHOD,
    key,
    encoded: {
      k: kk,
      count: n,
      refs,
      similarities,
      extra: {
        ids: Uint32Array.from(extraIds),
        texts: extra.map((d) => d.text),
        pieces: extra.map((d) => d.piece),
        special: extra.map((d) => d.special),
        byteToken: extra.map((d) => d.byteToken),
      },
    },
  };
}

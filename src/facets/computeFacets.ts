/**
 * The facets stage: per point of an exhibit, the facets of facets.bin (docs/format.md). Norms and the
 * under-trained indicator need the whole vocabulary (the 2% cut is over all ordinary tokens), so they
 * are computed once per model and cached by the embedding's content address.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ExhibitManifest, UndertrainedMethod } from '../artifact/manifest.ts';
import type { ModelContext } from '../pipeline/modelContext.ts';
import { cachedJson, hashKey, type Workspace } from '../pipeline/workspace.ts';
import type { TokenDescription } from '../tokens/describeTokens.ts';
import { tokenKind } from '../tokens/describeTokens.ts';
import { WordStart, type ExhibitFacets } from './facetTypes.ts';
import { blockRowStatistics } from './normKernels.ts';
import { partOfSpeech, posIndex } from './partOfSpeech.ts';
import { embeddingsAreTied } from './tiedEmbeddings.ts';
import { scriptIndex, scriptOf } from './tokenScript.ts';
import { undertrainedCandidates, unusedTokenIds } from './undertrained.ts';
import { detectWordStartMarker, wordStartOf } from './wordStart.ts';

export const FACETS_VERSION = 1;

export interface VocabularyFacets {
  method: UndertrainedMethod;
  norms: Float32Array;
  scores: Float32Array;
  flags: Uint8Array;
}

/** Sums of squares of some rows, already computed (by the PCA's first pass): `squares[i]` is row `ids[i]`'s. */
export interface KnownRowSquares {
  ids: Uint32Array;
  squares: Float64Array;
}

/**
 * L2 norm of every row and, when `mean` is given, each row's cosine similarity to it. Rows whose sums of
 * squares are `known` are not read again (a full-vocabulary exhibit: none are).
 */
async function rowNorms(model: ModelContext, mean: Float64Array | null, known?: KnownRowSquares): Promise<{ norms: Float64Array; cosines: Float64Array | null }> {
  const dims = model.cols;
  const norms = new Float64Array(model.rows).fill(NaN);
  const cosines = mean ? new Float64Array(model.rows) : null;
  let meanNorm = 0;
  if (mean) for (let c = 0; c < dims; c++) meanNorm += mean[c] * mean[c];
  meanNorm = Math.sqrt(meanNorm);
  if (known && !mean) known.ids.forEach((id, i) => id < model.rows && (norms[id] = Math.sqrt(known.squares[i])));
  const toRead = Uint32Array.from({ length: model.rows }, (_, i) => i).filter((id) => Number.isNaN(norms[id]));
  if (toRead.length === 0) return { norms, cosines };
  const meanTensor = mean ? new ort.Tensor('float32', Float32Array.from(mean), [dims, 1]) : null;
  const blocks = await model.embedding.rowBlocks(toRead, 0);
  await blocks.forEachBlock(async (block, first, count) => {
    const { squares, dots } = await blockRowStatistics(block, count, dims, meanTensor);
    for (let r = 0; r < count; r++) {
      const id = toRead[first + r];
      const norm = Math.sqrt(squares[r]);
      norms[id] = norm;
      if (cosines && dots) cosines[id] = norm > 0 && meanNorm > 0 ? dots[r] / (norm * meanNorm) : 0;
    }
  });
  return { norms, cosines };
}

export async function vocabularyFacets(model: ModelContext, workspace: Workspace, known?: KnownRowSquares): Promise<VocabularyFacets & { key: string }> {
  const tied = await embeddingsAreTied(model.files);
  const key = hashKey('facets-vocabulary', FACETS_VERSION, model.embeddingKey, model.tokenizer.identity, tied);
  const stored = await cachedJson(join(workspace.cacheDir, 'facets', `${key}.json`), async () => {
    const unused = unusedTokenIds(model.tokenizer.pieces).filter((id) => id < model.rows);
    let mean: Float64Array | null = null;
    if (tied && unused.length > 0) {
      const x = await model.embedding.readRows(Uint32Array.from(unused));
      mean = new Float64Array(model.cols);
      for (let r = 0; r < unused.length; r++) for (let c = 0; c < model.cols; c++) mean[c] += x[r * model.cols + c] / unused.length;
    }
    const { norms, cosines } = await rowNorms(model, mean, known);
    const ordinary = Array.from({ length: model.rows }, (_, id) => {
      const kind = tokenKind(model.tokenizer, id);
      return !kind.special && !kind.byteToken && model.tokenizer.pieces[id] !== '';
    });
    const result = undertrainedCandidates(norms, ordinary, tied, unused, cosines);
    return { method: result.method, norms: Array.from(Float32Array.from(norms)), scores: Array.from(result.scores), flags: Array.from(result.flags) };
  });
  return {
    method: stored.method,
    norms: Float32Array.from(stored.norms),
    scores: Float32Array.from(stored.scores),
    flags: Uint8Array.from(stored.flags),
    key,
  };
}

/** Facets of the points `ids` (described as in points.bin). */
export function pointFacets(ids: Uint32Array, described: TokenDescription[], pieces: readonly string[], vocabulary: VocabularyFacets): { facets: ExhibitFacets; info: NonNullable<ExhibitManifest['facets']> } {
  const n = ids.length;
  const marker = detectWordStartMarker(pieces);
  const facets: ExhibitFacets = {
    count: n,
    length: new Uint16Array(n),
    script: new Uint8Array(n),
    wordStart: new Uint8Array(n),
    norm: new Float32Array(n),
    undertrainedScore: new Float32Array(n),
    undertrained: new Uint8Array(n),
    pos: new Uint8Array(n),
  };
  let undertrainedCount = 0;
  for (let i = 0; i < n; i++) {
    const d = described[i];
    const id = ids[i];
    facets.length[i] = Math.min(65535, [...d.text].length);
    facets.script[i] = scriptIndex(scriptOf(d.text));
    const start = wordStartOf(d.piece, marker, d.special, d.byteToken);
    facets.wordStart[i] = start;
    facets.norm[i] = vocabulary.norms[id];
    facets.undertrainedScore[i] = vocabulary.scores[id];
    facets.undertrained[i] = vocabulary.flags[id];
    undertrainedCount += vocabulary.flags[id];
    // A whole word: not a continuation piece (and not a special or byte token).
    const whole = !d.special && !d.byteToken && start !== WordStart.continuation;
    facets.pos[i] = posIndex(whole ? partOfSpeech(d.text.trim()) : 'other');
  }
  return { facets, info: { wordStartMarker: marker, undertrainedMethod: vocabulary.method, undertrainedCount } };
}

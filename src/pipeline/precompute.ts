/**
 * config → model files → token counts → embedding rows → PCA → exhibit files.
 * Each stage's result is cached by a hash of its inputs, so an unchanged exhibit costs nothing.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { EXHIBIT_FORMAT_VERSION } from '../artifact/format.ts';
import { CSV_FILE, GALLERY_FILE, POINTS_FILE, type ExhibitManifest, type GalleryIndex } from '../artifact/manifest.ts';
import { encodeExhibit } from '../artifact/writeExhibit.ts';
import type { ExhibitConfig, GalleryConfig } from '../config/types.ts';
import { TokenscapeError } from '../errors.ts';
import type { HubEnvironment } from '../hub/hubEnvironment.ts';
import { fitPca, projectRows, type PcaModel } from '../projection/pca.ts';
import { loadCorpusText } from '../sources/corpusText.ts';
import { countTokensParallel } from '../tokens/parallelCount.ts';
import { describeTokens } from '../tokens/describeTokens.ts';
import { pointsCsv, readExistingExhibit, writeExhibitFolder } from './exhibitFiles.ts';
import { openModel, type ModelContext, type OpenedModel } from './modelContext.ts';
import { countingLines, progress, trackPasses } from './progress.ts';
import { extrasKeyParts, exhibitExtras, startTokenizerCheck } from './exhibitExtras.ts';
import { axisEnds } from '../projection/axisEnds.ts';
import { TEMP_MARK, cachedJson, hashKey, sweepPartials, writeFileAtomic, type Workspace } from './workspace.ts';

/** Bump when the meaning of the outputs changes, so old caches are not trusted. */
const PIPELINE_VERSION = 1;

export interface PrecomputeOptions {
  config: GalleryConfig;
  env: HubEnvironment;
  workspace: Workspace;
  log?: (line: string) => void;
}

export interface ExhibitOutcome {
  id: string;
  status: 'built' | 'up to date';
  seconds: number;
  manifest: ExhibitManifest;
}

interface CountsResult {
  ids: Uint32Array;
  counts: Uint32Array;
  total: number;
  unique: number;
  lines: number;
  corpusLabel: string;
  details: Record<string, unknown>;
  key: string;
}

async function corpusCounts(exhibit: ExhibitConfig, model: ModelContext, options: PrecomputeOptions): Promise<CountsResult> {
  const vocabSize = Math.min(model.tokenizer.vocabSize, model.rows);
  if (exhibit.corpus.kind === 'vocabulary') {
    const ids: number[] = [];
    for (let id = 0; id < vocabSize; id++) if (model.tokenizer.pieces[id] !== '' || id === 0) ids.push(id);
    return {
      ids: Uint32Array.from(ids),
      counts: new Uint32Array(ids.length),
      total: 0,
      unique: 0,
      lines: 0,
      corpusLabel: 'the full vocabulary',
      details: {},
      key: 'vocabulary',
    };
  }
  const corpus = await loadCorpusText(exhibit.corpus, options.env, options.workspace.cacheDir);
  const key = hashKey('counts-v1', corpus.identity, model.tokenizer.identity, exhibit.includeSpecial);
  const stored = await cachedJson(join(options.workspace.cacheDir, 'counts', `${key}.json`), async () => {
    const started = performance.now();
    const stage = progress().stage('tokenizing', { total: corpus.documents.reduce((n, d) => n + d.length + 1, 0), unit: 'chars' });
    const result = await countTokensParallel(model.tokenizer, corpus.documents, exhibit.includeSpecial, model.tokenizer.vocabSize, { progress: stage });
    stage.done();
    const ids: number[] = [];
    const counts: number[] = [];
    for (let id = 0; id < Math.min(result.counts.length, model.rows); id++) {
      if (result.counts[id] > 0) {
        ids.push(id);
        counts.push(result.counts[id]);
      }
    }
    options.log?.(`  tokenized ${result.lines} lines: ${result.total} tokens, ${result.unique} distinct (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return { ids, counts, total: result.total, unique: result.unique, lines: result.lines };
  });
  return {
    ids: Uint32Array.from(stored.ids),
    counts: Uint32Array.from(stored.counts),
    total: stored.total,
    unique: stored.unique,
    lines: stored.lines,
    corpusLabel: corpus.label,
    details: corpus.details,
    key,
  };
}

function serialisePca(model: PcaModel) {
  return { ...model, mean: Array.from(model.mean), components: Array.from(model.components) };
}
function deserialisePca(stored: ReturnType<typeof serialisePca>): PcaModel {
  return { ...stored, mean: Float64Array.from(stored.mean), components: Float64Array.from(stored.components) };
}

/**
 * Memory PCA may hold rows in (EmbeddingFile.rowBlocks): float32 when that takes at most half of it, else the
 * stored 16-bit values (a 262k × 2304 or 128k × 4096 BF16 vocabulary: 1.1–1.2 GB), else rows are streamed from
 * the cached slice on every pass.
 */
const PCA_MEMORY_BYTES = Number(process.env.TOKENSCAPE_PCA_MEMORY_MB ?? 1536) * 1024 * 1024;

/** Coordinates of the exhibit's rows, fitted on those rows or on the whole vocabulary. */
async function project(exhibit: ExhibitConfig, model: ModelContext, ids: Uint32Array, options: PrecomputeOptions) {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  if (exhibit.projection.fit === 'corpus') {
    const fit = await fitPca(trackPasses(await model.embedding.rowBlocks(ids, PCA_MEMORY_BYTES), 'PCA'));
    options.log?.(`  PCA of ${ids.length} × ${model.cols} in ${seconds()} s (${fit.model.iterations} iterations)`);
    return { positions: fit.scores, pca: fit.model, rowSquares: { ids, squares: fit.rowSquares } };
  }
  const key = hashKey('pca-vocabulary-v1', model.embeddingKey);
  const stored = await cachedJson(join(options.workspace.cacheDir, 'pca', `${key}.json`), async () => {
    const all = Uint32Array.from({ length: model.rows }, (_, i) => i);
    const fit = await fitPca(trackPasses(await model.embedding.rowBlocks(all, PCA_MEMORY_BYTES), 'PCA of the vocabulary'));
    options.log?.(`  PCA of the whole vocabulary (${model.rows} × ${model.cols}) in ${seconds()} s`);
    return serialisePca(fit.model);
  });
  const pca = deserialisePca(stored);
  return { positions: projectRows(await model.embedding.readRows(ids), ids.length, pca), pca };
}

async function buildExhibit(exhibit: ExhibitConfig, model: ModelContext, options: PrecomputeOptions, galleryTitle: string): Promise<ExhibitOutcome> {
  const started = performance.now();
  const { workspace } = options;
  const counts = await corpusCounts(exhibit, model, options);
  const modelInfo: ExhibitManifest['model'] = {
    id: model.files.label,
    source: model.files.source,
    revision: model.files.revision,
    commit: model.files.commit,
    tensor: model.tensor.name,
    tensorRole: model.tensor.role,
    tied: model.tensor.tied,
    dtype: model.tensor.storedDtype,
    vocabSize: model.rows,
    hiddenSize: model.cols,
  };
  const cacheKey = hashKey('exhibit', PIPELINE_VERSION, EXHIBIT_FORMAT_VERSION, exhibit.id, exhibit.title, exhibit.description, exhibit.projection,
    exhibit.color, exhibit.includeSpecial, model.embeddingKey, model.tokenizer.identity, counts.key, modelInfo, counts.details, galleryTitle,
    exhibit.neighbors, await extrasKeyParts(model));
  const existing = await readExistingExhibit(workspace.exhibitsDir, exhibit.id);
  if (existing?.cacheKey === cacheKey) {
    return { id: exhibit.id, status: 'up to date', seconds: (performance.now() - started) / 1000, manifest: existing };
  }

  // The browser-tokenizer check in a worker thread, on the other core, beside the PCA and facets.
  if (availableParallelism() > 1) startTokenizerCheck(model.tokenizer);
  const { positions, pca, rowSquares } = await project(exhibit, model, counts.ids, options);
  const described = describeTokens(model.tokenizer, counts.ids);
  const texts = described.map((d) => d.text);
  const pieces = described.map((d) => d.piece);
  const points = encodeExhibit({
    ids: counts.ids,
    positions,
    counts: counts.counts,
    texts,
    pieces,
    special: described.map((d) => d.special),
    byteToken: described.map((d) => d.byteToken),
  });
  const extras = await exhibitExtras(exhibit, model, counts.ids, described, workspace, options.log, rowSquares);
  const csvStage = progress().stage('writing points.csv', { total: counts.ids.length, unit: 'rows' });
  const csv = pointsCsv(counts.ids, texts, pieces, counts.counts, positions, extras.csv, csvStage);
  csvStage.done();
  const corpus = exhibit.corpus;
  const manifest: ExhibitManifest = {
    formatVersion: EXHIBIT_FORMAT_VERSION,
    id: exhibit.id,
    title: exhibit.title,
    ...(exhibit.description ? { description: exhibit.description } : {}),
    model: modelInfo,
    corpus: {
      kind: corpus.kind,
      label: counts.corpusLabel,
      ...(corpus.kind === 'dataset' ? { dataset: corpus.dataset, config: corpus.config, split: corpus.split, column: corpus.column } : {}),
      ...(corpus.kind === 'url' ? { url: corpus.url } : {}),
      ...(corpus.kind === 'file' ? { file: corpus.display } : {}),
      ...(corpus.kind !== 'vocabulary' ? { rows: counts.lines } : {}),
      ...counts.details,
    } as ExhibitManifest['corpus'],
    tokens: { total: counts.total, unique: counts.unique, shown: counts.ids.length, includeSpecial: exhibit.includeSpecial },
    projection: {
      method: 'pca',
      fit: exhibit.projection.fit,
      fitRows: pca.fitRows,
      explainedVarianceRatio: pca.explainedVarianceRatio,
      axisEnds: axisEnds(counts.ids, positions),
    },
    color: exhibit.color,
    ...(extras.neighbors ? { neighbors: extras.neighbors } : {}),
    facets: extras.facets,
    files: { points: POINTS_FILE, csv: CSV_FILE, pointsBytes: points.length, csvBytes: Buffer.byteLength(csv), ...extras.manifestFiles },
    cacheKey,
  };
  await writeExhibitFolder(workspace.exhibitsDir, exhibit.id, { points, csv, manifest, more: extras.files });
  return { id: exhibit.id, status: 'built', seconds: (performance.now() - started) / 1000, manifest };
}

/** Removes folders of exhibits no longer in the config, so they are not published. */
async function removeDroppedExhibits(exhibitsDir: string, keep: Set<string>, log?: (line: string) => void): Promise<void> {
  for (const entry of await readdir(exhibitsDir, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.includes(TEMP_MARK) && !keep.has(entry.name)) {
      log?.(`removing ${entry.name}/ (no longer in the config)`);
      await rm(join(exhibitsDir, entry.name), { recursive: true, force: true });
    }
  }
}

export async function precompute(options: PrecomputeOptions): Promise<ExhibitOutcome[]> {
  const { config, workspace, log } = options;
  await mkdir(workspace.exhibitsDir, { recursive: true });
  await sweepPartials(workspace.exhibitsDir);
  await sweepPartials(workspace.cacheDir);
  await removeDroppedExhibits(workspace.exhibitsDir, new Set(config.exhibits.map((e) => e.id)), log);
  const models = new Map<string, Promise<OpenedModel>>();
  const outcomes: ExhibitOutcome[] = [];
  for (const exhibit of config.exhibits) {
    log?.(`▶ ${exhibit.id}: ${exhibit.title}`);
    try {
      const modelKey = JSON.stringify(exhibit.model);
      if (!models.has(modelKey)) models.set(modelKey, openModel(exhibit.model, options.env, workspace));
      const model = await (await models.get(modelKey)!).matrix(exhibit.tensor);
      const outcome = await buildExhibit(exhibit, model, options, config.title);
      log?.(`  ${outcome.status}: ${outcome.manifest.tokens.shown} points (${outcome.seconds.toFixed(1)} s)`);
      outcomes.push(outcome);
    } catch (error) {
      const wrapped = error instanceof TokenscapeError ? error : new TokenscapeError((error as Error)?.message ?? String(error), {}, { cause: error });
      throw wrapped.withContext({ exhibit: exhibit.id, file: wrapped.context.file ?? `${config.file}:${exhibit.line}` });
    }
  }
  const gallery: GalleryIndex = { title: config.title, exhibits: outcomes.map((o) => o.manifest) };
  await writeFileAtomic(join(workspace.exhibitsDir, GALLERY_FILE), `${JSON.stringify({ ...gallery, ...(config.description ? { description: config.description } : {}) }, null, 2)}\n`);
  return outcomes;
}

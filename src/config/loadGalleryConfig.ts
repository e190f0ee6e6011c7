import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { TokenscapeError } from '../errors.ts';
import { describeSplit, parseSplit, SPLIT_FORMS } from '../sources/datasetSplit.ts';
import type { CorpusRef, ExhibitConfig, GalleryConfig, ModelRef, TokenizerRef } from './types.ts';

export const DEFAULT_CONFIG_FILE = 'gallery.config.yaml';

const DOCS_HINT = `${DEFAULT_CONFIG_FILE} in the Tokenscape repository lists every key with a comment.`;

/** Where the gallery config is: $GALLERY_CONFIG (relative to cwd) or ./gallery.config.yaml. */
export function galleryConfigPath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return resolve(cwd, env.GALLERY_CONFIG || DEFAULT_CONFIG_FILE);
}

export async function loadGalleryConfig(path: string): Promise<GalleryConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new TokenscapeError(`Gallery config not found: ${file}`, {
        file,
        hint: `Create it (the repository's ${DEFAULT_CONFIG_FILE} is an example) or set GALLERY_CONFIG to the path of your config file.`,
      });
    }
    throw new TokenscapeError(`Cannot read the gallery config ${file}: ${(cause as Error).message}`, {
      file,
      hint: 'Check that the path names a readable file, or set GALLERY_CONFIG to the right one.',
    }, { cause });
  }
  return parseGalleryConfig(text, file);
}

// ---------------------------------------------------------------------------------------------
// Schema. Messages name the problem only; what is allowed comes from ALLOWED, by key, so every
// error about a key says the same thing about what it accepts.

const MODEL_FORMS =
  'a Hugging Face model id like meta-llama/Llama-2-7b-hf, { hub: <id>, revision: <branch|tag|commit> }, { path: <local folder> }, ' +
  '{ gguf: <local .gguf file> }, { hub: <id>, file: <name.gguf>, revision: <rev> } or { llama2c: <model.bin>, tokenizer: <tokenizer.bin> }, ' +
  'each optionally with tokenizer: <id | ./folder>';
const TOKENIZER_FORMS = 'a Hugging Face model id whose tokenizer to use (e.g. meta-llama/Llama-2-7b-hf), a local tokenizer folder (./folder) or, for llama2c, a tokenizer.bin file (./tokenizer.bin)';
const CORPUS_FORMS = 'vocabulary, { dataset: <id>, config: <name>, split: <split>, column: <name>, revision: <rev> }, { url: <http(s) URL> } or { file: <path> }';

export const DEFAULT_NEIGHBORS = 10;
export const MAX_NEIGHBORS = 100;

const ALLOWED: Record<string, string> = {
  title: 'a non-empty string',
  description: 'a string (markdown)',
  defaults: 'a mapping of projection, color, include_special, neighbors',
  exhibits: 'a list of exhibits, each a mapping with id, title, model, corpus',
  exhibit: 'a mapping with id, title, model, corpus and optionally description, tensor, projection, color, include_special, neighbors',
  id: 'lowercase letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters, e.g. llama2-wikitext',
  model: MODEL_FORMS,
  hub: 'a Hugging Face model id, e.g. meta-llama/Llama-2-7b-hf',
  revision: 'a branch, tag or commit of the Hugging Face repository, e.g. main',
  path: 'a folder holding the model in Hugging Face layout, relative to the config file',
  gguf: 'a local .gguf file (llama.cpp), relative to the config file',
  llama2c: 'a llama2.c checkpoint (model.bin), relative to the config file',
  tokenizer: TOKENIZER_FORMS,
  'model.file': 'the name of one .gguf file in the Hugging Face repository, e.g. llama-2-7b.Q4_K_M.gguf',
  tensor: 'input (the input embedding, default), output (the unembedding / lm_head)',
  corpus: CORPUS_FORMS,
  dataset: 'a Hugging Face dataset id, e.g. Salesforce/wikitext',
  config: 'a dataset configuration name, e.g. wikitext-2-raw-v1, or null',
  split: `${SPLIT_FORMS.join(', ')} (a split name, optionally sliced by rows or by percent)`,
  column: 'the name of the text column, e.g. text',
  url: 'an http:// or https:// URL of a plain-text file',
  file: 'a plain-text file, relative to the config file',
  projection: '{ fit: corpus | vocabulary }',
  fit: 'corpus, vocabulary',
  color: '{ clip: <positive integer> }',
  clip: 'a positive integer, e.g. 100',
  include_special: 'true, false',
  neighbors: `false, or { k: <1..${MAX_NEIGHBORS}> } (nearest tokens listed per point; default { k: ${DEFAULT_NEIGHBORS} })`,
  k: `a whole number from 1 to ${MAX_NEIGHBORS}, e.g. ${DEFAULT_NEIGHBORS}`,
  '': 'a mapping with title, exhibits and optionally description, defaults',
};

/** `.strict()` whose message is the list of allowed keys, for "unknown key" errors. */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape).strict(Object.keys(shape).join(', '));
}

type Ctx = z.RefinementCtx;

function fail(ctx: Ctx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** Parse `value` with `schema` as part of the surrounding parse, keeping its issues' paths. */
function parseInto<T>(ctx: Ctx, schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue(issue as z.IssueData);
  return undefined;
}

const checked = (problemOf: (s: string) => string | null) =>
  z.string().superRefine((s, ctx) => {
    const problem = problemOf(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function idProblem(id: string): string | null {
  if (id === '') return 'must not be empty';
  // The id becomes a folder name and a URL path; say why rather than just "does not match".
  if (/[/\\]/.test(id)) return 'must not contain "/" or "\\": the id becomes a folder name and a URL path';
  if (id.includes('..')) return 'must not contain "..": the id becomes a folder name, and ".." points outside the output folder';
  if (/[A-Z]/.test(id)) return 'must be lowercase: the id becomes a URL path, and some file systems ignore case while URLs do not';
  if (/\s/.test(id)) return 'must not contain spaces: the id becomes a URL path and a folder name';
  if (id.length > 64) return `is ${id.length} characters long; at most 64 are allowed`;
  if (!ID_RE.test(id)) return 'must start with a letter or digit and contain only a-z, 0-9, "-" and "_"';
  return null;
}

/** The rules of huggingface_hub's `validate_repo_id`, so a bad id fails here, not at download. */
function hubIdProblem(id: string): string | null {
  if (id === '') return 'must not be empty';
  const parts = id.split('/');
  if (parts.length > 2) return 'has more than one "/"; an id is "org/name" or "name"';
  const bad = /[^A-Za-z0-9._-]/.exec(id.replace('/', ''));
  if (bad) return `contains "${bad[0]}"; only letters, digits, ".", "_", "-" and one "/" are allowed`;
  if (parts.some((p) => p === '')) return 'has an empty part around "/"';
  if (id.includes('..') || id.includes('--')) return 'must not contain ".." or "--"';
  if (parts.some((p) => /^[.-]|[.-]$/.test(p))) return 'must not start or end with "." or "-" (on either side of "/")';
  if (parts.at(-1)!.length > 96) return 'has a name longer than 96 characters';
  return null;
}

function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `uses "${parsed.protocol.slice(0, -1)}"; only http and https URLs can be downloaded`;
  }
  return null;
}

const nonEmpty = z.string().min(1, 'must not be empty');
const optionalText = z.string().nullish();
const hubId = checked(hubIdProblem);
const revision = nonEmpty.optional();

const neighborsObject = strictObject({
  k: z.number().int().positive('must be positive').max(MAX_NEIGHBORS, `is more than ${MAX_NEIGHBORS}`).optional(),
});
/** `false` turns neighbours off; a mapping sets k (missing keys come from defaults). */
const neighborsOption = z
  .unknown()
  .transform((v, ctx): { k?: number } | false | undefined => {
    if (v === undefined || v === false) return v;
    if (isRecord(v)) return parseInto(ctx, neighborsObject, v) ?? z.NEVER;
    return fail(ctx, `expected false or a mapping like { k: ${DEFAULT_NEIGHBORS} }, got ${typeName(v)}`);
  })
  .optional();

const exhibitOptions = {
  projection: strictObject({ fit: z.enum(['corpus', 'vocabulary']).optional() }).optional(),
  color: strictObject({ clip: z.number().int().positive('must be positive').optional() }).optional(),
  include_special: z.boolean().optional(),
  neighbors: neighborsOption,
};

const tokenizerField = z.string().optional();
const hubModel = strictObject({ hub: hubId, revision, tokenizer: tokenizerField });
const hubGgufModel = strictObject({
  hub: hubId,
  file: checked((f) => (/\.gguf$/i.test(f) ? null : `"${f}" is not a .gguf file; for safetensors weights leave file out`)),
  revision,
  tokenizer: tokenizerField,
});
const localModel = strictObject({ path: nonEmpty, tokenizer: tokenizerField });
const ggufModel = strictObject({ gguf: nonEmpty, tokenizer: tokenizerField });
const llama2cModel = strictObject({ llama2c: nonEmpty, tokenizer: z.string() });

/** A local path is written as one (./x, ../x, /x); anything else is a Hub id. */
const looksLikePath = (s: string) => /^(\.{1,2}[/\\]|[/\\]|~|[A-Za-z]:[/\\])/.test(s) || /\.bin$/i.test(s);

function tokenizerRef(value: string | undefined, baseDir: string, ctx: Ctx): TokenizerRef | undefined {
  if (value === undefined) return undefined;
  if (value === '') {
    ctx.addIssue({ code: 'custom', message: 'must not be empty', path: ['tokenizer'] });
    return undefined;
  }
  if (looksLikePath(value)) {
    const path = resolve(baseDir, value);
    return /\.bin$/i.test(value) ? { kind: 'llama2c', path, display: value } : { kind: 'local', path, display: value };
  }
  const problem = hubIdProblem(value);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `${problem} (a local folder is written ./folder)`, path: ['tokenizer'] });
    return undefined;
  }
  return { kind: 'hub', id: value, revision: 'main' };
}

const withTokenizer = <T extends object>(ref: T, tokenizer: TokenizerRef | undefined): T => (tokenizer ? { ...ref, tokenizer } : ref);

function modelSchema(baseDir: string) {
  return z.unknown().transform((v, ctx): ModelRef => {
    if (typeof v === 'string') {
      const problem = hubIdProblem(v);
      return problem ? fail(ctx, problem) : { kind: 'hub', id: v, revision: 'main' };
    }
    if (isRecord(v)) {
      const kinds = ['hub', 'path', 'gguf', 'llama2c'].filter((k) => k in v);
      if (kinds.length > 1) return fail(ctx, `has both ${kinds.join(' and ')}; use one of them`);
      if (kinds[0] === 'hub' && 'file' in v) {
        const m = parseInto(ctx, hubGgufModel, v);
        const tokenizer = m && tokenizerRef(m.tokenizer, baseDir, ctx);
        return m ? withTokenizer({ kind: 'gguf-hub', id: m.hub, revision: m.revision ?? 'main', file: m.file }, tokenizer) : z.NEVER;
      }
      if (kinds[0] === 'hub') {
        const m = parseInto(ctx, hubModel, v);
        const tokenizer = m && tokenizerRef(m.tokenizer, baseDir, ctx);
        return m ? withTokenizer({ kind: 'hub', id: m.hub, revision: m.revision ?? 'main' }, tokenizer) : z.NEVER;
      }
      if (kinds[0] === 'path') {
        const m = parseInto(ctx, localModel, v);
        const tokenizer = m && tokenizerRef(m.tokenizer, baseDir, ctx);
        return m ? withTokenizer({ kind: 'local', path: resolve(baseDir, m.path), display: m.path }, tokenizer) : z.NEVER;
      }
      if (kinds[0] === 'gguf') {
        const m = parseInto(ctx, ggufModel, v);
        const tokenizer = m && tokenizerRef(m.tokenizer, baseDir, ctx);
        return m ? withTokenizer({ kind: 'gguf', path: resolve(baseDir, m.gguf), display: m.gguf }, tokenizer) : z.NEVER;
      }
      if (kinds[0] === 'llama2c') {
        const m = parseInto(ctx, llama2cModel, v);
        const tokenizer = m && tokenizerRef(m.tokenizer, baseDir, ctx);
        return m && tokenizer ? { kind: 'llama2c', path: resolve(baseDir, m.llama2c), display: m.llama2c, tokenizer } : z.NEVER;
      }
      return fail(ctx, `a model mapping needs a hub, path, gguf or llama2c key${keysNote(v)}`);
    }
    return fail(ctx, v === undefined ? 'missing (required)' : `expected a hub id or a mapping, got ${typeName(v)}`);
  });
}

const datasetCorpus = strictObject({
  dataset: hubId,
  config: nonEmpty.nullish(),
  split: z.string().superRefine((s, ctx) => {
    if (!parseSplit(s)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is not a split (no spaces; percents within -100%..100%; both bounds in rows or both in percent)`,
      });
    }
  }),
  column: nonEmpty.optional(),
  revision,
});
const urlCorpus = strictObject({ url: checked(urlProblem) });
const fileCorpus = strictObject({ file: nonEmpty });

function corpusSchema(baseDir: string) {
  return z.unknown().transform((v, ctx): CorpusRef => {
    if (v === 'vocabulary') return { kind: 'vocabulary' };
    if (typeof v === 'string') return fail(ctx, `unknown corpus "${v}"`);
    if (isRecord(v)) {
      const kinds = ['dataset', 'url', 'file'].filter((k) => k in v);
      if (kinds.length > 1) return fail(ctx, `has ${kinds.join(' and ')}; use exactly one of them`);
      if (kinds[0] === 'dataset') {
        const c = parseInto(ctx, datasetCorpus, v);
        return c ? {
          kind: 'dataset',
          dataset: c.dataset,
          config: c.config ?? null,
          split: describeSplit(parseSplit(c.split)!),
          column: c.column ?? 'text',
          revision: c.revision ?? 'main',
        } : z.NEVER;
      }
      if (kinds[0] === 'url') {
        const c = parseInto(ctx, urlCorpus, v);
        return c ? { kind: 'url', url: c.url } : z.NEVER;
      }
      if (kinds[0] === 'file') {
        const c = parseInto(ctx, fileCorpus, v);
        return c ? { kind: 'file', path: resolve(baseDir, c.file), display: c.file } : z.NEVER;
      }
      return fail(ctx, `a corpus mapping needs a dataset, url or file key${keysNote(v)}`);
    }
    return fail(ctx, v === undefined ? 'missing (required)' : `expected vocabulary or a mapping, got ${typeName(v)}`);
  });
}

function gallerySchema(baseDir: string) {
  const exhibit = strictObject({
    id: checked(idProblem),
    title: nonEmpty,
    description: optionalText,
    model: modelSchema(baseDir),
    tensor: z.enum(['input', 'output']).optional(),
    corpus: corpusSchema(baseDir),
    ...exhibitOptions,
  });
  return strictObject({
    title: nonEmpty,
    description: optionalText,
    defaults: strictObject(exhibitOptions).nullish(),
    exhibits: z.array(exhibit).min(1, 'the list is empty; add at least one exhibit'),
  });
}

// ---------------------------------------------------------------------------------------------

type Path = (string | number)[];

interface Problem {
  path: Path;
  problem: string;
  allowed?: string;
  /** Point at the key itself (unknown keys) rather than its value. */
  atKey?: boolean;
}

/** Validate a gallery config's text. `file` is where it came from: messages name it, relative paths start from its folder. */
export function parseGalleryConfig(text: string, file: string): GalleryConfig {
  file = resolve(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, offset };
  };

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      let problem = e.message;
      if (e.code === 'DUPLICATE_KEY') {
        const key = /^("[^"]*"|'[^']*'|[^:\n]*?)\s*:/.exec(text.slice(e.pos[0]))?.[1];
        problem = `duplicate key${key ? ` ${key}` : ''}: this key already appears earlier in the same mapping`;
      }
      return { ...where(e.pos[0]), field: '', problem, allowed: undefined };
    });
    const onlyDuplicates = doc.errors.every((e) => e.code === 'DUPLICATE_KEY');
    throw report(file, 'YAML syntax error', problems, onlyDuplicates
      ? 'Remove or rename one of the two keys; a mapping can hold each key only once.'
      : 'Check indentation (spaces, not tabs) and quoting at that line; quote values that contain ": " or " #", or start with [ { * & ! | > % @ or `.');
  }

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (cause) {
    throw new TokenscapeError(`Cannot read the gallery config: ${(cause as Error).message}`, { file, hint: DOCS_HINT }, { cause });
  }

  const problems: Problem[] = [];
  const result = gallerySchema(dirname(file)).safeParse(raw);
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => toProblems(issue, raw)));
  problems.push(...duplicateIds(raw, (path) => where(locate(doc, path))));

  if (!result.success || problems.length > 0) {
    const located = problems.map((p) => ({
      ...where(locate(doc, p.path, p.atKey)),
      field: formatPath(p.path),
      problem: p.problem,
      allowed: p.allowed ?? allowedFor(p.path),
    }));
    throw report(file, 'Invalid gallery config', located, DOCS_HINT);
  }

  const data = result.data;
  const defaults = data.defaults ?? {};
  const exhibits = data.exhibits.map(
    (ex, i): ExhibitConfig => ({
      id: ex.id,
      title: ex.title,
      description: ex.description ?? null,
      model: ex.model,
      tensor: ex.tensor ?? 'input',
      corpus: ex.corpus,
      projection: { fit: ex.projection?.fit ?? defaults.projection?.fit ?? 'corpus' },
      color: { clip: ex.color?.clip ?? defaults.color?.clip ?? 100 },
      includeSpecial: ex.include_special ?? defaults.include_special ?? false,
      neighbors: resolveNeighbors(ex.neighbors, defaults.neighbors),
      line: where(locate(doc, ['exhibits', i])).line,
    }),
  );
  return { file, title: data.title, description: data.description ?? null, exhibits };
}

function resolveNeighbors(own: { k?: number } | false | undefined, fallback: { k?: number } | false | undefined): { k: number } | null {
  if (own === false || (own === undefined && fallback === false)) return null;
  return { k: own?.k ?? (fallback || undefined)?.k ?? DEFAULT_NEIGHBORS };
}

function toProblems(issue: z.ZodIssue, raw: unknown): Problem[] {
  const { path } = issue;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        problem: `unknown key "${key}"${didYouMean(key, issue.message.split(', '))}`,
        allowed: issue.message,
        atKey: true,
      }));
    case 'invalid_type':
      if (issue.received === 'undefined') return [{ path, problem: 'missing (required)' }];
      if (issue.expected === 'integer') return [{ path, problem: `${String(valueAt(raw, path))} is not a whole number` }];
      if (path.length === 0 && issue.received === 'null') return [{ path, problem: 'the file is empty' }];
      return [{ path, problem: `expected ${typeWord(issue.expected)}, got ${typeWord(issue.received)}` }];
    case 'invalid_enum_value':
      return [{ path, problem: `"${String(issue.received)}" is not allowed` }];
    case 'too_small':
      return [{ path, problem: issue.type === 'number' ? `${String(valueAt(raw, path))} is not positive` : issue.message }];
    default:
      return [{ path, problem: issue.message }];
  }
}

/** Exhibit ids name folders and URLs, so two exhibits with one id would overwrite each other. */
function duplicateIds(raw: unknown, where: (path: Path) => { line: number }): Problem[] {
  if (!isRecord(raw) || !Array.isArray(raw.exhibits)) return [];
  const first = new Map<string, number>();
  const problems: Problem[] = [];
  raw.exhibits.forEach((ex: unknown, i) => {
    if (!isRecord(ex) || typeof ex.id !== 'string') return;
    const j = first.get(ex.id);
    if (j === undefined) return void first.set(ex.id, i);
    problems.push({
      path: ['exhibits', i, 'id'],
      problem: `duplicate id "${ex.id}": exhibits[${j}] at line ${where(['exhibits', j, 'id']).line} already uses it, and the id names the exhibit's folder and URL`,
      allowed: 'a different id for each exhibit',
    });
  });
  return problems;
}

interface Located {
  line: number;
  column: number;
  offset: number;
  field: string;
  problem: string;
  allowed: string | undefined;
}

function report(file: string, title: string, problems: Located[], hint: string): TokenscapeError {
  const sorted = [...problems].sort((a, b) => a.offset - b.offset);
  const lines = sorted.map(
    (p) => `  ${file}:${p.line}:${p.column}  ${p.field ? `${p.field}: ` : ''}${p.problem}${p.allowed ? `; allowed: ${p.allowed}` : ''}`,
  );
  const n = sorted.length;
  const first = sorted[0]!;
  return new TokenscapeError(`${title}${n > 1 ? ` (${n} problems)` : ''}:\n${lines.join('\n')}`, {
    file,
    line: first.line,
    column: first.column,
    ...(first.field ? { field: first.field } : {}),
    hint,
  });
}

/** Offset of the YAML node at `path`, or of its closest existing parent (a missing key points at its mapping). */
function locate(doc: Document, path: Path, atKey = false): number {
  if (atKey && path.length > 0) {
    const parent = doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path.at(-1)));
      if (isNode(pair?.key) && pair.key.range) return pair.key.range[0];
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

function allowedFor(path: Path): string | undefined {
  const last = path.at(-1);
  if (typeof last === 'number') return ALLOWED.exhibit;
  if (path[0] === 'exhibits' && path.length === 1) return ALLOWED.exhibits;
  if (last === 'file' && path.at(-2) === 'model') return ALLOWED['model.file'];
  return ALLOWED[last ?? ''];
}

function formatPath(path: Path): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

function valueAt(raw: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, seg) => (v == null ? v : (v as Record<string | number, unknown>)[seg]), raw);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'nothing (null)' : Array.isArray(v) ? 'a list' : typeof v;
}

function typeWord(t: string): string {
  return ({ object: 'a mapping', array: 'a list', null: 'nothing (null)' } as Record<string, string>)[t] ?? t;
}

function keysNote(v: Record<string, unknown>): string {
  const keys = Object.keys(v);
  return keys.length ? ` (found ${keys.join(', ')})` : '';
}

function didYouMean(key: string, allowed: string[]): string {
  const close = allowed.find((k) => editDistance(key.toLowerCase(), k) <= 2);
  return close ? ` (did you mean "${close}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

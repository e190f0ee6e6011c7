import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { galleryConfigPath, loadGalleryConfig, parseGalleryConfig } from '../src/config/index.ts';
import { TokenscapeError } from '../src/errors.ts';

const FILE = resolve('/galleries/demo/gallery.config.yaml');
const DIR = resolve('/galleries/demo');

/** A valid config with one exhibit; `exhibit` lines are appended under it (indented 4 spaces). */
function config(exhibit = '', top = ''): string {
  return `title: Demo
${top}exhibits:
  - id: demo
    title: Demo exhibit
    model: org/model
    corpus: vocabulary
${exhibit}`;
}

function errorOf(text: string): TokenscapeError {
  try {
    parseGalleryConfig(text, FILE);
  } catch (err) {
    if (err instanceof TokenscapeError) return err;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

/** The message lists every problem as `file:line:col  field: problem`; check one is there. */
function expectProblem(err: TokenscapeError, line: number, field: string, ...words: string[]) {
  const text = err.format();
  const entry = text.split('\n').find((l) => l.includes(`${FILE}:${line}:`) && l.includes(`  ${field}: `));
  expect(entry, `no problem at line ${line} for ${field} in:\n${text}`).toBeDefined();
  for (const w of words) expect(entry).toContain(w);
}

describe('the repository default gallery.config.yaml', () => {
  it('has three LLaMA 2 exhibits: a dataset slice, a URL text and the vocabulary', async () => {
    const file = resolve('gallery.config.yaml');
    const gallery = parseGalleryConfig(await readFile(file, 'utf8'), file);
    const llama = { kind: 'hub', id: 'meta-llama/Llama-2-7b-hf', revision: 'main' };
    const options = { tensor: 'input', projection: { fit: 'corpus' }, color: { clip: 100 }, includeSpecial: false, neighbors: { k: 10 }, description: null };
    expect(gallery).toMatchObject({ file, title: 'LLaMA 2 token embeddings', description: null });
    expect(gallery.exhibits).toEqual([
      {
        id: 'llama2-wikitext',
        title: 'LLaMA 2 7B: WikiText-2 (first 20% of train)',
        model: llama,
        corpus: {
          kind: 'dataset',
          dataset: 'Salesforce/wikitext',
          config: 'wikitext-2-raw-v1',
          split: 'train[:20%]',
          column: 'text',
          revision: 'main',
        },
        ...options,
        line: expect.any(Number),
      },
      {
        id: 'llama2-commedia',
        title: "LLaMA 2 7B: Dante's Divine Comedy",
        model: llama,
        corpus: { kind: 'url', url: 'https://dmf.unicatt.it/~della/pythoncourse18/commedia.txt' },
        ...options,
        line: expect.any(Number),
      },
      {
        id: 'llama2-vocabulary',
        title: 'LLaMA 2 7B: the full vocabulary',
        model: llama,
        corpus: { kind: 'vocabulary' },
        ...options,
        line: expect.any(Number),
      },
    ]);
  });
});

describe('a valid config', () => {
  it('records the line of each exhibit', () => {
    const gallery = parseGalleryConfig(config('', '# a comment\n'), FILE);
    expect(gallery.exhibits[0]!.line).toBe(4);
  });

  it('resolves a local model folder and a corpus file relative to the config file', () => {
    const gallery = parseGalleryConfig(
      `title: Local
exhibits:
  - id: commedia
    title: My LLaMA on the Commedia
    model: { path: ./models/my-llama }
    corpus: { file: corpora/commedia.txt }
`,
      FILE,
    );
    expect(gallery.exhibits[0]!.model).toEqual({ kind: 'local', path: join(DIR, 'models/my-llama'), display: './models/my-llama' });
    expect(gallery.exhibits[0]!.corpus).toEqual({ kind: 'file', path: join(DIR, 'corpora/commedia.txt'), display: 'corpora/commedia.txt' });
  });

  it('accepts a model as { hub, revision } and a dataset corpus with only the required keys', () => {
    const [ex] = parseGalleryConfig(
      `title: T
exhibits:
  - id: gpt2
    title: GPT-2
    model: { hub: gpt2, revision: v1.0 }
    corpus: { dataset: stanfordnlp/imdb, split: "test[-10%:]" }
`,
      FILE,
    ).exhibits;
    expect(ex!.model).toEqual({ kind: 'hub', id: 'gpt2', revision: 'v1.0' });
    expect(ex!.corpus).toEqual({ kind: 'dataset', dataset: 'stanfordnlp/imdb', config: null, split: 'test[-10%:]', column: 'text', revision: 'main' });
  });

  it('applies defaults to every exhibit, and an exhibit overrides them key by key', () => {
    const gallery = parseGalleryConfig(
      `title: T
description: Some *markdown*.
defaults:
  projection: { fit: vocabulary }
  color: { clip: 90 }
  include_special: true
exhibits:
  - { id: a, title: A, model: m, corpus: vocabulary }
  - { id: b, title: B, model: m, corpus: vocabulary, color: { clip: 50 } }
  - { id: c, title: C, model: m, corpus: vocabulary, projection: { fit: corpus }, include_special: false, description: Hi }
`,
      FILE,
    );
    expect(gallery.description).toBe('Some *markdown*.');
    const options = gallery.exhibits.map(({ projection, color, includeSpecial, description }) => ({ projection, color, includeSpecial, description }));
    expect(options).toEqual([
      { projection: { fit: 'vocabulary' }, color: { clip: 90 }, includeSpecial: true, description: null },
      { projection: { fit: 'vocabulary' }, color: { clip: 50 }, includeSpecial: true, description: null },
      { projection: { fit: 'corpus' }, color: { clip: 90 }, includeSpecial: false, description: 'Hi' },
    ]);
  });

  it('without defaults, fits on the corpus, clips at 100, leaves out special tokens and lists 10 neighbours', () => {
    const [ex] = parseGalleryConfig(config(), FILE).exhibits;
    expect(ex).toMatchObject({ projection: { fit: 'corpus' }, color: { clip: 100 }, includeSpecial: false, neighbors: { k: 10 } });
  });

  it('neighbors: k per exhibit or under defaults, and false turns them off', () => {
    const gallery = parseGalleryConfig(
      `title: T
defaults:
  neighbors: { k: 20 }
exhibits:
  - { id: a, title: A, model: m, corpus: vocabulary }
  - { id: b, title: B, model: m, corpus: vocabulary, neighbors: { k: 5 } }
  - { id: c, title: C, model: m, corpus: vocabulary, neighbors: false }
  - { id: d, title: D, model: m, corpus: vocabulary, neighbors: {} }
`,
      FILE,
    );
    expect(gallery.exhibits.map((e) => e.neighbors)).toEqual([{ k: 20 }, { k: 5 }, null, { k: 20 }]);
    const off = parseGalleryConfig(config('    neighbors: { k: 3 }\n', 'defaults: { neighbors: false }\n'), FILE);
    expect(off.exhibits[0].neighbors).toEqual({ k: 3 });
    const allOff = parseGalleryConfig(config('', 'defaults: { neighbors: false }\n'), FILE);
    expect(allOff.exhibits[0].neighbors).toBeNull();
  });
});

describe('a bad config is rejected with the file, the line, the key and what is allowed', () => {
  it('YAML syntax error', () => {
    const err = errorOf('title: Demo\nexhibits:\n  - id: "demo\n');
    expect(err.context).toMatchObject({ file: FILE, line: 4 });
    expect(err.format()).toContain(`${FILE}:4:`);
    expect(err.format()).toMatch(/YAML syntax error/);
  });

  it('duplicate key', () => {
    const err = errorOf(config('    title: Again\n'));
    expect(err.context).toMatchObject({ file: FILE, line: 7 });
    expect(err.format()).toContain('duplicate key title');
  });

  it('unknown key, with a suggestion and the allowed keys', () => {
    const err = errorOf(config('    colour: { clip: 50 }\n'));
    expectProblem(err, 7, 'exhibits[0].colour', 'unknown key "colour"', 'did you mean "color"', 'allowed: id, title, description, model, tensor, corpus, projection, color, include_special, neighbors');
    expect(err.context).toMatchObject({ file: FILE, line: 7, column: 5, field: 'exhibits[0].colour' });
  });

  it('unknown top-level key', () => {
    const err = errorOf(config('', 'exibits: []\n'));
    expectProblem(err, 2, 'exibits', 'unknown key "exibits"', 'did you mean "exhibits"', 'allowed: title, description, defaults, exhibits');
  });

  it('duplicate exhibit id, naming both lines', () => {
    const err = errorOf(config('  - { id: demo, title: Again, model: m, corpus: vocabulary }\n'));
    expectProblem(err, 7, 'exhibits[1].id', 'duplicate id "demo"', 'line 3');
  });

  it.each([
    ['../etc', '"/"'],
    ['a/b', '"/"'],
    ['a\\b', '"\\"'],
    ['a..b', '".."'],
    ['Demo', 'lowercase'],
    ['"my demo"', 'spaces'],
    ['-demo', 'start with a letter or digit'],
    ['"a#b"', 'only a-z, 0-9'],
  ])('bad id %s', (id, why) => {
    const err = errorOf(config().replace('id: demo', `id: ${id.startsWith('"') ? id : JSON.stringify(id)}`));
    expectProblem(err, 3, 'exhibits[0].id', why, 'allowed: lowercase letters, digits');
  });

  it('an id that is too long', () => {
    const err = errorOf(config().replace('id: demo', `id: ${'a'.repeat(65)}`));
    expectProblem(err, 3, 'exhibits[0].id', 'at most 64');
  });

  it('bad split, listing the allowed forms', () => {
    const err = errorOf(config().replace('corpus: vocabulary', 'corpus: { dataset: a/b, split: "train[5]" }'));
    expectProblem(err, 6, 'exhibits[0].corpus.split', '"train[5]" is not a split', 'allowed: train, train[:20%], train[10:500], test[50%:]');
  });

  it.each([
    ['0', 'is not positive'],
    ['-1', 'is not positive'],
    ['2.5', 'is not a whole number'],
    ['x', 'expected number, got string'],
  ])('bad clip %s', (clip, problem) => {
    const err = errorOf(config(`    color: { clip: ${clip} }\n`));
    expectProblem(err, 7, 'exhibits[0].color.clip', problem, 'allowed: a positive integer');
  });

  it.each([
    ['{ k: 0 }', 'exhibits[0].neighbors.k', 'is not positive'],
    ['{ k: 2.5 }', 'exhibits[0].neighbors.k', 'is not a whole number'],
    ['{ k: 1000 }', 'exhibits[0].neighbors.k', 'is more than 100'],
    ['{ count: 5 }', 'exhibits[0].neighbors.count', 'unknown key "count"'],
    ['true', 'exhibits[0].neighbors', 'expected false or a mapping like { k: 10 }, got boolean'],
    ['10', 'exhibits[0].neighbors', 'got number'],
  ])('bad neighbors %s', (value, field, problem) => {
    const err = errorOf(config(`    neighbors: ${value}\n`));
    expectProblem(err, 7, field, problem);
  });

  it('bad neighbors in defaults', () => {
    const err = errorOf(config('', 'defaults:\n  neighbors:\n    k: -3\n'));
    expectProblem(err, 4, 'defaults.neighbors.k', 'is not positive', 'allowed: a whole number from 1 to 100');
  });

  it('bad clip in defaults', () => {
    const err = errorOf(config('', 'defaults:\n  color:\n    clip: 0\n'));
    expectProblem(err, 4, 'defaults.color.clip', 'is not positive');
  });

  it('bad projection fit', () => {
    const err = errorOf(config('    projection: { fit: pca }\n'));
    expectProblem(err, 7, 'exhibits[0].projection.fit', '"pca" is not allowed', 'allowed: corpus, vocabulary');
  });

  it('missing gallery title (points at the top-level mapping)', () => {
    const err = errorOf(config().replace('title: Demo\n', ''));
    expectProblem(err, 1, 'title', 'missing (required)');
  });

  it('missing exhibit title (points at the exhibit)', () => {
    const err = errorOf(config().replace('    title: Demo exhibit\n', ''));
    expectProblem(err, 3, 'exhibits[0].title', 'missing (required)');
  });

  it('missing exhibits', () => {
    const err = errorOf('title: Demo\n');
    expectProblem(err, 1, 'exhibits', 'missing (required)', 'allowed: a list of exhibits');
  });

  it('empty exhibits list', () => {
    const err = errorOf('title: Demo\nexhibits: []\n');
    expectProblem(err, 2, 'exhibits', 'the list is empty');
  });

  it('empty file', () => {
    const err = errorOf('# nothing yet\n');
    expect(err.format()).toContain('the file is empty');
  });

  it('model with both hub and path', () => {
    const err = errorOf(config().replace('model: org/model', 'model: { hub: org/model, path: ./m }'));
    expectProblem(err, 5, 'exhibits[0].model', 'both hub and path', 'allowed: a Hugging Face model id');
  });

  it.each([
    ['a/b/c', 'more than one "/"'],
    ['org/my model', 'contains " "'],
    ['org/..', '".." or "--"'],
    ['-org/model', 'start or end'],
  ])('bad model id %s', (id, why) => {
    const err = errorOf(config().replace('model: org/model', `model: "${id}"`));
    expectProblem(err, 5, 'exhibits[0].model', why);
  });

  it('corpus with an unknown shape', () => {
    const err = errorOf(config().replace('corpus: vocabulary', 'corpus: { hf: Salesforce/wikitext }'));
    expectProblem(err, 6, 'exhibits[0].corpus', 'needs a dataset, url or file key (found hf)', 'allowed: vocabulary, { dataset');
  });

  it('corpus with two shapes at once', () => {
    const err = errorOf(config().replace('corpus: vocabulary', 'corpus: { url: "https://x.org/a.txt", file: a.txt }'));
    expectProblem(err, 6, 'exhibits[0].corpus', 'has url and file');
  });

  it('corpus word other than vocabulary', () => {
    const err = errorOf(config().replace('corpus: vocabulary', 'corpus: vocab'));
    expectProblem(err, 6, 'exhibits[0].corpus', 'unknown corpus "vocab"');
  });

  it('unknown key inside a dataset corpus', () => {
    const err = errorOf(config().replace('corpus: vocabulary', 'corpus: { dataset: a/b, split: train, colum: text }'));
    expectProblem(err, 6, 'exhibits[0].corpus.colum', 'did you mean "column"', 'allowed: dataset, config, split, column, revision');
  });

  it('url that is not http(s)', () => {
    const err = errorOf(config().replace('corpus: vocabulary', 'corpus: { url: "ftp://example.org/a.txt" }'));
    expectProblem(err, 6, 'exhibits[0].corpus.url', 'uses "ftp"', 'allowed: an http:// or https:// URL');
  });

  it('reports every problem at once; the error points at the first', () => {
    const err = errorOf(`title: Demo
exhibits:
  - id: Bad
    title: A
    model: m
    corpus: vocabulary
  - id: ok
    title: B
    model: m
    corpus: { dataset: a/b, split: "train[:200%]" }
`);
    expect(err.message).toMatch(/\(2 problems\)/);
    expectProblem(err, 3, 'exhibits[0].id', 'lowercase');
    expectProblem(err, 10, 'exhibits[1].corpus.split', 'is not a split');
    expect(err.context).toMatchObject({ file: FILE, line: 3, field: 'exhibits[0].id' });
  });
});

describe('model forms: safetensors, GGUF, llama2.c, a tokenizer from elsewhere, and which tensor', () => {
  const modelOf = (model: string, extra = '') => parseGalleryConfig(config(extra).replace('model: org/model', `model: ${model}`), FILE).exhibits[0]!;

  it('reads a local GGUF file relative to the config file', () => {
    expect(modelOf('{ gguf: ./models/tiny.Q4_K_M.gguf }').model).toEqual({ kind: 'gguf', path: join(DIR, 'models/tiny.Q4_K_M.gguf'), display: './models/tiny.Q4_K_M.gguf' });
  });

  it('reads one .gguf file of a Hub repository, at main unless a revision is given', () => {
    expect(modelOf('{ hub: TheBloke/Llama-2-7B-GGUF, file: llama-2-7b.Q4_K_M.gguf }').model).toEqual({
      kind: 'gguf-hub', id: 'TheBloke/Llama-2-7B-GGUF', revision: 'main', file: 'llama-2-7b.Q4_K_M.gguf',
    });
    expect(modelOf('{ hub: org/m-GGUF, file: sub/m.gguf, revision: v2 }').model).toMatchObject({ kind: 'gguf-hub', revision: 'v2', file: 'sub/m.gguf' });
  });

  it('reads a llama2.c checkpoint with its tokenizer.bin, both relative to the config file', () => {
    expect(modelOf('{ llama2c: ./stories15M.bin, tokenizer: ./tokenizer.bin }').model).toEqual({
      kind: 'llama2c', path: join(DIR, 'stories15M.bin'), display: './stories15M.bin',
      tokenizer: { kind: 'llama2c', path: join(DIR, 'tokenizer.bin'), display: './tokenizer.bin' },
    });
  });

  it('takes the tokenizer from a Hub id or a ./folder on any model form', () => {
    expect(modelOf('{ hub: org/model, tokenizer: meta-llama/Llama-2-7b-hf }').model).toEqual({
      kind: 'hub', id: 'org/model', revision: 'main', tokenizer: { kind: 'hub', id: 'meta-llama/Llama-2-7b-hf', revision: 'main' },
    });
    expect(modelOf('{ gguf: ./m.gguf, tokenizer: ./tok }').model).toMatchObject({ tokenizer: { kind: 'local', path: join(DIR, 'tok'), display: './tok' } });
    expect(modelOf('{ path: ./m, tokenizer: ../shared/tok }').model).toMatchObject({ tokenizer: { kind: 'local', path: resolve(DIR, '../shared/tok') } });
    expect(modelOf('{ llama2c: ./m.bin, tokenizer: meta-llama/Llama-2-7b-hf }').model).toMatchObject({ tokenizer: { kind: 'hub', id: 'meta-llama/Llama-2-7b-hf' } });
  });

  it('maps the input embedding unless the exhibit says tensor: output', () => {
    expect(modelOf('org/model').tensor).toBe('input');
    expect(modelOf('org/model', '    tensor: output\n').tensor).toBe('output');
  });

  it('rejects a hub file that is not GGUF', () => {
    const err = errorOf(config().replace('model: org/model', 'model: { hub: org/model, file: model.safetensors }'));
    expectProblem(err, 5, 'exhibits[0].model.file', 'not a .gguf file', 'allowed: the name of one .gguf file');
  });

  it('rejects a llama2c checkpoint without a tokenizer', () => {
    const err = errorOf(config().replace('model: org/model', 'model: { llama2c: ./m.bin }'));
    expectProblem(err, 5, 'exhibits[0].model.tokenizer', 'missing (required)', 'allowed: a Hugging Face model id whose tokenizer');
  });

  it('rejects two model forms at once, and unknown keys in a form', () => {
    expectProblem(errorOf(config().replace('model: org/model', 'model: { gguf: ./a.gguf, llama2c: ./b.bin }')), 5, 'exhibits[0].model', 'both gguf and llama2c');
    expectProblem(errorOf(config().replace('model: org/model', 'model: { gguf: ./a.gguf, revision: main }')), 5, 'exhibits[0].model.revision', 'unknown key', 'allowed: gguf, tokenizer');
  });

  it('rejects a tokenizer that is neither a Hub id nor a ./path', () => {
    const err = errorOf(config().replace('model: org/model', 'model: { hub: org/model, tokenizer: "my tokenizer" }'));
    expectProblem(err, 5, 'exhibits[0].model.tokenizer', 'contains " "', 'a local folder is written ./folder', 'allowed: a Hugging Face model id');
  });

  it('rejects a tensor other than input or output', () => {
    const err = errorOf(config('    tensor: lm_head\n'));
    expectProblem(err, 7, 'exhibits[0].tensor', 'allowed: input (the input embedding, default), output');
  });
});

describe('finding and loading the config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokenscape-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is gallery.config.yaml in the working directory unless GALLERY_CONFIG says otherwise', () => {
    expect(galleryConfigPath({}, dir)).toBe(join(dir, 'gallery.config.yaml'));
    expect(galleryConfigPath({ GALLERY_CONFIG: 'other/g.yaml' }, dir)).toBe(join(dir, 'other/g.yaml'));
    expect(galleryConfigPath({ GALLERY_CONFIG: '/abs/g.yaml' }, dir)).toBe(resolve('/abs/g.yaml'));
  });

  it('loads a file and resolves paths against its folder', async () => {
    const file = join(dir, 'g.yaml');
    await writeFile(file, 'title: T\nexhibits:\n  - { id: a, title: A, model: { path: m }, corpus: vocabulary }\n');
    const gallery = await loadGalleryConfig(file);
    expect(gallery.file).toBe(file);
    expect(gallery.exhibits[0]!.model).toEqual({ kind: 'local', path: join(dir, 'm'), display: 'm' });
  });

  it('names a missing file and says to create it or set GALLERY_CONFIG', async () => {
    const file = join(dir, 'missing.yaml');
    const err = await loadGalleryConfig(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenscapeError);
    const text = (err as TokenscapeError).format();
    expect(text).toContain(file);
    expect(text).toContain('GALLERY_CONFIG');
    expect(text).toMatch(/[Cc]reate it/);
  });

  it('errors from a loaded file name that file', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'title: T\nexhibits: []\n');
    const err = await loadGalleryConfig(file).catch((e: unknown) => e);
    expect((err as TokenscapeError).format()).toContain(`${file}:2:`);
  });
});

/**
 * Every exhibit's tokenizer.json is loaded by the browser's tokenizer library before it is published; the
 * check runs in a worker thread beside the PCA, and a file that differs from the checked text is checked again.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTokenizer } from '../src/pipeline/exhibitExtras.ts';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { loadTokenizer, tokenizerFromJson } from '../src/tokens/loadTokenizer.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const exporting = (identity: string, json: string, config = '{}') => ({ identity, exportFiles: async () => ({ 'tokenizer.json': json, 'tokenizer_config.json': config }) });

describe.skipIf(!hasFixtures)('the browser-tokenizer check of an exported tokenizer', () => {
  it('accepts a real tokenizer.json (TinyStories-656K BPE)', async () => {
    const json = readFileSync(fixture('models/tinystories-656k/tokenizer.json'), 'utf8');
    await expect(checkTokenizer(bytes(json), '{}', exporting('tinystories', json))).resolves.toBeUndefined();
  });

  it('refuses one the browser could not load, naming tokenizer.json and what to do', async () => {
    const json = JSON.stringify({ model: { type: 'NotAModel' } });
    const error = await checkTokenizer(bytes(json), '{}', exporting('broken', json)).catch((e) => e);
    expect(error.message).toMatch(/does not load in the browser's tokenizer/);
    expect(error.context).toMatchObject({ file: 'tokenizer.json' });
    expect(error.context.hint).toMatch(/turn the exhibit off/);
  });

  it('checks the written bytes again when they are not the text the worker checked', async () => {
    const good = readFileSync(fixture('models/tinystories-656k/tokenizer.json'), 'utf8');
    const written = JSON.stringify({ model: { type: 'NotAModel' } });
    await expect(checkTokenizer(bytes(written), '{}', exporting('changed', good))).rejects.toThrow(/does not load/);
  });

  it('passes a tokenizer Node built with the browser\'s library from the exported text, and only that text', async () => {
    const folder = fixture('models/tinystories-656k');
    const tokenizer = await loadTokenizer(localFolderFiles(folder, 'tinystories'));
    expect(tokenizer.browserEquivalent).toBe(true);
    const files = await tokenizer.exportFiles();
    expect(files['tokenizer.json']).toBe(readFileSync(fixture('models/tinystories-656k', 'tokenizer.json'), 'utf8'));
    await expect(checkTokenizer(bytes(files['tokenizer.json']), files['tokenizer_config.json'], tokenizer)).resolves.toBeUndefined();
    // Bytes other than the exported text are checked for real.
    const broken = JSON.stringify({ model: { type: 'NotAModel' } });
    await expect(checkTokenizer(bytes(broken), files['tokenizer_config.json'], tokenizer)).rejects.toThrow(/does not load/);
  });

  it('checks for real the tokenizers built from other forms or through a transformers.js class', async () => {
    const qwen = await loadTokenizer(localFolderFiles(fixture('tokenizers/qwen2.5'), 'qwen2.5'));
    expect(qwen.form).toBe('vocab.json + merges.txt');
    expect(qwen.browserEquivalent).toBe(false);
    const json = JSON.parse(readFileSync(fixture('models/tinystories-656k/tokenizer.json'), 'utf8'));
    const whisper = tokenizerFromJson({ tokenizerJson: json, config: { tokenizer_class: 'WhisperTokenizer' }, label: 'x', form: 'tokenizer.json', file: 'tokenizer.json', identity: 'whisper', configVocabSize: null, exportsParsedText: true });
    expect(whisper.browserEquivalent).toBe(false);
  });
});

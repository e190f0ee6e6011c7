/**
 * The tokenizer files an exhibit publishes for the browser's search: exported by the pipeline's
 * tokenizer, loaded by tokenizers.js (@huggingface/tokenizers, what the page runs), ids equal.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { loadTokenizer, type ModelTokenizer } from '../src/tokens/loadTokenizer.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';

describe.skipIf(!hasFixtures)('tokenizer export for the browser search', () => {
  let ours: ModelTokenizer;
  let browser: Tokenizer;
  beforeAll(async () => {
    ours = await loadTokenizer(localFolderFiles(fixture('tokenizers', 'llama2'), 'llama2'));
    const files = await ours.exportFiles!();
    browser = new Tokenizer(JSON.parse(files['tokenizer.json']), JSON.parse(files['tokenizer_config.json']));
  }, 60_000);

  it('splits "mezzo" into ▁mez · zo with the ids of the pipeline', () => {
    const encoded = browser.encode('mezzo', { add_special_tokens: false });
    expect(encoded.tokens).toEqual(['▁mez', 'zo']);
    expect(encoded.ids).toEqual(ours.encode('mezzo', false));
  });

  it.each(['Nel mezzo del cammin di nostra vita', 'The quick brown fox, 2024!', 'Москва и 日本', ' leading space', 'tab\there'])(
    'gives the pipeline\'s ids for %j',
    (text) => {
      expect(browser.encode(text, { add_special_tokens: false }).ids).toEqual(ours.encode(text, false));
    },
  );
});

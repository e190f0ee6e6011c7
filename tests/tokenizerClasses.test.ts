/**
 * Node builds most tokenizers from @huggingface/tokenizers directly instead of through transformers.js
 * (src/tokens/loadTokenizer.ts): it starts faster, and the ids, decoded tokens, vocabulary and special tokens
 * are those of the transformers.js class AutoTokenizer would pick. The list of classes that do more than
 * delegate is checked against the installed transformers.js, and every real tokenizer of the fixtures
 * gives the same results both ways.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as transformers from '@huggingface/transformers';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { CUSTOMISED_TOKENIZER_CLASSES, loadTokenizer, tokenizerClassName } from '../src/tokens/loadTokenizer.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';

type TokenizerClass = (new (json: unknown, config: unknown) => PreTrainedTokenizer) & { name: string };

const tokenizerClasses = Object.entries(transformers as unknown as Record<string, unknown>).filter(
  (entry): entry is [string, TokenizerClass] => typeof entry[1] === 'function' && (entry[1] as TokenizerClass).prototype instanceof PreTrainedTokenizer,
);

/** A class (or one between it and PreTrainedTokenizer) with its own constructor or methods. */
function customises(cls: TokenizerClass): boolean {
  for (let c = cls; c !== PreTrainedTokenizer; c = Object.getPrototypeOf(c)) {
    if (/\bconstructor\s*\(/.test(c.toString())) return true;
    if (Object.getOwnPropertyNames(c.prototype).some((name) => name !== 'constructor')) return true;
  }
  return false;
}

describe('tokenizer classes', () => {
  it('lists exactly the transformers.js tokenizer classes that do more than delegate to the core Tokenizer', () => {
    expect(tokenizerClasses.length).toBeGreaterThan(30);
    const customised = tokenizerClasses.filter(([, cls]) => customises(cls)).map(([name]) => name).sort();
    expect(customised).toEqual([...CUSTOMISED_TOKENIZER_CLASSES].sort());
  });

  it.runIf(hasFixtures)('gives every fixture tokenizer the ids, tokens and specials of its transformers.js class', async () => {
    const wiki = readFileSync(fixture('corpora/wikitext-2-raw/wiki.test.raw'), 'utf8').split('\n').slice(0, 400);
    const texts = [...wiki, '', ' ', 'a <s> b </s> <unk> <|endoftext|> [CLS] x', 'emoji 😀 東京 e\u0301 \u0000 \ud800', '  two  spaces\tand\ttabs\r'];
    const folders = readdirSync(fixture('tokenizers'));
    expect(folders.length).toBeGreaterThanOrEqual(10);
    for (const folder of folders) {
      const ours = await loadTokenizer(localFolderFiles(fixture('tokenizers', folder), folder));
      const files = await ours.exportFiles();
      const config = JSON.parse(files['tokenizer_config.json']);
      const cls = (transformers as unknown as Record<string, unknown>)[tokenizerClassName(config)] as TokenizerClass | undefined;
      const theirs = new (cls ?? PreTrainedTokenizer)(JSON.parse(files['tokenizer.json']), config);
      for (const text of texts) {
        for (const special of [false, true]) {
          expect(ours.encode(text, special), `${folder}: ${JSON.stringify(text)}`).toEqual(theirs.encode(text, { add_special_tokens: special }));
        }
      }
      const vocab = theirs.get_vocab() as Map<string, number>;
      expect(ours.pieces.length, folder).toBe([...vocab.values()].reduce((a, b) => Math.max(a, b), -1) + 1);
      for (const [piece, id] of vocab) if (ours.pieces[id] !== piece) expect(vocab.get(ours.pieces[id]), `${folder}: id ${id}`).toBe(id);
      for (const id of theirs.all_special_ids as number[]) expect(ours.specialIds.has(id), `${folder}: special ${id}`).toBe(true);
      for (let id = 0; id < ours.vocabSize; id += 29) {
        expect(ours.decodeOne(id), `${folder}: decode ${id}`).toBe(theirs.decode([id], { skip_special_tokens: false }));
      }
    }
  }, 120_000);
});

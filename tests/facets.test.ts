/**
 * Token facets (src/facets): on hand-picked tokens of three real vocabularies (LLaMA-2 SentencePiece,
 * GPT-2 byte-level BPE, BERT WordPiece) and on matrices with planted under-trained rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { pointFacets, type VocabularyFacets } from '../src/facets/computeFacets.ts';
import { POS_TAGS, SCRIPTS, WordStart } from '../src/facets/facetTypes.ts';
import { partOfSpeech } from '../src/facets/partOfSpeech.ts';
import { scriptOf } from '../src/facets/tokenScript.ts';
import { undertrainedCandidates, unusedTokenIds } from '../src/facets/undertrained.ts';
import { detectWordStartMarker } from '../src/facets/wordStart.ts';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { describeTokens } from '../src/tokens/describeTokens.ts';
import { loadTokenizer, type ModelTokenizer } from '../src/tokens/loadTokenizer.ts';
import { mulberry32 } from '../src/projection/seededRandom.ts';
import { fixture, hasFixtures } from './support/fixtures.ts';

interface Facet {
  text: string;
  script: string;
  wordStart: number;
  byte: boolean;
  special: boolean;
  pos: string;
  length: number;
}

/** The facets a person reads off for the given vocabulary pieces. */
function facetsOf(tokenizer: ModelTokenizer, pieces: string[]): Record<string, Facet> {
  const index = new Map(tokenizer.pieces.map((p, id) => [p, id]));
  const ids = Uint32Array.from(pieces.map((p) => {
    const id = index.get(p);
    if (id === undefined) throw new Error(`${p} is not in the vocabulary`);
    return id;
  }));
  const described = describeTokens(tokenizer, ids);
  const n = tokenizer.vocabSize;
  const vocabulary: VocabularyFacets = { method: 'lowest-norm', norms: new Float32Array(n).fill(1), scores: new Float32Array(n), flags: new Uint8Array(n) };
  const { facets } = pointFacets(ids, described, tokenizer.pieces, vocabulary);
  return Object.fromEntries(
    pieces.map((p, i) => [
      p,
      {
        text: described[i].text,
        script: SCRIPTS[facets.script[i]],
        wordStart: facets.wordStart[i],
        byte: described[i].byteToken,
        special: described[i].special,
        pos: POS_TAGS[facets.pos[i]],
        length: facets.length[i],
      },
    ]),
  );
}

const tokenizerOf = (name: string) => loadTokenizer(localFolderFiles(fixture('tokenizers', name), name));
const { start, continuation, notApplicable } = WordStart;

describe.skipIf(!hasFixtures)('facets of real vocabularies', () => {
  let llama: ModelTokenizer;
  let gpt2: ModelTokenizer;
  let bert: ModelTokenizer;
  beforeAll(async () => {
    [llama, gpt2, bert] = await Promise.all([tokenizerOf('llama2'), tokenizerOf('gpt2-merges-as-pairs'), tokenizerOf('bert-base-uncased')]);
  }, 60_000);

  it('detects each tokenizer family from its vocabulary', () => {
    expect(detectWordStartMarker(llama.pieces)).toBe('sentencepiece');
    expect(detectWordStartMarker(gpt2.pieces)).toBe('byte-level');
    expect(detectWordStartMarker(bert.pieces)).toBe('wordpiece');
  });

  it('LLaMA-2: ▁ starts a word; byte and special tokens are flagged; scripts and parts of speech', () => {
    const f = facetsOf(llama, ['▁the', 'ing', '▁Москва', '<0x0A>', '<s>', '▁running', '▁,', 'α', '9', '▁quickly']);
    expect(f['▁the']).toMatchObject({ text: ' the', script: 'Latin', wordStart: start, pos: 'determiner', length: 4 });
    expect(f['ing']).toMatchObject({ script: 'Latin', wordStart: continuation, pos: 'other' });
    expect(f['▁Москва']).toMatchObject({ script: 'Cyrillic', wordStart: start, pos: 'other' });
    expect(f['<0x0A>']).toMatchObject({ text: '\n', byte: true, special: false, script: 'whitespace', wordStart: notApplicable });
    expect(f['<s>']).toMatchObject({ special: true, byte: false, wordStart: notApplicable, pos: 'other' });
    expect(f['▁running']).toMatchObject({ pos: 'verb' });
    expect(f['▁,']).toMatchObject({ script: 'punctuation' });
    expect(f['α']).toMatchObject({ script: 'Greek', wordStart: continuation });
    expect(f['9']).toMatchObject({ script: 'digits' });
    expect(f['▁quickly']).toMatchObject({ pos: 'adverb' });
  });

  it('GPT-2: Ġ starts a word, a piece without it continues one; the end-of-text token is special', () => {
    const f = facetsOf(gpt2, ['Ġthe', 'ing', 'Ġ,', '<|endoftext|>', 'Ġrunning', 'Ċ', 'Ġ123', 'Ġcat']);
    expect(f['Ġthe']).toMatchObject({ text: ' the', wordStart: start, pos: 'determiner', script: 'Latin' });
    expect(f['ing']).toMatchObject({ wordStart: continuation, pos: 'other' });
    expect(f['Ġ,']).toMatchObject({ script: 'punctuation', wordStart: start });
    expect(f['<|endoftext|>']).toMatchObject({ special: true, wordStart: notApplicable });
    expect(f['Ċ']).toMatchObject({ text: '\n', script: 'whitespace' });
    expect(f['Ġ123']).toMatchObject({ script: 'digits' });
    expect(f['Ġcat']).toMatchObject({ pos: 'noun' });
  });

  it('BERT: ## continues a word, everything else starts one; [CLS] is special, [unused0] is named unused', () => {
    const f = facetsOf(bert, ['the', '##ing', '[CLS]', ',', 'running', '123', 'α', '##s']);
    expect(f['the']).toMatchObject({ wordStart: start, pos: 'determiner' });
    expect(f['##ing']).toMatchObject({ wordStart: continuation, pos: 'other' });
    expect(f['##s']).toMatchObject({ wordStart: continuation });
    expect(f['[CLS]']).toMatchObject({ special: true, wordStart: notApplicable });
    expect(f[',']).toMatchObject({ script: 'punctuation', wordStart: start });
    expect(f['running']).toMatchObject({ pos: 'verb' });
    expect(f['α']).toMatchObject({ script: 'Greek' });
    expect(unusedTokenIds(bert.pieces)).toHaveLength(994);
  });
});

describe('token scripts and parts of speech', () => {
  it.each([
    [' hello', 'Latin'],
    ['日本', 'CJK'],
    ['カタ', 'CJK'],
    ['한국', 'Hangul'],
    ['مرحبا', 'Arabic'],
    ['שלום', 'Hebrew'],
    ['नमस्ते', 'Devanagari'],
    ['สวัสดี', 'Thai'],
    ["don't", 'Latin'],
    ['A4', 'Latin'],
    ['abcд', 'mixed'],
    ['2024', 'digits'],
    ['...', 'punctuation'],
    ['$', 'symbols'],
    ['   ', 'whitespace'],
    ['\t\n', 'whitespace'],
    ['1.5', 'mixed'],
    ['\uFFFD', 'other'],
    ['', 'other'],
  ])('%j is %s', (text, script) => {
    expect(scriptOf(text)).toBe(script);
  });

  it.each([
    ['cat', 'noun'],
    ['ran', 'verb'],
    ['happy', 'adjective'],
    ['she', 'pronoun'],
    ['and', 'conjunction'],
    ['in', 'preposition'],
    ['oh', 'interjection'],
    ['zxqv', 'other'],
    ['ing', 'other'],
    ['c3po', 'other'],
  ])('%s is a %s', (word, tag) => {
    expect(partOfSpeech(word)).toBe(tag);
  });
});

describe('the under-trained indicator', () => {
  const rows = 1000;
  const random = mulberry32(3);
  const norms = Float64Array.from({ length: rows }, () => 1 + random() * 0.2);
  const planted = [17, 123, 456, 789, 901];
  for (const r of planted) norms[r] = 0.01 + r * 1e-5;
  const ordinary = Array.from({ length: rows }, (_, i) => i !== 0 && i !== 1); // 0, 1: special tokens

  it('untied embeddings: the lowest-norm 2% of ordinary tokens, the planted rows first', () => {
    norms[0] = 0; // a special token with a zero row is not a candidate: it is not ranked
    const result = undertrainedCandidates(norms, ordinary, false, [], null);
    expect(result.method).toBe('lowest-norm');
    const flagged = [...result.flags.keys()].filter((i) => result.flags[i]);
    expect(flagged).toHaveLength(Math.round(0.02 * 998));
    for (const r of planted) expect(result.flags[r]).toBe(1);
    expect(result.flags[0]).toBe(0);
    const byScore = [...flagged].sort((a, b) => result.scores[b] - result.scores[a]);
    expect(byScore.slice(0, 5).sort((a, b) => a - b)).toEqual(planted);
  });

  it('tied embeddings with unused tokens: closeness to their mean, not the norm', () => {
    const unused = [900, 901, 902];
    // Rows 50 and 60 point where the unused rows do; their norms are ordinary.
    const cosines = Float64Array.from({ length: rows }, (_, i) => (unused.includes(i) ? 0.99 : i === 50 || i === 60 ? 0.95 : random() * 0.3));
    const result = undertrainedCandidates(norms, ordinary, true, unused, cosines);
    expect(result.method).toBe('unused-mean-distance');
    expect(result.flags[50]).toBe(1);
    expect(result.flags[60]).toBe(1);
    for (const u of unused) expect(result.flags[u]).toBe(1);
    expect(result.scores[50]).toBeCloseTo(0.95, 6);
  });

  it('tied embeddings without unused tokens fall back to the norm', () => {
    const result = undertrainedCandidates(norms, ordinary, true, [], null);
    expect(result.method).toBe('tied-norm');
    for (const r of planted) expect(result.flags[r]).toBe(1);
  });
});

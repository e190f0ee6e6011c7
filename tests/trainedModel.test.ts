/**
 * A real trained model through the real pipeline: TinyStories-656K (BF16, tied embeddings, 2048 tokens,
 * ../shared/fixtures/models/tinystories-656k). Its neighbours must be what a person calls sensible; the
 * word lists below are a person's judgement of a neighbour, not expected output.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExhibitManifest } from '../src/artifact/manifest.ts';
import { readExhibit } from '../src/artifact/readExhibit.ts';
import { readNeighbors, type ExhibitNeighbors } from '../src/artifact/readNeighbors.ts';
import type { ExhibitPoints } from '../src/artifact/format.ts';
import { parseGalleryConfig } from '../src/config/index.ts';
import { partOfSpeech } from '../src/facets/partOfSpeech.ts';
import { hubEnvironment } from '../src/hub/hubEnvironment.ts';
import { precompute } from '../src/pipeline/precompute.ts';
import { hasFixtures } from './support/fixtures.ts';
import { TINYSTORIES_EXHIBIT_ID, TINYSTORIES_MODEL } from './support/testGallery.ts';

const ANIMALS = ['dog', 'bird', 'mouse', 'frog', 'bear', 'fish', 'bunny', 'duck', 'owl', 'lion', 'puppy', 'kitten', 'horse', 'cow', 'pig', 'rabbit', 'squirrel', 'bug', 'cat'];
const NAMES = ['Lily', 'Tom', 'Tim', 'Ben', 'Max', 'Sue', 'Anna', 'Mia', 'Sam', 'Lucy', 'Sara', 'Amy', 'Jack', 'Timmy', 'Bob', 'Mike', 'Jane', 'Kitty', 'Spot', 'Sally', 'Mary', 'Jill', 'Billy', 'Zoe', 'Joe'];

describe.skipIf(!hasFixtures)('TinyStories-656K, a trained model', () => {
  const root = mkdtempSync(join(tmpdir(), 'tks-trained-'));
  let manifest: ExhibitManifest;
  let points: ExhibitPoints;
  let neighbors: ExhibitNeighbors;

  beforeAll(async () => {
    const config = parseGalleryConfig(
      `title: trained\nexhibits:\n  - id: ${TINYSTORIES_EXHIBIT_ID}\n    title: TinyStories\n    model: { path: ${JSON.stringify(TINYSTORIES_MODEL)} }\n    corpus: vocabulary\n` +
        `  - id: without-neighbors\n    title: Off\n    model: { path: ${JSON.stringify(TINYSTORIES_MODEL)} }\n    corpus: vocabulary\n    neighbors: false\n`,
      join(root, 'gallery.config.yaml'),
    );
    await precompute({ config, env: { ...hubEnvironment(), offline: true }, workspace: { cacheDir: join(root, 'cache'), exhibitsDir: join(root, 'exhibits') } });
    const folder = join(root, 'exhibits', TINYSTORIES_EXHIBIT_ID);
    manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    points = readExhibit(readFileSync(join(folder, 'points.bin')));
    neighbors = readNeighbors(readFileSync(join(folder, 'neighbors.bin')), points.count);
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** The words (trimmed text) of the top `n` neighbours of the token `piece`. */
  const nearestWords = (piece: string, n = 5): string[] => {
    const i = points.pieces.indexOf(piece);
    expect(i, `${piece} is on the map`).toBeGreaterThanOrEqual(0);
    return Array.from(neighbors.refs.subarray(i * neighbors.k, i * neighbors.k + n), (ref) =>
      (ref < points.count ? points.texts[ref] : neighbors.extra.texts[ref - points.count]).trim(),
    );
  };

  it('is built from the whole vocabulary, with tied embeddings and no word-start marker', () => {
    expect(manifest.tokens.shown).toBe(2048);
    expect(manifest.model).toMatchObject({ dtype: 'BF16', hiddenSize: 128 });
    expect(manifest.neighbors).toMatchObject({ k: 10, metric: 'cosine', searchedRows: 2048 });
    expect(manifest.facets).toMatchObject({ wordStartMarker: 'none', undertrainedMethod: 'tied-norm' });
  });

  it('writes no neighbours where the config says neighbors: false', () => {
    const folder = join(root, 'exhibits', 'without-neighbors');
    const off = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as ExhibitManifest;
    expect(off.neighbors).toBeUndefined();
    expect(off.files.neighbors).toBeUndefined();
    expect(existsSync(join(folder, 'neighbors.bin'))).toBe(false);
    expect(readFileSync(join(folder, 'points.csv'), 'utf8').split('\r\n')[0]).toBe(
      'token_id,token,piece,count,x,y,z,length,script,word_start,byte,special,norm,undertrained_score,undertrained,pos',
    );
  });

  it('puts an animal near "cat"', () => {
    const words = nearestWords('cat▁');
    expect(words.some((w) => w !== 'cat' && ANIMALS.includes(w)), `cat's neighbours: ${words.join(', ')}`).toBe(true);
  });

  it('puts a name near "Lily"', () => {
    const words = nearestWords('Lily▁');
    expect(words.some((w) => w !== 'Lily' && NAMES.includes(w)), `Lily's neighbours: ${words.join(', ')}`).toBe(true);
  });

  it('puts verbs near "ran" and adjectives near "happy" (by the lexicon, not by a list)', () => {
    const verbs = nearestWords('ran▁').filter((w) => w !== 'ran' && partOfSpeech(w) === 'verb');
    expect(verbs.length, `ran's neighbours: ${nearestWords('ran▁').join(', ')}`).toBeGreaterThanOrEqual(2);
    const adjectives = nearestWords('happy▁').filter((w) => w !== 'happy' && partOfSpeech(w) === 'adjective');
    expect(adjectives.length, `happy's neighbours: ${nearestWords('happy▁').join(', ')}`).toBeGreaterThanOrEqual(2);
  });

  it('lists cat\'s nearest neighbour with a high cosine similarity, as a trained embedding has', () => {
    const i = points.pieces.indexOf('cat▁');
    expect(neighbors.similarities[i * neighbors.k]).toBeGreaterThan(0.5);
  });
});

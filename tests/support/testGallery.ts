/**
 * The gallery the site tests run against.
 *
 * `writeTestGallery(dir)` fills `dir` exactly as the precompute step fills the exhibits folder:
 * `gallery.json` plus `{id}/manifest.json`, `{id}/points.bin`, `{id}/points.csv` per exhibit.
 * Everything else in the tests reads those files to know what to expect, so the inside of this
 * function can be swapped for a run of the real pipeline (see `runFixturePipeline` below) without
 * touching the tests.
 *
 * Today it writes three synthetic exhibits from one made-up 32 000-token SentencePiece-style
 * vocabulary (Llama-2 sized):
 *  - `tiny-wikitext`: ~2 000 tokens of a "corpus", with Zipf-like counts (some above the clip),
 *    and every tricky token: `<s>`, `<0x0A>`, `▁Birmingham`, `irmingham`, `Switzerland`, markup,
 *    a bidi override, control characters;
 *  - `tiny-vocabulary`: the full vocabulary, 32 000 points, all counts 0;
 *  - `tiny-poems`: a few hundred tokens of a text-file corpus.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeExhibit } from '../../src/artifact/writeExhibit.ts';
import { EXHIBIT_FORMAT_VERSION } from '../../src/artifact/format.ts';
import {
  CSV_FILE,
  GALLERY_FILE,
  MANIFEST_FILE,
  POINTS_FILE,
  type ExhibitManifest,
  type GalleryIndex,
} from '../../src/artifact/manifest.ts';

/** The gallery config `runFixturePipeline` builds (the repository's own, served by the loopback Hub). */
export const FIXTURE_CONFIG = process.env.TOKENSCAPE_TEST_CONFIG ?? path.resolve(import.meta.dirname, '../../gallery.config.yaml');

export const TEST_VOCAB_SIZE = 32000;

/** Tokens every test gallery is expected to contain somewhere (tests look them up in the data). */
export const TRICKY_TEXTS = {
  birmingham: ' Birmingham',
  irmingham: 'irmingham',
  switzerland: 'Switzerland',
  img: '<img src=x onerror=alert(1)>',
  script: '<script>alert(1)</script>',
  bidi: '\u202Eevil\u202C',
  control: '\u001b[31mred',
} as const;

export async function writeTestGallery(dir: string): Promise<GalleryIndex> {
  const vocab = makeVocabulary();
  const rng = mulberry32(20240611);
  const embed = makePositions(vocab.texts.length, rng);

  const exhibits: ExhibitManifest[] = [];

  // 1. A small corpus exhibit with every tricky token in it.
  {
    const chosen = new Set<number>([1, 2, 13, 14, 10, 30, 31]);
    for (const id of Object.values(vocab.named)) chosen.add(id);
    while (chosen.size < 2000) chosen.add(259 + Math.floor(rng() * (TEST_VOCAB_SIZE - 259)));
    const ids = Uint32Array.from([...chosen].sort((a, b) => a - b));
    // Zipf-like counts over a random ranking; the top ranks exceed the colour clip of 100.
    const order = [...ids.keys()].sort(() => rng() - 0.5);
    const counts = new Uint32Array(ids.length);
    order.forEach((index, rank) => (counts[index] = Math.max(1, Math.floor(8000 / (rank + 1) ** 1.05))));
    counts[ids.indexOf(vocab.named.switzerland)] = 42;
    counts[ids.indexOf(vocab.named.birmingham)] = 317;
    exhibits.push(
      await writeExhibit(dir, vocab, embed, ids, counts, {
        id: 'tiny-wikitext',
        title: 'Tiny Llama × WikiText',
        corpus: {
          kind: 'dataset',
          label: 'Salesforce/wikitext (wikitext-2-raw-v1) train[:1%]',
          dataset: 'Salesforce/wikitext',
          config: 'wikitext-2-raw-v1',
          split: 'train[:1%]',
          column: 'text',
          rows: 367,
        },
        fit: 'corpus',
        variance: [0.112, 0.071, 0.049],
        description: 'Tokens of the *first percent* of WikiText-2.',
      }),
    );
  }

  // 2. The whole vocabulary: 32 000 points, no counts.
  {
    const ids = Uint32Array.from({ length: TEST_VOCAB_SIZE }, (_, i) => i);
    exhibits.push(
      await writeExhibit(dir, vocab, embed, ids, new Uint32Array(ids.length), {
        id: 'tiny-vocabulary',
        title: 'Tiny Llama: the whole vocabulary',
        corpus: { kind: 'vocabulary', label: 'Full vocabulary' },
        fit: 'vocabulary',
        variance: [0.0412, 0.0305, 0.0251],
      }),
    );
  }

  // 3. A few hundred tokens of a small text file.
  {
    const chosen = new Set<number>([1, 13, vocab.named.switzerland]);
    while (chosen.size < 400) chosen.add(259 + Math.floor(rng() * 4000));
    const ids = Uint32Array.from([...chosen].sort((a, b) => a - b));
    const counts = Uint32Array.from(ids, () => 1 + Math.floor(rng() ** 3 * 60));
    exhibits.push(
      await writeExhibit(dir, vocab, embed, ids, counts, {
        id: 'tiny-poems',
        title: 'Tiny Llama × a page of poems',
        corpus: { kind: 'file', label: 'poems.txt', file: 'poems.txt', rows: 48 },
        fit: 'corpus',
        variance: [0.154, 0.097, 0.066],
      }),
    );
  }

  // `description` is optional markdown copied from the config, as the precompute step writes it.
  const gallery: GalleryIndex & { description?: string } = {
    title: 'Tokenscape test gallery',
    description: 'Made-up tokens for **testing** the site.',
    exhibits,
  };
  await writeFile(path.join(dir, GALLERY_FILE), JSON.stringify(gallery, null, 2));
  return gallery;
}

/**
 * The real thing: `FIXTURE_CONFIG` built by the precompute pipeline against the loopback Hub
 * (scripts/loopback-hub/) serving the shared fixtures, written into `dir`. Used by the browser
 * suite when TOKENSCAPE_TEST_GALLERY=pipeline (tests/support/siteSetup.ts); to make it the
 * default, call it from `writeTestGallery`. Needs ../shared/fixtures (TOKENSCAPE_FIXTURES).
 */
export async function runFixturePipeline(dir: string, config = FIXTURE_CONFIG): Promise<GalleryIndex> {
  const { mkdtemp, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { buildFixtureMirror } = await import('../../scripts/loopback-hub/fixtureMirror.ts');
  const { startLoopbackHub } = await import('../../scripts/loopback-hub/server.ts');
  const { loadGalleryConfig } = await import('../../src/config/index.ts');
  const { precompute } = await import('../../src/pipeline/precompute.ts');
  const work = await mkdtemp(path.join(tmpdir(), 'tks-fixture-pipeline-'));
  const mirror = path.join(work, 'hub-root');
  await buildFixtureMirror(mirror);
  const hub = await startLoopbackHub({ root: mirror });
  try {
    await precompute({
      config: await loadGalleryConfig(config),
      env: { endpoint: hub.url, token: null, cacheDir: path.join(work, 'hf-home', 'hub'), offline: false, urlMirror: `${hub.url}/urls` },
      workspace: { cacheDir: path.join(work, 'cache'), exhibitsDir: dir },
    });
  } finally {
    await hub.close();
    await rm(work, { recursive: true, force: true });
  }
  return JSON.parse(await readFile(path.join(dir, GALLERY_FILE), 'utf8')) as GalleryIndex;
}

// ---------------------------------------------------------------------------------------------

interface Vocabulary {
  texts: string[];
  pieces: string[];
  special: boolean[];
  byteToken: boolean[];
  named: Record<keyof typeof TRICKY_TEXTS, number>;
}

function makeVocabulary(): Vocabulary {
  const texts: string[] = [];
  const pieces: string[] = [];
  const special: boolean[] = [];
  const byteToken: boolean[] = [];
  const add = (text: string, piece: string, isSpecial = false, isByte = false) => {
    texts.push(text);
    pieces.push(piece);
    special.push(isSpecial);
    byteToken.push(isByte);
    return texts.length - 1;
  };
  add('<unk>', '<unk>', true);
  add('<s>', '<s>', true);
  add('</s>', '</s>', true);
  for (let b = 0; b < 256; b++) {
    const hex = b.toString(16).toUpperCase().padStart(2, '0');
    add(b < 0x80 ? String.fromCharCode(b) : '\uFFFD', `<0x${hex}>`, false, true);
  }
  const used = new Set<string>(pieces);
  const rng = mulberry32(7);
  const syllables =
    'an ber ch de el en er es ing ion is it la le li lo ma me mi na ne no on or ou ra re ri ro sa se st ta te th ti to tr un ur us ve wa we'.split(
      ' ',
    );
  const reserved = new Map<number, string>([
    [5000, TRICKY_TEXTS.birmingham],
    [5001, TRICKY_TEXTS.irmingham],
    [5002, TRICKY_TEXTS.switzerland],
    [31990, TRICKY_TEXTS.img],
    [31991, TRICKY_TEXTS.script],
    [31992, TRICKY_TEXTS.bidi],
    [31993, TRICKY_TEXTS.control],
  ]);
  while (texts.length < TEST_VOCAB_SIZE) {
    const id = texts.length;
    const fixed = reserved.get(id);
    if (fixed !== undefined) {
      add(fixed, fixed.replaceAll(' ', '\u2581'));
      continue;
    }
    let word = '';
    do {
      const n = 1 + Math.floor(rng() * 3);
      word = '';
      for (let i = 0; i < n; i++) word += syllables[Math.floor(rng() * syllables.length)];
      if (rng() < 0.15) word = word[0].toUpperCase() + word.slice(1);
      if (rng() < 0.6) word = ` ${word}`;
      if (rng() < 0.02) word += String(Math.floor(rng() * 100));
    } while (used.has(word.replaceAll(' ', '\u2581')));
    used.add(word.replaceAll(' ', '\u2581'));
    add(word, word.replaceAll(' ', '\u2581'));
  }
  const named = Object.fromEntries(
    Object.entries(TRICKY_TEXTS).map(([k, text]) => [k, texts.indexOf(text)]),
  ) as Vocabulary['named'];
  return { texts, pieces, special, byteToken, named };
}

/** Anisotropic Gaussian blobs: PC1 spreads most, PC3 least, like a real PCA. */
function makePositions(n: number, rng: () => number): Float64Array {
  const centres = Array.from({ length: 9 }, () => [gauss(rng) * 3, gauss(rng) * 2, gauss(rng) * 1.4]);
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(rng() * centres.length)];
    out[i * 3] = c[0] + gauss(rng) * 1.2;
    out[i * 3 + 1] = c[1] + gauss(rng) * 0.9;
    out[i * 3 + 2] = c[2] + gauss(rng) * 0.7;
  }
  return out;
}

interface ExhibitSpec {
  description?: string;
  id: string;
  title: string;
  corpus: ExhibitManifest['corpus'];
  fit: 'corpus' | 'vocabulary';
  variance: [number, number, number];
}

async function writeExhibit(
  dir: string,
  vocab: Vocabulary,
  embed: Float64Array,
  ids: Uint32Array,
  counts: Uint32Array,
  spec: ExhibitSpec,
): Promise<ExhibitManifest> {
  const n = ids.length;
  const positions = new Float64Array(n * 3);
  ids.forEach((id, i) => positions.set(embed.subarray(id * 3, id * 3 + 3), i * 3));
  const pick = <T>(all: T[]) => Array.from(ids, (id) => all[id]);
  const texts = pick(vocab.texts);
  const pieces = pick(vocab.pieces);
  const bytes = encodeExhibit({
    ids,
    positions,
    counts,
    texts,
    pieces,
    special: pick(vocab.special),
    byteToken: pick(vocab.byteToken),
  });
  const csv = toCsv(ids, positions, counts, texts, pieces);
  const exhibitDir = path.join(dir, spec.id);
  await mkdir(exhibitDir, { recursive: true });
  await writeFile(path.join(exhibitDir, POINTS_FILE), bytes);
  await writeFile(path.join(exhibitDir, CSV_FILE), csv);
  let total = 0;
  for (const c of counts) total += c;
  const manifest: ExhibitManifest & { description?: string } = {
    formatVersion: EXHIBIT_FORMAT_VERSION,
    id: spec.id,
    title: spec.title,
    ...(spec.description ? { description: spec.description } : {}),
    model: {
      id: 'tokenscape-test/tiny-llama',
      source: 'hub',
      revision: 'main',
      commit: '0123456789abcdef0123456789abcdef01234567',
      tensor: 'model.embed_tokens.weight',
      dtype: 'F16',
      vocabSize: TEST_VOCAB_SIZE,
      hiddenSize: 64,
    },
    corpus: spec.corpus,
    tokens: {
      total,
      unique: spec.corpus.kind === 'vocabulary' ? 0 : n,
      shown: n,
      includeSpecial: true,
    },
    projection: {
      method: 'pca',
      fit: spec.fit,
      fitRows: n,
      explainedVarianceRatio: spec.variance,
    },
    color: { clip: 100 },
    files: { points: POINTS_FILE, csv: CSV_FILE, pointsBytes: bytes.length, csvBytes: Buffer.byteLength(csv) },
    cacheKey: `test-${spec.id}-${n}`,
  };
  await writeFile(path.join(exhibitDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return manifest;
}

/** docs/format.md: `token_id,token,piece,count,x,y,z`, RFC 4180, CRLF, strings always quoted. */
function toCsv(
  ids: Uint32Array,
  positions: Float64Array,
  counts: Uint32Array,
  texts: string[],
  pieces: string[],
): string {
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const lines = ['token_id,token,piece,count,x,y,z'];
  ids.forEach((id, i) => {
    const p = positions.subarray(i * 3, i * 3 + 3);
    lines.push([id, q(texts[i]), q(pieces[i]), counts[i], p[0], p[1], p[2]].join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gauss(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

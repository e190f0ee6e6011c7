/**
 * The gallery the browser suite runs against, built by the real precompute pipeline.
 *
 * `buildTestGallery(exhibitsDir, workDir)`:
 *  1. writes a local model folder into `workDir` (`writeHostileModel`): a real Hugging Face
 *     tokenizer (`tokenizer.json` with a WordLevel model and a Whitespace pre-tokenizer,
 *     `tokenizer_config.json`), `config.json` and an F32 `model.safetensors` whose
 *     `model.embed_tokens.weight` has one random row per token. The vocabulary holds ordinary
 *     words, words that are JavaScript property names (`constructor`, `__proto__`, …) and
 *     `HOSTILE_TOKENS`: markup and script payloads, a bidi override, control characters, a
 *     zero-width joiner, a 400-character token. The payloads are added tokens (as in real
 *     tokenizers' added vocabulary), so the tokenizer keeps them whole, spaces and all; a corpus
 *     file uses each of them a known number of times;
 *  2. writes a config (`writeTestConfig`): the repository's gallery.config.yaml (LLaMA-2 stand-in ×
 *     WikiText-2 parquet / Divine Comedy URL / full vocabulary) plus the hostile exhibit
 *     (`model: { path }`, `corpus: { file }`) and a markdown description;
 *  3. runs `runFixturePipeline`: precompute against the loopback Hub (scripts/loopback-hub/) that
 *     serves `buildFixtureMirror`'s copy of ../shared/fixtures.
 *
 * The tests read what to expect from the files this writes (gallery.json, manifests, points.bin,
 * points.csv); only the hostile tokens and how often the corpus uses them are known up front.
 */
import { mulberry32 } from '../../src/projection/seededRandom.ts';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { GALLERY_FILE, type GalleryIndex } from '../../src/artifact/manifest.ts';
import { fixture } from './fixtures.ts';
import { encodeSafetensors } from './safetensors.ts';

/** The repository's gallery config: the exhibits the loopback Hub can serve. */
export const FIXTURE_CONFIG = process.env.TOKENSCAPE_TEST_CONFIG ?? path.resolve(import.meta.dirname, '../../gallery.config.yaml');

export const HOSTILE_EXHIBIT_ID = 'hostile-tokens';
/** A real trained model (TinyStories-656K, ../shared/fixtures/models), its whole 2048-token vocabulary. */
export const TINYSTORIES_EXHIBIT_ID = 'tinystories-656k';
export const TINYSTORIES_MODEL = fixture('models', 'tinystories-656k');
/** Markup and quotes in the exhibit's title too (config text, shown by Astro templates). */
export const HOSTILE_EXHIBIT_TITLE = 'Hostile tokens: <img src=x onerror=window.__pwned=99> & "quotes" in a vocabulary';
export const TEST_GALLERY_DESCRIPTION = 'Built by the test suite from the **shared fixtures** and a local model with hostile tokens.';
export const HOSTILE_EXHIBIT_DESCRIPTION = 'A tokenizer whose vocabulary holds *script payloads*: they must show as text.';

export interface HostileToken {
  /** What it tries (test names). */
  name: string;
  text: string;
  /** How many times the corpus file uses it (its count in the exhibit). */
  occurrences: number;
}

const hostile: [string, string][] = [
  ['script element', '<script>alert(1)</script>'],
  ['img onerror', '<img src=x onerror=alert(1)>'],
  ['img onerror sentinel', '<img src=x onerror=window.__pwned=1>'],
  ['javascript: URL', 'javascript:alert(1)'],
  ['svg onload after a closing quote', '"><svg onload=alert(1)>'],
  ['svg onload sentinel', "'><svg/onload=window.__pwned=2>"],
  ['iframe with a javascript: src', '<iframe src="javascript:window.__pwned=3">'],
  ['textarea end tag', '</textarea>'],
  ['template braces', '{{constructor}}'],
  ['template literal', '${alert(1)}'],
  ['HTML entities', '&lt;b&gt;&amp;'],
  ['bidi override', '\u202Eevil'],
  ['BEL control character', '\u0007'],
  ['ANSI escape sequence', '\u001b[31m'],
  ['zero-width joiner', 'zero\u200Djoiner'],
  ['tab', 'tab\there'],
  ['CSV quotes and commas', 'a,"b",c'],
  ['400 characters', 'Supercalifragilistic'.repeat(20)],
];

/** The payload tokens of the hostile exhibit; each is used `occurrences` times in its corpus. */
export const HOSTILE_TOKENS: readonly HostileToken[] = hostile.map(([name, text], k) => ({ name, text, occurrences: 2 + k }));

/** Ordinary words, and words that are names of JavaScript object properties. */
export const HOSTILE_MODEL_WORDS = [
  'the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'to', 'big', 'red', 'house', 'and', 'small', 'blue', 'car',
  'in', 'rain', 'sun', 'moon', 'star', 'tree', 'river', 'stone', 'bird', 'sang', 'song', 'night', 'day', 'light',
  'constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
];
const SPECIAL = ['<unk>', '<s>', '</s>'];
export const HOSTILE_HIDDEN_SIZE = 8;

/** The vocabulary, in id order: special tokens, words, payloads. */
export function hostileVocabulary(): string[] {
  return [...SPECIAL, ...HOSTILE_MODEL_WORDS, ...HOSTILE_TOKENS.map((t) => t.text)];
}

/**
 * Writes `dir/hostile-model/` (Hugging Face layout) and `dir/hostile-corpus.txt`; returns their
 * paths. Deterministic (seeded random embedding rows).
 */
export async function writeHostileModel(dir: string): Promise<{ modelDir: string; corpusFile: string }> {
  const vocab = hostileVocabulary();
  const firstPayload = SPECIAL.length + HOSTILE_MODEL_WORDS.length;
  const modelDir = path.join(dir, 'hostile-model');
  await mkdir(modelDir, { recursive: true });
  const addedToken = (content: string, id: number, special: boolean) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special,
  });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      ...SPECIAL.map((content, id) => addedToken(content, id, true)),
      ...HOSTILE_TOKENS.map((t, k) => addedToken(t.text, firstPayload + k, false)),
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(vocab.map((w, i) => [w, i])), unk_token: '<unk>' },
  };
  const rng = mulberry32(0x70c5);
  const rows = vocab.length;
  const values = Float32Array.from({ length: rows * HOSTILE_HIDDEN_SIZE }, () => gauss(rng));
  await writeFile(path.join(modelDir, 'tokenizer.json'), JSON.stringify(tokenizer, null, 1));
  await writeFile(
    path.join(modelDir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'PreTrainedTokenizerFast',
      unk_token: '<unk>',
      bos_token: '<s>',
      eos_token: '</s>',
      clean_up_tokenization_spaces: false,
    }),
  );
  await writeFile(
    path.join(modelDir, 'config.json'),
    JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: rows, hidden_size: HOSTILE_HIDDEN_SIZE }),
  );
  await writeFile(
    path.join(modelDir, 'model.safetensors'),
    encodeSafetensors({
      'model.embed_tokens.weight': { dtype: 'F32', shape: [rows, HOSTILE_HIDDEN_SIZE], values },
      'model.norm.weight': { dtype: 'F32', shape: [HOSTILE_HIDDEN_SIZE], values: new Float32Array(HOSTILE_HIDDEN_SIZE).fill(1) },
    }),
  );

  // The corpus: lines of ordinary words with the payloads mixed in, each payload `occurrences`
  // times, every word at least once (so every token of the vocabulary but the special ones shows).
  const pool: string[] = [];
  HOSTILE_MODEL_WORDS.forEach((w, k) => {
    for (let i = 0; i < 1 + (k % 5); i++) pool.push(w);
  });
  for (const t of HOSTILE_TOKENS) for (let i = 0; i < t.occurrences; i++) pool.push(t.text);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const lines: string[] = [];
  for (let i = 0; i < pool.length; i += 7) lines.push(pool.slice(i, i + 7).join(' '));
  const corpusFile = path.join(dir, 'hostile-corpus.txt');
  await writeFile(corpusFile, `${lines.join('\n')}\n`);
  return { modelDir, corpusFile };
}

/**
 * `dir/gallery.config.yaml`: the repository's config with a gallery description and the hostile
 * exhibit (its model folder and corpus written next to it) appended.
 */
export async function writeTestConfig(dir: string, base = FIXTURE_CONFIG): Promise<string> {
  await writeHostileModel(dir);
  const doc = parseDocument(await readFile(base, 'utf8'));
  doc.set('description', TEST_GALLERY_DESCRIPTION);
  const exhibits = doc.get('exhibits') as { add(value: unknown): void };
  exhibits.add(
    doc.createNode({
      id: HOSTILE_EXHIBIT_ID,
      title: HOSTILE_EXHIBIT_TITLE,
      description: HOSTILE_EXHIBIT_DESCRIPTION,
      model: { path: './hostile-model' },
      corpus: { file: './hostile-corpus.txt' },
    }),
  );
  exhibits.add(
    doc.createNode({
      id: TINYSTORIES_EXHIBIT_ID,
      title: 'TinyStories-656K: the whole vocabulary of a trained model',
      model: { path: TINYSTORIES_MODEL },
      corpus: 'vocabulary',
    }),
  );
  const file = path.join(dir, 'gallery.config.yaml');
  await writeFile(file, doc.toString());
  return file;
}

/** The browser suite's gallery: `writeTestConfig` built by `runFixturePipeline` into `exhibitsDir`. */
export async function buildTestGallery(exhibitsDir: string, workDir: string): Promise<GalleryIndex> {
  return runFixturePipeline(exhibitsDir, await writeTestConfig(workDir));
}

/**
 * A gallery config built by the precompute pipeline against the loopback Hub
 * (scripts/loopback-hub/) serving the shared fixtures, written into `dir`. Needs
 * ../shared/fixtures (TOKENSCAPE_FIXTURES).
 */
export async function runFixturePipeline(dir: string, config = FIXTURE_CONFIG): Promise<GalleryIndex> {
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

function gauss(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

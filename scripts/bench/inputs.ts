/**
 * Benchmark inputs, made once and kept in .tokenscape-cache/bench/: LLaMA-shaped synthetic embeddings
 * (the peer's own generator, make_synthetic.py, when Debian's numpy is there, so both sides read the same
 * bytes), each in a local model folder with a tokenizer of the right size.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EmbeddingFile } from '../../src/embeddings/embeddingFile.ts';
import { parseSafetensorsHeader, readHeaderLength } from '../../src/embeddings/safetensorsHeader.ts';
import { buildSyntheticModel } from '../loopback-hub/fixtureMirror.ts';

export const BENCH_DIR = resolve(process.env.TOKENSCAPE_CACHE ?? '.tokenscape-cache', 'bench');
export const FIXTURES = resolve(process.env.TOKENSCAPE_FIXTURES ?? '../shared/fixtures');
export const PYTHON = '/usr/bin/python3';
export const PEER_DIR = resolve(FIXTURES, '..', 'peer');

export function pythonHas(...modules: string[]): boolean {
  try {
    execFileSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface BenchModel {
  folder: string;
  weights: string;
  rows: number;
  dims: number;
  dtype: 'F16' | 'BF16';
  tensorBytes: number;
}

/**
 * A WordLevel tokenizer with `rows` made-up tokens, for vocabulary sizes the fixtures have no tokenizer for
 * (LLaMA-3's 128256); a full-vocabulary exhibit never encodes text, it only names the tokens.
 */
function writeSyntheticTokenizer(folder: string, rows: number): void {
  const vocab: Record<string, number> = { '<unk>': 0, '<|begin_of_text|>': 1, '<|end_of_text|>': 2 };
  for (let i = 3; i < rows; i++) vocab[i % 3 === 0 ? `Ġtok${i}` : `tok${i}`] = i;
  writeFileSync(
    join(folder, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      added_tokens: [1, 2].map((id) => ({ id, content: id === 1 ? '<|begin_of_text|>' : '<|end_of_text|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
    }),
  );
  writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>', unk_token: '<unk>' }));
}

export async function ensureBenchModel(name: string, rows: number, dims: number, dtype: 'F16' | 'BF16', log: (s: string) => void): Promise<BenchModel> {
  const folder = join(BENCH_DIR, name);
  const weights = join(folder, 'model.safetensors');
  mkdirSync(folder, { recursive: true });
  if (!existsSync(weights)) {
    log(`making ${rows} × ${dims} ${dtype} synthetic embeddings (once) …`);
    if (pythonHas('numpy') && existsSync(join(PEER_DIR, 'make_synthetic.py'))) {
      const temp = `${weights}.partial-${process.pid}`;
      execFileSync(PYTHON, [join(PEER_DIR, 'make_synthetic.py'), '--rows', String(rows), '--dim', String(dims), '--dtype', dtype, '--out', temp], { stdio: 'ignore' });
      renameSync(temp, weights);
    } else {
      const made = await buildSyntheticModel(join(BENCH_DIR, 'hub'), `bench/${name}`, { vocab: rows, hidden: dims, dtype, seed: 1, lmHead: false });
      renameSync(made.file, weights);
    }
  }
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: rows, hidden_size: dims }));
  if (rows === 32000) {
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model']) {
      copyFileSync(join(FIXTURES, 'tokenizers', 'llama2', f), join(folder, f));
    }
  } else {
    writeSyntheticTokenizer(folder, rows);
  }
  return { folder, weights, rows, dims, dtype, tensorBytes: rows * dims * 2 };
}

/** The (first) tensor of a bench safetensors file, read where it lies. */
export function embeddingOf(weights: string): EmbeddingFile {
  const fd = openSync(weights, 'r');
  const prefix = new Uint8Array(8);
  readSync(fd, prefix, 0, 8, 0);
  const headerBytes = new Uint8Array(readHeaderLength(prefix, weights));
  readSync(fd, headerBytes, 0, headerBytes.length, 8);
  closeSync(fd);
  const t = [...parseSafetensorsHeader(headerBytes, weights, null).tensors.values()][0];
  return new EmbeddingFile(weights, t.dtype, t.shape[0], t.shape[1], t.name, t.begin);
}

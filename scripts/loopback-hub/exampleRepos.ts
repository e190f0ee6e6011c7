/**
 * Stand-ins for the repos that examples/*.yaml name, for the loopback Hub: each has the real repo id,
 * the family's real tokenizer files from ../shared/fixtures where they exist, a config.json of the real
 * architecture, and synthetic weights with the real vocabulary size and a small hidden size, laid out
 * under the tensor names (and tying) the real checkpoint uses. `tsx scripts/loopback-hub/cli.ts --fixtures`
 * serves them beside the LLaMA-2 stand-in, so every example builds offline.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { f32ToBf16Bits, f32ToF16Bits, resolveFixtures, Rng, safetensorsHeader, type Dtype, type TensorSpec } from './fixtureMirror.ts';

export interface ExampleRepo {
  id: string;
  /** Files copied from the fixtures: repo path → fixture path. */
  copy: Record<string, string>;
  /** Files written as they are: repo path → content. */
  write?: Record<string, string>;
  config: Record<string, unknown>;
  /** Weight tensors (rows = vocabulary for embeddings), by shard file. */
  shards: Record<string, { name: string; dtype: Dtype; shape: number[] }[]>;
  readme: string;
  /** Files made by a function (a GGUF stand-in): repo path → bytes. */
  make?: Record<string, (rng: Rng) => Promise<Uint8Array>>;
}

const H = 8; // hidden size of every stand-in: real vocabularies, tiny widths

/** The Gemma vocabulary is not among the fixtures: a 256000-piece SentencePiece stand-in (LLaMA-2's pieces, then <unusedN>). */
async function gemmaStandInTokenizer(fixtures: string): Promise<Record<string, string>> {
  const { sentencePieceBpeFiles } = await import('../../src/tokens/sentencepieceFromScores.ts');
  const { readLlama2cTokenizer } = await import('../../src/tokens/llama2cTokenizer.ts');
  const base = await readLlama2cTokenizer(path.join(fixtures, 'models/llama2c/llama2-tokenizer/tokenizer.bin'), 'tokenizer.bin');
  const pieces = [...base.pieces];
  const scores = Array.from(base.scores);
  // Plain pieces that no text produces (a quarter million added tokens would make every encoder scan them).
  for (let i = 0; pieces.length < 256000; i++) {
    pieces.push(`<unused${i}>`);
    scores.push(-1e6 - i);
  }
  const files = sentencePieceBpeFiles({ pieces, scores, unkId: 0, bosId: 1, eosId: 2 });
  return { ...files, 'README-tokenizer.md': 'Stand-in: LLaMA-2 pieces padded with <unusedN> to Gemma\'s 256000; the real Gemma tokenizer is not in the fixtures.\n' };
}

/**
 * A llama.cpp Q4_K_M GGUF of LLaMA-2: the vocabulary metadata of llama.cpp's ggml-vocab-llama-spm.gguf, then
 * token_embd.weight in Q4_K and output.weight in Q6_K (what Q4_K_M files hold), 32000 × 256 (K-quant blocks
 * span 256 values of a row, so the hidden size cannot be smaller). Block scales are small and finite; the
 * quantised values are random.
 */
async function llama2Q4KmGguf(fixtures: string, rng: Rng): Promise<Uint8Array> {
  const { parseGgufHeader } = await import('../../src/gguf/ggufHeader.ts');
  const { encodeGguf } = await import('../../tests/support/ggufFile.ts');
  const vocab = parseGgufHeader(new Uint8Array(await fsp.readFile(path.join(fixtures, 'gguf/ggml-vocab-llama-spm.gguf'))), 'ggml-vocab-llama-spm.gguf');
  const get = (key: string) => vocab.metadata.get(key);
  const rows = 32000;
  const cols = 256;
  const blocks = (bytesPerBlock: number, scaleAt: number[]) => {
    const data = rng.bytes(rows * bytesPerBlock);
    const scale = f32ToF16Bits(0.002);
    for (let b = 0; b < rows; b++) for (const at of scaleAt) data.writeUInt16LE(scale, b * bytesPerBlock + at);
    return new Uint8Array(data);
  };
  return encodeGguf({
    metadata: [
      { key: 'general.architecture', type: 'str', value: 'llama' },
      { key: 'general.name', type: 'str', value: 'LLaMA v2 (loopback stand-in)' },
      { key: 'general.file_type', type: 'u32', value: 15 }, // MOSTLY_Q4_K_M
      { key: 'llama.embedding_length', type: 'u32', value: cols },
      { key: 'llama.context_length', type: 'u32', value: 4096 },
      { key: 'tokenizer.ggml.model', type: 'str', value: 'llama' },
      { key: 'tokenizer.ggml.tokens', type: 'arr', of: 'str', value: get('tokenizer.ggml.tokens') as string[] },
      { key: 'tokenizer.ggml.scores', type: 'arr', of: 'f32', value: get('tokenizer.ggml.scores') as Float32Array },
      { key: 'tokenizer.ggml.token_type', type: 'arr', of: 'i32', value: get('tokenizer.ggml.token_type') as Int32Array },
      { key: 'tokenizer.ggml.bos_token_id', type: 'u32', value: 1 },
      { key: 'tokenizer.ggml.eos_token_id', type: 'u32', value: 2 },
      { key: 'tokenizer.ggml.unknown_token_id', type: 'u32', value: 0 },
    ],
    tensors: [
      // Q4_K block: f16 d, f16 dmin, 12 scale bytes, 128 bytes of 4-bit values. Q6_K: 128 + 64 + 16 bytes, then f16 d.
      { name: 'token_embd.weight', dims: [cols, rows], type: 12, data: blocks(144, [0, 2]) },
      { name: 'output.weight', dims: [cols, rows], type: 14, data: blocks(210, [208]) },
    ],
  });
}

export async function exampleRepos(fixtures: string): Promise<ExampleRepo[]> {
  const tok = (folder: string, ...names: string[]) => Object.fromEntries(names.map((n) => [n, `tokenizers/${folder}/${n}`]));
  const bf16 = (name: string, shape: number[]) => ({ name, dtype: 'BF16' as Dtype, shape });
  const f32 = (name: string, shape: number[]) => ({ name, dtype: 'F32' as Dtype, shape });
  return [
    {
      id: 'TheBloke/Llama-2-7B-GGUF',
      copy: {},
      config: { model_type: 'llama' },
      shards: {},
      make: { 'llama-2-7b.Q4_K_M.gguf': (rng) => llama2Q4KmGguf(fixtures, rng) },
      readme: 'Llama-2-7B-GGUF stand-in: one Q4_K_M file with the real LLaMA-2 vocabulary in its metadata and random K-quant blocks of 32000 × 256.',
    },
    {
      id: 'meta-llama/Meta-Llama-3-8B',
      // Only the tiktoken form of the LLaMA-3 vocabulary is in the fixtures (the repo's original/ folder).
      copy: { 'original/tokenizer.model': 'tokenizers/llama3/original/tokenizer.model', 'tokenizer_config.json': 'tokenizers/llama3/tokenizer_config.json' },
      config: { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: H, vocab_size: 128256, tie_word_embeddings: false, torch_dtype: 'bfloat16' },
      shards: {
        'model-00001-of-00002.safetensors': [bf16('model.embed_tokens.weight', [128256, H]), bf16('model.norm.weight', [H])],
        'model-00002-of-00002.safetensors': [bf16('lm_head.weight', [128256, H])],
      },
      readme: 'Meta-Llama-3-8B stand-in: the real tiktoken vocabulary (original/tokenizer.model), untied BF16 weights of hidden size 8.',
    },
    {
      id: 'Qwen/Qwen2.5-7B',
      copy: tok('qwen2.5', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'added_tokens.json', 'special_tokens_map.json'),
      // 151665 tokens, 152064 embedding rows (padded), as in the real model.
      config: { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: H, vocab_size: 152064, tie_word_embeddings: false, torch_dtype: 'bfloat16' },
      shards: { 'model.safetensors': [bf16('lm_head.weight', [152064, H]), bf16('model.embed_tokens.weight', [152064, H]), bf16('model.norm.weight', [H])] },
      readme: 'Qwen2.5-7B stand-in: the real vocab.json + merges.txt, untied BF16 weights of hidden size 8.',
    },
    {
      id: 'mistralai/Mistral-7B-v0.1',
      copy: tok('mistral-7b-v0.1', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model'),
      config: { architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_size: H, vocab_size: 32000, tie_word_embeddings: false, torch_dtype: 'bfloat16' },
      shards: {
        'model-00001-of-00002.safetensors': [bf16('model.embed_tokens.weight', [32000, H]), bf16('model.layers.0.input_layernorm.weight', [H])],
        'model-00002-of-00002.safetensors': [bf16('lm_head.weight', [32000, H]), bf16('model.norm.weight', [H])],
      },
      readme: 'Mistral-7B-v0.1 stand-in: real tokenizer, BF16 weights of hidden size 8, sharded and untied like the real repo.',
    },
    {
      id: 'google/gemma-2-2b',
      copy: {},
      write: await gemmaStandInTokenizer(fixtures),
      config: { architectures: ['Gemma2ForCausalLM'], model_type: 'gemma2', hidden_size: H, vocab_size: 256000, tie_word_embeddings: true, torch_dtype: 'float32' },
      // Tied, as the real one: only the input embedding is stored.
      shards: { 'model.safetensors': [f32('model.embed_tokens.weight', [256000, H]), f32('model.norm.weight', [H])] },
      readme: 'Gemma-2-2B stand-in: tied F32 embedding of 256000 × 8; the tokenizer is a stand-in of the same size (see README-tokenizer.md).',
    },
    {
      id: 'microsoft/Phi-3-mini-4k-instruct',
      copy: tok('phi-3-mini', 'tokenizer.json', 'tokenizer_config.json'),
      // The embedding has 32064 rows; the tokenizer 32011 tokens (LLaMA-2 + added), as in the real model.
      config: { architectures: ['Phi3ForCausalLM'], model_type: 'phi3', hidden_size: H, vocab_size: 32064, tie_word_embeddings: false, torch_dtype: 'bfloat16' },
      shards: { 'model.safetensors': [bf16('lm_head.weight', [32064, H]), bf16('model.embed_tokens.weight', [32064, H]), bf16('model.norm.weight', [H])] },
      readme: 'Phi-3-mini-4k-instruct stand-in: real tokenizer, untied BF16 weights of hidden size 8.',
    },
    {
      id: 'openai-community/gpt2',
      copy: tok('gpt2-merges-as-pairs', 'tokenizer.json', 'tokenizer_config.json'),
      // GPT-2's safetensors store the tied embedding as wte.weight, with no prefix and no lm_head.
      config: { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: H, vocab_size: 50257, n_positions: 1024 },
      shards: { 'model.safetensors': [f32('wpe.weight', [1024, H]), f32('wte.weight', [50257, H]), f32('ln_f.weight', [H])] },
      readme: 'GPT-2 stand-in: real tokenizer, tied F32 weights of hidden size 8 under the real names (wte.weight).',
    },
    {
      id: 'google-bert/bert-base-uncased',
      copy: tok('bert-base-uncased', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'),
      config: { architectures: ['BertForMaskedLM'], model_type: 'bert', hidden_size: H, vocab_size: 30522 },
      shards: {
        'model.safetensors': [f32('bert.embeddings.word_embeddings.weight', [30522, H]), f32('bert.embeddings.position_embeddings.weight', [512, H]), f32('cls.predictions.bias', [30522])],
      },
      readme: 'bert-base-uncased stand-in: real tokenizer, F32 weights of hidden size 8 under the real names.',
    },
  ];
}

/** Synthetic values with a clear principal structure: column c has standard deviation 1 / (1 + c). */
function tensorData(t: TensorSpec, rng: Rng): Uint8Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const cols = t.shape.at(-1)!;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal() / (1 + (i % cols));
  if (t.dtype === 'F32') return new Uint8Array(values.buffer);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = f32ToBf16Bits(values[i]);
  return new Uint8Array(out.buffer);
}

async function writeIfChanged(dest: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (fs.existsSync(dest) && (await fsp.readFile(dest)).equals(bytes)) return;
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const temp = `${dest}.tmp-${process.pid}`;
  await fsp.writeFile(temp, bytes);
  await fsp.rename(temp, dest);
}

/** Writes every example repo under `root/models/`; rerunning rewrites only what changed. */
export async function buildExampleRepos(root: string, fixtures?: string): Promise<string[]> {
  const fx = resolveFixtures(fixtures);
  const repos = await exampleRepos(fx);
  for (const [index, repo] of repos.entries()) {
    const dir = path.join(path.resolve(root), 'models', ...repo.id.split('/'));
    for (const [name, from] of Object.entries(repo.copy)) {
      const dest = path.join(dir, name);
      const src = path.join(fx, from);
      if (!fs.existsSync(dest) || fs.statSync(dest).size !== fs.statSync(src).size) {
        await fsp.mkdir(path.dirname(dest), { recursive: true });
        await fsp.copyFile(src, `${dest}.tmp-${process.pid}`);
        await fsp.chmod(`${dest}.tmp-${process.pid}`, 0o644);
        await fsp.rename(`${dest}.tmp-${process.pid}`, dest);
      }
    }
    for (const [name, text] of Object.entries(repo.write ?? {})) await writeIfChanged(path.join(dir, name), text);
    await writeIfChanged(path.join(dir, 'config.json'), `${JSON.stringify(repo.config, null, 2)}\n`);
    await writeIfChanged(path.join(dir, 'README.md'), `# ${repo.id} (loopback stand-in)\n\n${repo.readme}\n`);
    const rng = new Rng(0xe4a3 + index);
    for (const [name, make] of Object.entries(repo.make ?? {})) await writeIfChanged(path.join(dir, name), await make(rng));
    const weightMap: Record<string, string> = {};
    for (const [file, tensors] of Object.entries(repo.shards)) {
      const { bytes } = safetensorsHeader(tensors);
      await writeIfChanged(path.join(dir, file), Buffer.concat([bytes, ...tensors.map((t) => tensorData(t, rng))]));
      for (const t of tensors) weightMap[t.name] = file;
    }
    if (Object.keys(repo.shards).length > 1) {
      await writeIfChanged(path.join(dir, 'model.safetensors.index.json'), `${JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2)}\n`);
    }
  }
  return repos.map((r) => r.id);
}

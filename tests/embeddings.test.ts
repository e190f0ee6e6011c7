/** Finding and decoding the input-embedding tensor from safetensors headers, and what users see when it fails. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRows } from '../src/embeddings/decodeRows.ts';
import { countNonFiniteRows } from '../src/embeddings/embeddingFile.ts';
import { locateEmbeddingTensor } from '../src/embeddings/locateEmbeddingTensor.ts';
import { parseSafetensorsHeader, readHeaderLength } from '../src/embeddings/safetensorsHeader.ts';
import { TokenscapeError } from '../src/errors.ts';
import { localFolderFiles } from '../src/sources/repoFiles.ts';
import { encodeSafetensors, writeSafetensors } from './support/safetensors.ts';

const values = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

function folderWith(files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tks-model-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

async function errorOf(promise: Promise<unknown>): Promise<TokenscapeError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(TokenscapeError);
  return error as TokenscapeError;
}

describe('the embedding tensor', () => {
  it('is found by its known name and checked against the vocabulary size', async () => {
    const dir = folderWith({});
    writeSafetensors(join(dir, 'model.safetensors'), {
      'lm_head.weight': { dtype: 'F32', shape: [10, 4], values: values(40, () => 9) },
      'model.embed_tokens.weight': { dtype: 'F16', shape: [10, 4], values: values(40, (i) => i / 8) },
    });
    const t = await locateEmbeddingTensor(localFolderFiles(dir, 'm'), 10, 10);
    expect(t).toMatchObject({ name: 'model.embed_tokens.weight', dtype: 'F16', shape: [10, 4], file: 'model.safetensors' });
  });

  it('is read from the one shard the index names, in sharded checkpoints', async () => {
    const dir = folderWith({
      'model.safetensors.index.json': JSON.stringify({ weight_map: { 'lm_head.weight': 'model-00001-of-00002.safetensors', 'transformer.wte.weight': 'model-00002-of-00002.safetensors' } }),
    });
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { 'lm_head.weight': { dtype: 'F32', shape: [6, 2], values: values(12, () => 1) } });
    writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { 'transformer.wte.weight': { dtype: 'BF16', shape: [6, 2], values: values(12, (i) => i) } });
    const t = await locateEmbeddingTensor(localFolderFiles(dir, 'm'), 6, null);
    expect(t).toMatchObject({ name: 'transformer.wte.weight', file: 'model-00002-of-00002.safetensors', dtype: 'BF16' });
  });

  it('says clearly when no tensor fits the vocabulary', async () => {
    const dir = folderWith({});
    writeSafetensors(join(dir, 'model.safetensors'), { 'model.embed_tokens.weight': { dtype: 'F32', shape: [5, 2], values: values(10, () => 0) } });
    const error = await errorOf(locateEmbeddingTensor(localFolderFiles(dir, 'my-model'), 100, null));
    expect(error.format()).toMatch(/No input-embedding tensor found in my-model/);
    expect(error.format()).toMatch(/model\.embed_tokens\.weight \[5,2\]/);
  });

  it('explains that only safetensors weights can be read', async () => {
    const dir = folderWith({ 'pytorch_model.bin': 'x' });
    const error = await errorOf(locateEmbeddingTensor(localFolderFiles(dir, 'old-model'), 10, null));
    const text = error.format();
    expect(text).toMatch(/old-model has only pytorch_model\.bin, no safetensors weights; Tokenscape does not read PyTorch pickle files/);
    // Why: no partial read, and unpickling runs code. What to do: convert once, then point at the new folder.
    expect(text).toMatch(/cannot be read in part/);
    expect(text).toMatch(/arbitrary code/);
    expect(text).toContain(`save_pretrained('${dir}-safetensors')`);
    expect(text).toMatch(/model: \{ path: \}/);
  });

  it('for a sharded pickle on the Hub, points at the conversion bot\'s safetensors pull request', async () => {
    const files = { ...localFolderFiles(folderWith({ 'pytorch_model.bin.index.json': '{}' }), 'org/old'), source: 'hub' as const, label: 'org/old' };
    const text = (await errorOf(locateEmbeddingTensor(files, 10, null))).format();
    expect(text).toMatch(/org\/old has only pytorch_model\.bin\.index\.json/);
    expect(text).toMatch(/revision: refs\/pr\/<number>/);
    expect(text).toContain("from_pretrained('org/old')");
  });

  it('decodes F32, F16 and BF16 rows to the same float values', () => {
    const v = values(12, (i) => (i - 6) / 4);
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const bytes = encodeSafetensors({ e: { dtype, shape: [4, 3], values: v } });
      const header = parseSafetensorsHeader(bytes.subarray(8, 8 + readHeaderLength(bytes, 'f')), 'f', bytes.length);
      const t = header.tensors.get('e')!;
      const out = new Float32Array(6);
      decodeRows(bytes.subarray(t.begin, t.end), dtype, 3, [3, 1], out);
      expect(Array.from(out)).toEqual([...v.slice(9, 12), ...v.slice(3, 6)]);
    }
  });

  it('counts rows holding NaN or Infinity', () => {
    const bytes = new Uint8Array(Float32Array.from([1, 2, NaN, 4, Infinity, 6]).buffer);
    const rows = new Float32Array(6);
    decodeRows(bytes, 'F32', 2, [0, 1, 2], rows);
    expect(countNonFiniteRows(rows, 2)).toBe(2);
  });

  it('rejects damaged headers with the file name and the problem', () => {
    const absurd = new Uint8Array(16);
    new DataView(absurd.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readHeaderLength(absurd, 'w.safetensors')).toThrow(/w\.safetensors is not a safetensors file: it announces a header of 1099511627776 bytes/);
    const text = (s: string) => new TextEncoder().encode(s);
    expect(() => parseSafetensorsHeader(text('{not json'), 'w.safetensors', 100)).toThrow(/not valid JSON/);
    expect(() => parseSafetensorsHeader(text('{"e":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}}'), 'w.safetensors', 1000)).toThrow(
      /F32 \[2,2\] \(16 bytes\) but its data_offsets span 8 bytes/,
    );
    expect(() => parseSafetensorsHeader(text('{"e":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'), 'w.safetensors', 20)).toThrow(/past the end of the file/);
  });
});

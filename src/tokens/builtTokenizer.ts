/**
 * A tokenizer converted from another format (llama2.c tokenizer.bin, GGUF metadata) is written once as
 * tokenizer.json + tokenizer_config.json into a content-addressed cache folder and loaded from there like
 * any Hugging Face tokenizer: one tokenizer code path, counting fast path and browser export for all.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashKey, produceAtomically } from '../pipeline/workspace.ts';
import { localFolderFiles } from '../sources/repoFiles.ts';
import { loadTokenizer, type ModelTokenizer } from './loadTokenizer.ts';

export interface TokenizerFiles {
  'tokenizer.json': string;
  'tokenizer_config.json': string;
}

/** `label` names the tokenizer's real source (e.g. ./tokenizer.bin) in messages. */
export async function loadBuiltTokenizer(files: TokenizerFiles, cacheDir: string, label: string): Promise<ModelTokenizer> {
  const folder = join(cacheDir, 'tokenizers', hashKey('built-tokenizer-v1', files['tokenizer.json'], files['tokenizer_config.json']));
  await produceAtomically(folder, async (temp) => {
    await mkdir(temp, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(temp, name), text);
  });
  return loadTokenizer(localFolderFiles(folder, label));
}

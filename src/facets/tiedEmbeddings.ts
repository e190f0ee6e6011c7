/** Whether a model uses its input embedding as its output layer too (tied weights). */
import { readFile } from 'node:fs/promises';
import type { RepoFiles } from '../sources/repoFiles.ts';

const OUTPUT_TENSORS = /(^|\.)(lm_head|output|embed_out)\.weight$/;

/**
 * config.json's `tie_word_embeddings` when it says; otherwise, for a sharded checkpoint, whether the
 * index lists no separate output tensor (lm_head.weight, output.weight, embed_out.weight).
 */
export async function embeddingsAreTied(files: RepoFiles): Promise<boolean> {
  const json = async (name: string): Promise<Record<string, unknown> | null> => {
    if (!files.has(name)) return null;
    try {
      const value = JSON.parse(await readFile(await files.localPath(name), 'utf8'));
      return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
    } catch {
      return null; // the tokenizer/embedding stages already report broken files
    }
  };
  const config = await json('config.json');
  const textConfig = (config?.text_config ?? {}) as Record<string, unknown>;
  const tie = config?.tie_word_embeddings ?? textConfig.tie_word_embeddings;
  if (typeof tie === 'boolean') return tie;
  const index = await json('model.safetensors.index.json');
  const weightMap = index?.weight_map;
  if (weightMap && typeof weightMap === 'object') return !Object.keys(weightMap).some((name) => OUTPUT_TENSORS.test(name));
  return false;
}

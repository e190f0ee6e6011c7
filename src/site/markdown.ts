/**
 * Author-written markdown (build time): the gallery's and exhibits' `description` from the
 * config, and the optional prose file `content/{id}.md` of each exhibit. Rendered with Astro's
 * own markdown pipeline. This is the gallery author's text, not token text; token text never
 * goes through here.
 *
 * The prose folder is `TOKENSCAPE_CONTENT` (default `content/`, repo-relative; astro.config.mjs
 * resolves it).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createMarkdownProcessor, parseFrontmatter, type MarkdownProcessor } from '@astrojs/markdown-remark';

let processor: Promise<MarkdownProcessor> | null = null;

export async function renderMarkdown(markdown: string): Promise<string> {
  processor ??= createMarkdownProcessor({ syntaxHighlight: false });
  const { code } = await (await processor).render(parseFrontmatter(markdown).content);
  return code;
}

export function contentDir(): string {
  return path.resolve(process.env.TOKENSCAPE_CONTENT ?? 'content');
}

/** HTML of `content/{id}.md`, or null when there is no such file. */
export async function exhibitProse(id: string): Promise<string | null> {
  const file = path.join(contentDir(), `${id}.md`);
  if (!existsSync(file)) return null;
  return renderMarkdown(await readFile(file, 'utf8'));
}

/** The optional `description` the precompute step copies from the config (markdown). */
export function descriptionOf(value: unknown): string | null {
  const d = (value as { description?: unknown } | null)?.description;
  return typeof d === 'string' && d.trim() ? d : null;
}

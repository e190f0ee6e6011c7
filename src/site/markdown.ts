/**
 * Author-written markdown (build time): the gallery's and exhibits' `description` from the
 * config, and the optional prose file `content/{id}.md` of each exhibit. Rendered with Astro's
 * own markdown pipeline. This is the gallery author's text, not token text; token text never
 * goes through here.
 *
 * Safe by default: raw HTML in the markdown is shown as text (so `<script>` in a description
 * prints, it does not run) and links or images with a scheme other than http(s), mailto or a
 * relative address lose their target. A prose file opts in to raw HTML with the front matter
 * key `allow_html: true` (docs/site.md); the config's descriptions never do.
 *
 * The prose folder is `TOKENSCAPE_CONTENT` (default `content/`, repo-relative; astro.config.mjs
 * resolves it).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createMarkdownProcessor, parseFrontmatter, type MarkdownProcessor } from '@astrojs/markdown-remark';
import { TokenscapeError } from '../errors.ts';

export interface MarkdownOptions {
  /** Pass raw HTML through (the author's opt-in); otherwise it is rendered as text. */
  allowHtml?: boolean;
}

/** The front matter keys a prose file may carry. */
export const PROSE_FRONT_MATTER_KEYS = ['allow_html'] as const;

const processors = new Map<boolean, Promise<MarkdownProcessor>>();

interface MdNode {
  type: string;
  value?: string;
  url?: string;
  children?: MdNode[];
}

const SAFE_URL = /^(?:https?:|mailto:|#|\/|\.{0,2}\/|[^:/?#]*(?:[/?#]|$))/i;

/** Whether a link target is one a reader can follow without running anything. */
export function isSafeUrl(url: string): boolean {
  // Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
  const cleaned = url.replace(/[\u0000-\u0020\u007f]/g, '');
  return SAFE_URL.test(cleaned);
}

/** remark plugin: raw HTML nodes become text; unsafe link and image targets are dropped. */
function remarkSafeHtml(options: { allowHtml: boolean }) {
  return (tree: MdNode) => {
    const visit = (node: MdNode) => {
      if (!options.allowHtml && node.type === 'html') node.type = 'text';
      if ((node.type === 'link' || node.type === 'image' || node.type === 'definition') && node.url !== undefined && !isSafeUrl(node.url)) {
        node.url = '#';
      }
      node.children?.forEach(visit);
    };
    visit(tree);
  };
}

function processorFor(allowHtml: boolean): Promise<MarkdownProcessor> {
  let p = processors.get(allowHtml);
  if (!p) {
    p = createMarkdownProcessor({ syntaxHighlight: false, remarkPlugins: [[remarkSafeHtml, { allowHtml }]] });
    processors.set(allowHtml, p);
  }
  return p;
}

export async function renderMarkdown(markdown: string, options: MarkdownOptions = {}): Promise<string> {
  const { code } = await (await processorFor(Boolean(options.allowHtml))).render(parseFrontmatter(markdown).content);
  return code;
}

export function contentDir(): string {
  return path.resolve(process.env.TOKENSCAPE_CONTENT ?? 'content');
}

/** The line (1-based) of a top-level front matter key, for error messages. */
function keyLine(source: string, key: string): number | undefined {
  const i = source.split(/\r?\n/).findIndex((l) => l.startsWith(`${key}:`));
  return i >= 0 ? i + 1 : undefined;
}

/** Checks a prose file's front matter; returns the rendering options it asks for. */
export function proseOptions(source: string, file: string): MarkdownOptions {
  let frontmatter: Record<string, unknown>;
  try {
    frontmatter = (parseFrontmatter(source).frontmatter ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new TokenscapeError(`the front matter is not valid YAML: ${(error as Error).message}`, { file, line: 1 });
  }
  for (const key of Object.keys(frontmatter)) {
    if (!(PROSE_FRONT_MATTER_KEYS as readonly string[]).includes(key)) {
      throw new TokenscapeError(`unknown front matter key; allowed: ${PROSE_FRONT_MATTER_KEYS.join(', ')}`, {
        file,
        line: keyLine(source, key),
        field: key,
      });
    }
  }
  const allow = frontmatter.allow_html;
  if (allow !== undefined && typeof allow !== 'boolean') {
    throw new TokenscapeError(`allow_html must be true or false, not ${JSON.stringify(allow)}`, {
      file,
      line: keyLine(source, 'allow_html'),
      field: 'allow_html',
    });
  }
  return { allowHtml: allow === true };
}

/** HTML of `content/{id}.md`, or null when there is no such file. */
export async function exhibitProse(id: string): Promise<string | null> {
  const file = path.join(contentDir(), `${id}.md`);
  if (!existsSync(file)) return null;
  const source = await readFile(file, 'utf8');
  return renderMarkdown(source, proseOptions(source, file));
}

/** The optional `description` the precompute step copies from the config (markdown). */
export function descriptionOf(value: unknown): string | null {
  const d = (value as { description?: unknown } | null)?.description;
  return typeof d === 'string' && d.trim() ? d : null;
}

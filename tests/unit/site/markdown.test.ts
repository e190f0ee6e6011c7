import { describe, expect, it } from 'vitest';
import { TokenscapeError } from '../../../src/errors.ts';
import { isSafeUrl, proseOptions, renderMarkdown } from '../../../src/site/markdown.ts';

describe('author markdown is rendered safely', () => {
  it('renders ordinary markdown', async () => {
    const html = await renderMarkdown('## Reading\n\nNearby points are **similar** [tokens](https://example.org/a).\n');
    expect(html).toContain('<h2 id="reading">Reading</h2>');
    expect(html).toContain('<strong>similar</strong>');
    expect(html).toContain('<a href="https://example.org/a">tokens</a>');
  });

  it('shows raw HTML as text unless the author opts in', async () => {
    const source = 'Hello <script>alert(1)</script> and <img src=x onerror="alert(2)">\n\n<div class="x">block</div>\n';
    const html = await renderMarkdown(source);
    expect(html).not.toMatch(/<script|<img|<div/);
    expect(html).toContain('&#x3C;script>alert(1)&#x3C;/script>');
    expect(html).toContain('&#x3C;div class="x">block&#x3C;/div>');

    const opted = await renderMarkdown(source, { allowHtml: true });
    expect(opted).toContain('<div class="x">block</div>');
  });

  it('drops link and image targets that would run code', async () => {
    const html = await renderMarkdown('[a](javascript:alert(1)) [b](JAVA\tSCRIPT:alert(1)) ![c](data:text/html,x) [d](../other/) [e](#top) [f](mailto:me@example.org)\n');
    expect(html).not.toMatch(/javascript|data:/i);
    expect(html).toContain('<a href="../other/">d</a>');
    expect(html).toContain('<a href="#top">e</a>');
    expect(html).toContain('<a href="mailto:me@example.org">f</a>');
    expect(isSafeUrl('javascript:x')).toBe(false);
    expect(isSafeUrl(' javascript:x')).toBe(false);
    expect(isSafeUrl('vbscript:x')).toBe(false);
    expect(isSafeUrl('page.html#x')).toBe(true);
    expect(isSafeUrl('https://a.b/c')).toBe(true);
  });

  it('reads allow_html from front matter and names a bad key by file and line', async () => {
    expect(proseOptions('---\nallow_html: true\n---\n\nText\n', 'content/a.md')).toEqual({ allowHtml: true });
    expect(proseOptions('Text only\n', 'content/a.md')).toEqual({ allowHtml: false });
    const shown = (source: string, file: string) => {
      try {
        proseOptions(source, file);
      } catch (e) {
        expect(e).toBeInstanceOf(TokenscapeError);
        return (e as TokenscapeError).format();
      }
      return 'no error';
    };
    expect(shown('---\n# comment\nallow-html: true\n---\nText\n', 'content/a.md')).toBe('content/a.md:3 at allow-html: unknown front matter key; allowed: allow_html');
    expect(shown('---\nallow_html: yes please\n---\n', 'content/b.md')).toBe('content/b.md:2 at allow_html: allow_html must be true or false, not "yes please"');
  });

  it('does not render the front matter itself', async () => {
    const html = await renderMarkdown('---\nallow_html: true\n---\n\n<em>hi</em>\n', { allowHtml: true });
    expect(html).not.toContain('allow_html');
    expect(html).toContain('<em>hi</em>');
  });
});

describe('the default gallery comes with prose', () => {
  it('has a content/{id}.md for every exhibit of gallery.config.yaml, rendered without raw HTML', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parseDocument } = await import('yaml');
    const config = parseDocument(await readFile('gallery.config.yaml', 'utf8')).toJS() as { exhibits: { id: string }[] };
    expect(config.exhibits.map((e) => e.id)).toEqual(expect.arrayContaining(['llama2-wikitext', 'llama2-commedia', 'llama2-vocabulary']));
    for (const { id } of config.exhibits) {
      const file = `content/${id}.md`;
      const source = await readFile(file, 'utf8');
      const html = await renderMarkdown(source, proseOptions(source, file));
      expect(html, file).toContain('<h2 id="what-you-are-looking-at">What you are looking at</h2>');
      expect(html, file).toContain('<h2 id="what-to-try">What to try</h2>');
    }
  });
});

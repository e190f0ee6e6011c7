import { describe, expect, it } from 'vitest';
import { socialTags } from '../../../src/site/socialTags.ts';
import { responsiveEmbedSnippet } from '../../../src/site/urls.ts';

describe('link cards (Open Graph / Twitter)', () => {
  it('describes a page with its absolute address and picture when the site URL is known', () => {
    const tags = socialTags({
      title: 'Map',
      description: 'A map',
      url: 'https://me.github.io/g/tiny/',
      image: 'https://me.github.io/g/tiny/preview.png',
      imageAlt: 'Preview',
      type: 'article',
      siteName: 'Gallery',
    });
    const get = (key: string) => tags.find((t) => t.key === key)?.content;
    expect(get('og:type')).toBe('article');
    expect(get('og:url')).toBe('https://me.github.io/g/tiny/');
    expect(get('og:image')).toBe('https://me.github.io/g/tiny/preview.png');
    expect(get('og:image:width')).toBe('480');
    expect(get('og:image:height')).toBe('300');
    expect(get('twitter:card')).toBe('summary_large_image');
    expect(get('twitter:image')).toBe('https://me.github.io/g/tiny/preview.png');
    expect(tags.filter((t) => t.key.startsWith('og:')).every((t) => t.attribute === 'property')).toBe(true);
    expect(tags.filter((t) => t.key.startsWith('twitter:')).every((t) => t.attribute === 'name')).toBe(true);
  });

  it('leaves out addresses it cannot make absolute', () => {
    const tags = socialTags({ title: 'Map', description: 'A map', url: null, image: null, type: 'website', siteName: 'G' });
    expect(tags.map((t) => t.key)).toEqual(['og:type', 'og:title', 'og:description', 'og:site_name', 'twitter:card', 'twitter:title', 'twitter:description']);
    expect(tags.find((t) => t.key === 'twitter:card')?.content).toBe('summary');
  });
});

describe('responsive embed snippet', () => {
  it('wraps the iframe in a box whose height follows its width', () => {
    expect(responsiveEmbedSnippet('https://me.github.io/g/tiny/embed/?id=3&view=xy', 'A "map"')).toBe(
      '<div style="position:relative;width:100%;aspect-ratio:16 / 10">' +
        '<iframe src="https://me.github.io/g/tiny/embed/?id=3&amp;view=xy" style="position:absolute;inset:0;width:100%;height:100%;border:0" loading="lazy" title="A &quot;map&quot;"></iframe></div>',
    );
  });
});

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeExhibit } from '../../../src/artifact/writeExhibit.ts';
import { readExhibit } from '../../../src/artifact/readExhibit.ts';
import { loadGallery } from '../../../src/site/gallery.ts';
import { encodePng } from '../../../src/site/png.ts';
import { PREVIEW_HEIGHT, PREVIEW_WIDTH, renderPreviewPixels, renderPreviewPng } from '../../../src/site/preview.ts';
import { absoluteUrl, embedSnippet, exhibitPaths, withBase } from '../../../src/site/urls.ts';
import { embedUrl } from '../../../src/viewer/embedCode.ts';
import { MAP_BACKGROUND } from '../../../src/viewer/colorScale.ts';

describe('site URLs', () => {
  it('joins paths onto the base, with or without a sub-path', () => {
    expect(withBase('/', '/x/')).toBe('/x/');
    expect(withBase('/gallery', '/x/')).toBe('/gallery/x/');
    expect(withBase('/gallery/', 'x/')).toBe('/gallery/x/');
    const p = exhibitPaths('/my-gallery', 'tiny', { points: 'points.bin', csv: 'points.csv' });
    expect(p).toEqual({
      page: '/my-gallery/tiny/',
      embed: '/my-gallery/tiny/embed/',
      preview: '/my-gallery/tiny/preview.png',
      points: '/my-gallery/exhibits/tiny/points.bin',
      csv: '/my-gallery/exhibits/tiny/points.csv',
      manifest: '/my-gallery/exhibits/tiny/manifest.json',
    });
    expect(absoluteUrl('https://me.github.io', '/my-gallery/tiny/embed/')).toBe('https://me.github.io/my-gallery/tiny/embed/');
    expect(absoluteUrl(undefined, '/x/')).toBeNull();
  });
  it('builds the iframe snippet with escaped attributes', () => {
    expect(embedSnippet('https://me.github.io/g/tiny/embed/', 'A "quoted" <title> & more')).toBe(
      '<iframe src="https://me.github.io/g/tiny/embed/" width="100%" height="600" loading="lazy" title="A &quot;quoted&quot; &lt;title&gt; &amp; more"></iframe>',
    );
    expect(embedUrl('/g/tiny/embed/', 'http://127.0.0.1:4321/g/tiny/?id=3')).toBe('http://127.0.0.1:4321/g/tiny/embed/');
    expect(embedUrl('https://me.github.io/g/tiny/embed/', 'http://localhost/x', '?id=3&view=xy')).toBe('https://me.github.io/g/tiny/embed/?id=3&view=xy');
  });
});

describe('PNG previews', () => {
  it('encodes a valid PNG that inflates back to the pixels', () => {
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 7);
    const png = encodePng(2, 3, rgb);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(2);
    expect(png.readUInt32BE(20)).toBe(3);
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString()).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(3 * (1 + 6));
    expect(Array.from(raw.subarray(1, 7))).toEqual(Array.from(rgb.subarray(0, 6)));
    expect(() => encodePng(2, 2, rgb)).toThrow();
  });
  it('draws points over the map background', () => {
    const points = readExhibit(
      encodeExhibit({
        ids: Uint32Array.from([1, 2, 3]),
        positions: Float64Array.from([0, 0, 0, 1, 1, 0, 0.5, 0.2, 1]),
        counts: Uint32Array.from([1, 50, 500]),
        texts: ['a', 'b', 'c'],
        pieces: ['a', 'b', 'c'],
        special: [false, false, false],
        byteToken: [false, false, false],
      }),
    );
    const px = renderPreviewPixels(points, 100);
    expect(px.length).toBe(PREVIEW_WIDTH * PREVIEW_HEIGHT * 3);
    let drawn = 0;
    for (let i = 0; i < px.length; i += 3) if (px[i] !== MAP_BACKGROUND[0] || px[i + 1] !== MAP_BACKGROUND[1]) drawn++;
    expect(drawn).toBeGreaterThan(3);
    expect(renderPreviewPng(points, 100).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('loadGallery', () => {
  const saved = process.env.TOKENSCAPE_EXHIBITS;
  afterEach(() => {
    if (saved === undefined) delete process.env.TOKENSCAPE_EXHIBITS;
    else process.env.TOKENSCAPE_EXHIBITS = saved;
  });
  const galleryIn = async (content: unknown) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tks-gallery-'));
    if (content !== undefined) await writeFile(path.join(dir, 'gallery.json'), typeof content === 'string' ? content : JSON.stringify(content));
    process.env.TOKENSCAPE_EXHIBITS = dir;
    return dir;
  };
  const manifest = (id: string) => ({ id, title: id, model: {}, corpus: {}, tokens: {}, projection: {}, files: {} });

  it('gives an empty gallery when there is no gallery.json yet', async () => {
    await galleryIn(undefined);
    const warn = console.warn;
    console.warn = () => {};
    try {
      expect(loadGallery()).toEqual({ title: 'Tokenscape', exhibits: [] });
    } finally {
      console.warn = warn;
    }
  });
  it('rejects ids that cannot be page addresses, duplicates and broken JSON', async () => {
    await galleryIn({ title: 't', exhibits: [manifest('../evil')] });
    expect(() => loadGallery()).toThrow(/cannot be used as a page address/);
    await galleryIn({ title: 't', exhibits: [manifest('exhibits')] });
    expect(() => loadGallery()).toThrow(/page address/);
    await galleryIn({ title: 't', exhibits: [manifest('a'), manifest('a')] });
    expect(() => loadGallery()).toThrow(/duplicate/);
    await galleryIn('{ nope');
    expect(() => loadGallery()).toThrow(/not valid JSON/);
    await galleryIn({ title: 't', exhibits: [manifest('fine-1')] });
    expect(loadGallery().exhibits.map((e) => e.id)).toEqual(['fine-1']);
  });
});

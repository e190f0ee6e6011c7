/**
 * Site-relative addresses that respect Astro's `base` (BASE_PATH on GitHub Pages), and absolute
 * ones when `site` (SITE_URL) is set.
 */
export function withBase(base: string, path: string): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  const p = path.startsWith('/') ? path : `/${path}`;
  return `${b}${p}`;
}

export function absoluteUrl(site: URL | string | undefined, pathWithBase: string): string | null {
  if (!site) return null;
  return new URL(pathWithBase, site).href;
}

export interface ExhibitPaths {
  page: string;
  embed: string;
  preview: string;
  points: string;
  csv: string;
  manifest: string;
}

export function exhibitPaths(base: string, id: string, files: { points: string; csv: string }): ExhibitPaths {
  const seg = encodeURIComponent(id);
  return {
    page: withBase(base, `/${seg}/`),
    embed: withBase(base, `/${seg}/embed/`),
    preview: withBase(base, `/${seg}/preview.png`),
    points: withBase(base, `/exhibits/${seg}/${encodeURIComponent(files.points)}`),
    csv: withBase(base, `/exhibits/${seg}/${encodeURIComponent(files.csv)}`),
    manifest: withBase(base, `/exhibits/${seg}/manifest.json`),
  };
}

/** The `<iframe>` snippet the exhibit page offers. Attribute values are escaped. */
export function embedSnippet(src: string, title: string): string {
  const attr = (s: string) => s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `<iframe src="${attr(src)}" width="100%" height="600" loading="lazy" title="${attr(title)}"></iframe>`;
}

/** Width ÷ height of the responsive embed: the map's usual shape on a wide page. */
export const EMBED_ASPECT_RATIO = '16 / 10';

/**
 * The responsive variant: a wrapper whose height follows its width (CSS aspect-ratio), with the
 * iframe filling it, so the map keeps its shape in a narrow column or on a phone.
 */
export function responsiveEmbedSnippet(src: string, title: string, aspectRatio = EMBED_ASPECT_RATIO): string {
  const attr = (s: string) => s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return (
    `<div style="position:relative;width:100%;aspect-ratio:${attr(aspectRatio)}">` +
    `<iframe src="${attr(src)}" style="position:absolute;inset:0;width:100%;height:100%;border:0" loading="lazy" title="${attr(title)}"></iframe>` +
    `</div>`
  );
}

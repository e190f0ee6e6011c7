/** The index page's preview picture of one exhibit, drawn at build time (src/site/preview.ts). */
import type { APIRoute, GetStaticPaths } from 'astro';
import type { ExhibitManifest } from '../../artifact/manifest.ts';
import { loadGallery, readPoints } from '../../site/gallery.ts';
import { renderPreviewPng } from '../../site/preview.ts';

export const getStaticPaths = (() =>
  loadGallery().exhibits.map((manifest) => ({ params: { id: manifest.id }, props: { manifest } }))) satisfies GetStaticPaths;

export const GET: APIRoute<{ manifest: ExhibitManifest }> = ({ props }) => {
  const png = renderPreviewPng(readPoints(props.manifest), props.manifest.color.clip);
  return new Response(new Uint8Array(png), { headers: { 'Content-Type': 'image/png' } });
};

/**
 * Open Graph and Twitter card tags, so a link pasted into a chat or a feed unfurls with the
 * map's title, description and preview picture (src/site/preview.ts, drawn at build time).
 *
 * Crawlers need absolute addresses: og:url, og:image and the canonical link are only emitted when
 * the site was built with SITE_URL (astro.config.mjs `site`); without it a card has text only.
 */
import { PREVIEW_HEIGHT, PREVIEW_WIDTH } from './preview.ts';

export interface SocialCard {
  title: string;
  description: string;
  /** Absolute page address, or null without SITE_URL. */
  url: string | null;
  /** Absolute address of the preview picture, or null. */
  image: string | null;
  imageAlt?: string;
  type: 'website' | 'article';
  siteName: string;
}

export interface MetaTag {
  /** `property` for Open Graph, `name` for Twitter. */
  attribute: 'property' | 'name';
  key: string;
  content: string;
}

export function socialTags(card: SocialCard): MetaTag[] {
  const og = (key: string, content: string): MetaTag => ({ attribute: 'property', key: `og:${key}`, content });
  const tw = (key: string, content: string): MetaTag => ({ attribute: 'name', key: `twitter:${key}`, content });
  const tags = [og('type', card.type), og('title', card.title), og('description', card.description), og('site_name', card.siteName)];
  if (card.url) tags.push(og('url', card.url));
  if (card.image) {
    tags.push(og('image', card.image), og('image:type', 'image/png'), og('image:width', String(PREVIEW_WIDTH)), og('image:height', String(PREVIEW_HEIGHT)));
    if (card.imageAlt) tags.push(og('image:alt', card.imageAlt));
  }
  tags.push(tw('card', card.image ? 'summary_large_image' : 'summary'), tw('title', card.title), tw('description', card.description));
  if (card.image) {
    tags.push(tw('image', card.image));
    if (card.imageAlt) tags.push(tw('image:alt', card.imageAlt));
  }
  return tags;
}

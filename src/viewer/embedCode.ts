/**
 * "Copy embed code" on the exhibit page. The iframe's src is absolute: from SITE_URL when the
 * site was built with one, otherwise completed from the page's own location.
 */
import { embedSnippet, responsiveEmbedSnippet } from '../site/urls.ts';

export function embedUrl(src: string, pageHref: string, query = ''): string {
  const url = new URL(src, pageHref);
  url.search = query;
  return url.href;
}

export function mountEmbedCode(): void {
  const root = document.querySelector<HTMLElement>('[data-tks-embed]');
  if (!root) return;
  const text = root.querySelector<HTMLTextAreaElement>('[data-tks-embed-text]')!;
  const button = root.querySelector<HTMLButtonElement>('[data-tks-embed-copy]')!;
  const withState = root.querySelector<HTMLInputElement>('[data-tks-embed-state]');
  const status = root.querySelector<HTMLElement>('[data-tks-embed-status]')!;
  const variants = Array.from(root.querySelectorAll<HTMLInputElement>('[data-tks-embed-variant]'));
  const code = () => {
    const query = withState?.checked ? location.search : '';
    const src = embedUrl(root.dataset.embedSrc ?? 'embed/', location.href, query);
    const title = root.dataset.embedTitle ?? 'Tokenscape map';
    const responsive = variants.find((v) => v.checked)?.value === 'responsive';
    return responsive ? responsiveEmbedSnippet(src, title) : embedSnippet(src, title);
  };
  const refresh = () => {
    text.value = code();
  };
  refresh();
  withState?.addEventListener('change', refresh);
  for (const v of variants) v.addEventListener('change', refresh);
  text.addEventListener('focus', () => {
    refresh();
    text.select();
  });
  button.addEventListener('click', async () => {
    refresh();
    let copied = false;
    try {
      await navigator.clipboard.writeText(text.value);
      copied = true;
    } catch {
      text.focus();
      text.select();
      try {
        copied = document.execCommand('copy');
      } catch {
        copied = false;
      }
    }
    status.textContent = copied ? 'Copied.' : 'Select the code above and copy it (Ctrl+C / ⌘C).';
  });
}

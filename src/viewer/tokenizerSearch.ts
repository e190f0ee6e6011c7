/**
 * Search that knows the tokenizer: when the typed text is not one token of the map, the exhibit's
 * own tokenizer (tokenizer.json + tokenizer_config.json, run by tokenizers.js) shows how it splits
 * the text. The library and the files load on the first search that needs them (a dynamic
 * import: its own chunk), so the first paint does not grow.
 */
import { fetchExhibitFile } from './data.ts';

export interface Piece {
  id: number;
  /** The tokenizer's piece, e.g. `▁mez`. */
  piece: string;
  /** Point index on this map, or -1. */
  index: number;
}

export interface TokenSplitter {
  readonly available: boolean;
  /** The pieces of `text` (no BOS/EOS), each with its point on the map when it has one. */
  split(text: string): Promise<Piece[]>;
}

interface EncodingLike {
  ids: number[];
  tokens: string[];
}

export function createTokenSplitter(
  urls: { tokenizer?: string; config?: string },
  indexOfId: (id: number) => number,
): TokenSplitter {
  let pending: Promise<{ encode(text: string, o: { add_special_tokens: boolean }): EncodingLike }> | null = null;
  const load = () => {
    pending ??= (async () => {
      const [{ Tokenizer }, json, config] = await Promise.all([
        import('@huggingface/tokenizers'),
        fetchExhibitFile(urls.tokenizer!, 'tokenizer').then(parseJson),
        urls.config ? fetchExhibitFile(urls.config, 'tokenizer configuration').then(parseJson) : Promise.resolve({}),
      ]);
      return new Tokenizer(json, config);
    })();
    pending.catch(() => (pending = null));
    return pending;
  };
  return {
    available: Boolean(urls.tokenizer),
    async split(text) {
      if (!urls.tokenizer) return [];
      const tokenizer = await load();
      const encoding = tokenizer.encode(text, { add_special_tokens: false });
      return encoding.ids.map((id, k) => ({ id, piece: encoding.tokens[k] ?? '', index: indexOfId(id) }));
    },
  };
}

function parseJson(bytes: Uint8Array): object {
  return JSON.parse(new TextDecoder().decode(bytes)) as object;
}

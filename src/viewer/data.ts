/**
 * Loading an exhibit in the browser: fetch the binary file, decode it with the one reader
 * (src/artifact/readExhibit.ts), and normalise the coordinates for drawing.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import { ExhibitFormatError, readExhibit } from '../artifact/readExhibit.ts';

/** The file could not be fetched (network error, 404, ...). */
export class ExhibitLoadError extends Error {
  override name = 'ExhibitLoadError';
}

export async function fetchExhibit(url: string, fetchImpl: typeof fetch = fetch): Promise<ExhibitPoints> {
  return readExhibit(await fetchExhibitFile(url, 'map data', fetchImpl));
}

/**
 * The bytes of one exhibit file (points.bin, neighbors.bin, facets.bin), inflated when the site
 * published it gzip-compressed. `what` names the file in the visitor's words ("neighbour data").
 */
export async function fetchExhibitFile(url: string, what: string, fetchImpl: typeof fetch = fetch): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (cause) {
    throw new ExhibitLoadError(`The ${what} could not be downloaded (${(cause as Error)?.message ?? 'network error'}).`);
  }
  if (!response.ok) {
    throw new ExhibitLoadError(`The ${what} could not be downloaded: the server answered ${response.status} ${response.statusText}.`.trim());
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    throw new ExhibitLoadError(`The ${what} download was interrupted (${(cause as Error)?.message ?? 'network error'}).`);
  }
  return isGzip(bytes) ? await gunzip(bytes) : bytes;
}

/** The site publishes exhibit files gzip-compressed (astro.config.mjs); `astro dev` serves them raw. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new ExhibitLoadError('This browser cannot unpack the map data (it lacks DecompressionStream); please use a current browser.');
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    throw new ExhibitFormatError('Exhibit file is damaged: its compressed data does not unpack.');
  }
}

/** A sentence for the visitor, whatever went wrong while loading. */
export function describeLoadError(error: unknown): string {
  if (error instanceof ExhibitFormatError) return `${error.message} Try reloading; if it persists, the gallery needs rebuilding.`;
  if (error instanceof ExhibitLoadError) return error.message;
  return `The map could not be shown: ${error instanceof Error ? error.message : String(error)}`;
}

export interface NormalizedPositions {
  /** x0,y0,z0,... centred on the bounding box and scaled by one factor so the largest axis spans [-1, 1]. */
  positions: Float32Array;
  center: [number, number, number];
  /** Original units per normalised unit. */
  scale: number;
  /** Largest distance of a normalised point from the origin. */
  radius: number;
  /** Distance from the origin within which 98% of the points lie (what the default view frames). */
  fitRadius: number;
}

/**
 * One scale for all three axes keeps the PCA geometry honest: PC1 spreads widest, PC3 least,
 * as in the data.
 */
export function normalizePositions(
  positions: Float32Array,
  min: [number, number, number],
  max: [number, number, number],
): NormalizedPositions {
  const center: [number, number, number] = [0, 1, 2].map((a) => (min[a] + max[a]) / 2) as [number, number, number];
  const half = Math.max((max[0] - min[0]) / 2, (max[1] - min[1]) / 2, (max[2] - min[2]) / 2);
  const scale = half > 0 && Number.isFinite(half) ? half : 1;
  const out = new Float32Array(positions.length);
  let r2 = 0;
  const n = positions.length / 3;
  const norms = new Float32Array(n);
  for (let i = 0; i < positions.length; i += 3) {
    const x = (positions[i] - center[0]) / scale;
    const y = (positions[i + 1] - center[1]) / scale;
    const z = (positions[i + 2] - center[2]) / scale;
    out[i] = x;
    out[i + 1] = y;
    out[i + 2] = z;
    const d = x * x + y * y + z * z;
    norms[i / 3] = d;
    if (d > r2) r2 = d;
  }
  norms.sort();
  const q = n > 0 ? Math.sqrt(norms[Math.min(n - 1, Math.floor(n * 0.98))]) : 1;
  return { positions: out, center, scale, radius: Math.sqrt(r2) || 1, fitRadius: q || Math.sqrt(r2) || 1 };
}

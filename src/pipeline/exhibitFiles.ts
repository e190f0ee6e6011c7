/** The files of one exhibit (binary points, CSV, manifest), written into place as one unit. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CSV_FILE, MANIFEST_FILE, POINTS_FILE, type ExhibitManifest } from '../artifact/manifest.ts';
import { readExhibit } from '../artifact/readExhibit.ts';
import { TokenscapeError } from '../errors.ts';
import type { StageProgress } from './progress.ts';
import { POS_TAGS, SCRIPTS, type ExhibitFacets } from '../facets/facetTypes.ts';
import { tempPathFor } from './workspace.ts';

/** The manifest of an exhibit already on disk, if all its files are there and complete. */
export async function readExistingExhibit(exhibitsDir: string, id: string): Promise<ExhibitManifest | null> {
  const folder = join(exhibitsDir, id);
  try {
    const manifest = JSON.parse(await readFile(join(folder, MANIFEST_FILE), 'utf8')) as ExhibitManifest;
    const points = await stat(join(folder, POINTS_FILE));
    const csv = await stat(join(folder, CSV_FILE));
    if (points.size !== manifest.files.pointsBytes || csv.size !== manifest.files.csvBytes) return null;
    const f = manifest.files;
    for (const [name, bytes] of [[f.neighbors, f.neighborsBytes], [f.facets, f.facetsBytes], [f.tokenizer, f.tokenizerBytes], [f.tokenizerConfig, f.tokenizerConfigBytes]] as const) {
      if (name !== undefined && (await stat(join(folder, name))).size !== bytes) return null;
    }
    return manifest;
  } catch {
    return null;
  }
}

/** A file beside points.bin (neighbors.bin, facets.bin, tokenizer.json …) and the check its reader makes. */
export interface ExtraExhibitFile {
  name: string;
  data: Uint8Array | string;
  /** Throws when the reader rejects the bytes as written. */
  check: (bytes: Uint8Array) => void | Promise<void>;
}

/**
 * Writes the folder under a temp name, then swaps it in: a crash leaves either the old exhibit or
 * the new one (plus a temp folder the next run removes), never a half-written one.
 */
export async function writeExhibitFolder(
  exhibitsDir: string,
  id: string,
  files: { points: Uint8Array; csv: string; manifest: ExhibitManifest; more?: ExtraExhibitFile[] },
): Promise<void> {
  // The page decodes points.bin with this same reader: what it would reject is never published.
  try {
    readExhibit(files.points);
  } catch (error) {
    throw new TokenscapeError(`The map of exhibit "${id}" would not load in its page: ${(error as Error).message}`, {
      hint: 'This is a bug in Tokenscape (its writer made a file its reader rejects); nothing was published. Please report it with the model and corpus.',
    });
  }
  const folder = join(exhibitsDir, id);
  const temp = tempPathFor(folder);
  await mkdir(temp, { recursive: true });
  try {
    await writeFile(join(temp, POINTS_FILE), files.points);
    await writeFile(join(temp, CSV_FILE), files.csv);
    for (const file of files.more ?? []) {
      await writeFile(join(temp, file.name), file.data);
      // What is published is what its reader accepts: read the written file back before the swap.
      await file.check(new Uint8Array(await readFile(join(temp, file.name))));
    }
    // The manifest goes last: its presence with matching sizes is what marks an exhibit complete.
    await writeFile(join(temp, MANIFEST_FILE), `${JSON.stringify(files.manifest, null, 2)}\n`);
    if (existsSync(folder)) {
      const old = tempPathFor(folder);
      await rename(folder, old);
      await rename(temp, folder);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, folder);
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/** RFC 4180 CSV of every point at full precision, for people to download. */
export function pointsCsv(
  ids: ArrayLike<number>,
  texts: string[],
  pieces: string[],
  counts: ArrayLike<number>,
  positions: Float64Array,
  more?: CsvColumns,
  stage?: StageProgress,
): string {
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const header = ['token_id,token,piece,count,x,y,z'];
  if (more?.neighbors) header.push('neighbors,similarities');
  if (more?.facets) header.push('length,script,word_start,byte,special,norm,undertrained_score,undertrained,pos');
  const lines = [header.join(',')];
  const nb = more?.neighbors;
  const fc = more?.facets;
  const WORD_START = ['no', 'yes', ''];
  for (let i = 0; i < ids.length; i++) {
    let line = `${ids[i]},${quote(texts[i])},${quote(pieces[i])},${counts[i]},${positions[i * 3]},${positions[i * 3 + 1]},${positions[i * 3 + 2]}`;
    if (nb) {
      const row = Array.from(nb.ids.subarray(i * nb.k, (i + 1) * nb.k));
      const sims = Array.from(nb.similarities.subarray(i * nb.k, (i + 1) * nb.k), (v) => v.toFixed(4));
      line += `,${row.join(' ')},${sims.join(' ')}`;
    }
    if (fc && more) {
      line += `,${fc.length[i]},${SCRIPTS[fc.script[i]]},${WORD_START[fc.wordStart[i]]},${more.byteToken[i] ? 1 : 0},${more.special[i] ? 1 : 0}`;
      line += `,${fc.norm[i]},${fc.undertrainedScore[i]},${fc.undertrained[i]},${POS_TAGS[fc.pos[i]]}`;
    }
    lines.push(line);
    if ((i & 4095) === 4095) stage?.update(i + 1);
  }
  stage?.update(ids.length);
  return `${lines.join('\r\n')}\r\n`;
}

/** The columns points.csv gains after z (docs/format.md). */
export interface CsvColumns {
  neighbors?: { ids: Uint32Array; similarities: Float32Array; k: number };
  facets?: ExhibitFacets;
  byteToken: boolean[];
  special: boolean[];
}

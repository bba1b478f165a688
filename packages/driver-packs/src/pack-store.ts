import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Driver } from '@gitty/core';
import type { PackSet } from './pack-set.js';
import type { Tombstones } from './tombstones.js';

/** What repack, unpack and fsck work on: the loose objects (the files driver), the packs and the deletions. */
export interface PackStore {
  /** `<store>/objects/pack`. */
  folder: string;
  /** The files driver: loose objects (and heads, which packs never touch). */
  loose: Driver;
  packs: PackSet;
  tombstones: Tombstones;
  maxObjectSize: number;
}

export { syncFolder, writeSynced } from './pack-io.js';

/** Remove a pack: its idx first, so no reader discovers it half-removed, then the pack. */
export async function removePack(packPath: string): Promise<void> {
  await rm(packPath.replace(/\.pack$/, '.idx'), { force: true });
  await rm(packPath, { force: true });
}

/** Rename a written pack and its idx into place: the pack first, the idx last (readers find packs by their idx). */
export async function installPack(tempPack: string, tempIdx: string, finalPack: string): Promise<void> {
  await rename(tempPack, finalPack);
  await rename(tempIdx, finalPack.replace(/\.pack$/, '.idx'));
}


/** Leftovers of killed work: temp packs and idx files, temp deleted lists, lock graves. */
const LEFTOVER = /^tmp-.*\.(pack|idx)$|^deleted\.tmp-|^pack\.lock\.(break\.)?stale-/;
const PACK = /^pack-[0-9a-f]{40}\.pack$/;

/**
 * Remove what killed repacks left, once older than `maxAgeMs`: temp packs and idx files, temp
 * deleted lists, broken-lock graves, and packs without their idx (a crash between the pack's
 * rename and the idx's: no reader ever attached them, and their objects are still loose).
 * Call under the pack lock, so no repack is between those two renames.
 */
export async function pruneTempPacks(folder: string, maxAgeMs: number): Promise<number> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const present = new Set(names);
  const leftovers = names.filter((n) => LEFTOVER.test(n) || (PACK.test(n) && !present.has(n.replace(/\.pack$/, '.idx'))));
  let removed = 0;
  for (const name of leftovers) {
    const file = path.join(folder, name);
    const modified = (await stat(file).catch(() => undefined))?.mtimeMs;
    if (modified !== undefined && Date.now() - modified > maxAgeMs) {
      await rm(file, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

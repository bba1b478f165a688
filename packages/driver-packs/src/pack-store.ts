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


/** Remove temp packs and broken-lock leftovers older than `maxAgeMs` (a live repack keeps its files fresh). */
export async function pruneTempPacks(folder: string, maxAgeMs: number): Promise<number> {
  const names = await readdir(folder).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter((n) => /^tmp-.*\.(pack|idx)$|^pack\.lock\.(break\.)?stale-/.test(n))) {
    const file = path.join(folder, name);
    const modified = (await stat(file).catch(() => undefined))?.mtimeMs;
    if (modified !== undefined && Date.now() - modified > maxAgeMs) {
      await rm(file, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

import { decodeCommit, isGittyError, type Driver, type ProgressListener } from '@gitty/core';
import type { PackSet } from './pack-set.js';

/**
 * After the files driver rebuilt a missing head log from the loose commits alone, add what the
 * packed commits say: for every name, the newest commit (by `time`, ties broken by hash, as the
 * files driver decides) over loose and packed commits becomes the head, through the ordinary
 * compare-and-swap (a process doing the same at the same time simply wins).
 */
export async function restorePackedHeads(driver: Driver, packs: PackSet, onProgress?: ProgressListener): Promise<number> {
  const newest = new Map<string, { hash: string; time: number }>();
  let done = 0;
  for (const hash of packs.hashes()) {
    if (++done % 1000 === 0) onProgress?.({ phase: 'scan packed commits', done });
    let commit;
    try {
      const object = await packs.read(hash);
      if (object?.type !== 'commit') continue;
      commit = decodeCommit(object.data, hash);
    } catch {
      continue; // a corrupt object names no head; fsck reports it
    }
    const best = newest.get(commit.name);
    if (!best || commit.time > best.time || (commit.time === best.time && hash > best.hash)) newest.set(commit.name, { hash, time: commit.time });
  }
  let restored = 0;
  for (const [name, best] of newest) {
    const current = (await driver.getHead(name)) ?? null;
    if (current === best.hash) continue;
    if (current !== null) {
      const object = await driver.loadObject(current).catch(() => undefined);
      const time = object?.type === 'commit' ? decodeCommit(object.data, current).time : -Infinity;
      if (time > best.time || (time === best.time && current > best.hash)) continue;
    }
    try {
      await driver.updateHead(name, current, best.hash);
      restored++;
    } catch (err) {
      if (!isGittyError(err, 'NOT_AT_HEAD')) throw err;
    }
  }
  return restored;
}

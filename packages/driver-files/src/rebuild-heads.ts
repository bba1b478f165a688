import { decodeCommit, type HeadEntry, type ProgressListener } from '@gitty/core';
import type { LooseObjects } from './loose.js';

/**
 * Heads from the objects alone, for a store without a head log: the newest commit (by `time`,
 * ties broken by hash for determinism) of every name. Costs a read of every object — the slow
 * start that the sqlite index avoids. Deleted files come back: deletion lives only in the log.
 */
export async function rebuildHeadsFromObjects(loose: LooseObjects, onProgress?: ProgressListener): Promise<HeadEntry[]> {
  const newest = new Map<string, { hash: string; time: number }>();
  let done = 0;
  for await (const hash of loose.list()) {
    done++;
    if (done % 1000 === 0) onProgress?.({ phase: 'scan commits', done });
    let object;
    try {
      object = await loose.load(hash);
    } catch {
      continue; // a corrupt object names no head; fsck reports it
    }
    if (!object || object.type !== 'commit') continue;
    let commit;
    try {
      commit = decodeCommit(object.data, hash);
    } catch {
      continue;
    }
    const best = newest.get(commit.name);
    if (!best || commit.time > best.time || (commit.time === best.time && hash > best.hash)) {
      newest.set(commit.name, { hash, time: commit.time });
    }
  }
  onProgress?.({ phase: 'scan commits', done, total: done });
  return [...newest].map(([name, { hash }]) => ({ name, head: hash }));
}

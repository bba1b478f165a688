import type { ProgressListener, Store } from '@gitty/core';
import { formatBytes } from './output.js';

/** What `gitty stats` reports: model counts plus the driver's own facts. */
export interface StoreFacts {
  driver: string;
  files: number;
  versions: number;
  /** The driver's facts (objects loose/packed, bytes on disk, …), as `driverStats()` gives them. */
  driverStats: Record<string, number>;
}

/** Count files and versions (every head's history) and collect the driver's stats. */
export async function storeFacts(store: Store, onProgress?: ProgressListener): Promise<StoreFacts> {
  let files = 0;
  let versions = 0;
  const seen = new Set<string>();
  for await (const { head } of store.driver.heads()) {
    files++;
    for await (const commit of store.walk(head)) {
      if (seen.has(commit.commit)) break;
      seen.add(commit.commit);
      versions++;
    }
    onProgress?.({ phase: 'files', done: files });
  }
  const driverStats = await store.driverStats();
  if (Object.keys(driverStats).length === 0) {
    // Drivers without stats: at least say how many objects there are.
    let objects = 0;
    for await (const _hash of store.driver.objects()) objects++;
    driverStats.objects = objects;
  }
  return { driver: store.driver.name, files, versions, driverStats };
}

/**
 * One line for people: `3 files, 6 versions; objects 0 loose + 14 packed (1 pack); 2.0 KiB on disk`,
 * using the files/packs drivers' keys where present.
 */
export function summarizeFacts(facts: StoreFacts): string {
  const s = facts.driverStats;
  const parts = [`${facts.files} files, ${facts.versions} versions`];
  if (s.looseObjects !== undefined || s.packedObjects !== undefined) {
    const packs = s.packs === undefined ? '' : ` (${s.packs} ${s.packs === 1 ? 'pack' : 'packs'})`;
    parts.push(`objects ${s.looseObjects ?? 0} loose + ${s.packedObjects ?? 0} packed${packs}`);
  } else if (s.objects !== undefined) parts.push(`${s.objects} objects`);
  const bytes = Object.entries(s).filter(([key]) => /bytes$/i.test(key) && key !== 'looseBytes').reduce((sum, [, value]) => sum + value, 0);
  if (bytes > 0) parts.push(`${formatBytes(bytes)} on disk`);
  return parts.join('; ');
}

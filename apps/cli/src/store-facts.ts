import type { ProgressListener, Store } from '@gitty/core';

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

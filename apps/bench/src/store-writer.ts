import type { Store } from '@gitty/core';
import type { GeneratedVersion } from './data.js';

/**
 * Write versions through the Store API in order: `create` for a first version, `update` with
 * `previous` for the rest, each with the generated `time`, so the commits hash exactly as the
 * generator (and therefore the peers) computed them. Throws when a hash differs, since then the
 * subjects would not be writing the same objects.
 */
export async function writeVersions(store: Store, versions: readonly GeneratedVersion[]): Promise<void> {
  for (const v of versions) {
    const commit = v.previous === undefined
      ? await store.create(v.name, v.bytes, { time: v.time })
      : await store.update(v.name, v.bytes, { previous: v.previous, time: v.time });
    if (commit.commit !== v.commitHash) {
      throw new Error(`${v.name} version ${v.index}: the store wrote commit ${commit.commit}, the generator expected ${v.commitHash}`);
    }
  }
}

/**
 * Write a data set's files `concurrency` at a time, each file's versions in order: for untimed
 * preparation of big stores, where a sequential loop on a slow disk would dominate the run.
 */
export async function writeFilesConcurrently(store: Store, byFile: readonly (readonly GeneratedVersion[])[], concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < byFile.length) await writeVersions(store, byFile[next++]!);
  }));
}

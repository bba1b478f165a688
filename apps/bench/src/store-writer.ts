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

import type { ProgressListener } from '@gitty/core';
import type { HeldPackLock } from './pack-lock.js';
import { removePack, type PackStore } from './pack-store.js';

/**
 * Turn every pack back into loose objects (call under the pack lock): each live object is
 * written loose (the files driver's atomic write) before its pack is removed, idx first, so a
 * crash midway leaves every object readable from one place or the other. Deleted (tombstoned)
 * objects are dropped for good.
 */
export async function unpackStore(store: PackStore, onProgress?: ProgressListener, lock?: HeldPackLock): Promise<{ unpacked: number }> {
  await store.packs.scan();
  await store.tombstones.refresh();
  let unpacked = 0;
  for (const pack of store.packs.all) {
    for (const hash of pack.index.hashes()) {
      if (store.tombstones.has(hash)) continue;
      const object = await pack.read(hash);
      if (!object) continue;
      if (await store.loose.storeObject(hash, object.type, object.data)) unpacked++;
      if (unpacked % 500 === 0) onProgress?.({ phase: 'unpack', done: unpacked });
    }
    await lock?.assertHeld(); // a takeover means another repack may rely on this pack
    await removePack(pack.path);
  }
  await store.packs.scan();
  await lock?.assertHeld();
  await store.tombstones.compact((hash) => store.packs.find(hash) !== undefined);
  onProgress?.({ phase: 'unpack', done: unpacked, total: unpacked });
  return { unpacked };
}

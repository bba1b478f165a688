import type { CommitSource } from '@gitty/driver-files';
import { PackSet } from './pack-set.js';
import { Tombstones } from './tombstones.js';

/**
 * Every object of a packs store for a heads rebuild (no or a broken head log): the loose ones
 * and the packed ones that are not deleted, each once, loose copies read first. The files
 * driver rebuilds over this source once and writes the log once — a rebuild from the loose
 * commits followed by a second pass over the packed ones lost heads for good when a crash
 * came between the two.
 */
export async function packedCommitSource(packFolder: string, maxObjectSize: number, loose: CommitSource): Promise<CommitSource> {
  const packs = new PackSet(packFolder, maxObjectSize);
  await packs.scan();
  const tombstones = new Tombstones(packFolder);
  await tombstones.refresh();
  return {
    async *objects() {
      const seen = new Set<string>();
      for await (const hash of loose.objects()) {
        seen.add(hash);
        yield hash;
      }
      for (const hash of packs.hashes()) if (!seen.has(hash) && !tombstones.has(hash)) yield hash;
    },
    loadObject: async (hash) => (await loose.loadObject(hash)) ?? (tombstones.has(hash) ? undefined : packs.read(hash)),
    // The rebuild's own view of the packs: without this its descriptors stayed open until GC.
    close: () => packs.close(),
  };
}

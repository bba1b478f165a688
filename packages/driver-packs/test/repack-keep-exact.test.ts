import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashObject, type Driver } from '@gitty/core';
import { repackStore } from '../src/repack.js';
import { memoryPacks } from './helpers.js';

// What repackStore keeps from its scan: the bytes of every object (below 128 MiB) are kept in
// memory, so a loose copy removed after the scan (another process's gc) is packed from them;
// a loose copy that appears during the repack for an object it packs from a merged pack is not
// its to remove; and a storage failure before the install is STORAGE_FULL naming the temp pack.
// The progress listener (every 500 objects written) is where the test steps in.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup() {
  const t = await memoryPacks();
  cleanups.push(t.done);
  await mkdir(path.join(t.dir, 'objects', 'pack'), { recursive: true });
  return { ...t, store: t.driver.packStore, loose: t.driver.packStore.loose as Driver };
}

const blobOf = (text: string) => {
  const data = Buffer.from(text);
  return { hash: hashObject('blob', data), data };
};

describe('repackStore keeps what it scanned', () => {
  it('packs from the scan\'s copy an object whose loose copy goes mid-repack, and leaves a loose copy that came meanwhile', async () => {
    const t = await setup();
    // x is packed first, in a small pack the next repack merges.
    const x = blobOf('packed first\n');
    await t.loose.storeObject(x.hash, 'blob', x.data);
    const first = await repackStore(t.store, { minFiles: 1 });
    expect(first).toMatchObject({ packed: 1, looseRemoved: 1 });
    const loose = Array.from({ length: 501 }, (_, i) => blobOf(`loose ${i}\n`));
    for (const o of loose) await t.loose.storeObject(o.hash, 'blob', o.data);
    // Outside any chain, objects go in hash order: at 500 written, the last two are still to come.
    const order = [x.hash, ...loose.map((o) => o.hash)].sort();
    const gone = [order[501]!, order[500]!].find((h) => h !== x.hash)!;
    const removals: Promise<boolean>[] = [];
    const report = await repackStore(t.store, {
      minFiles: 1,
      onProgress: (p) => {
        if (p.done !== 500) return;
        removals.push(t.loose.deleteObject(gone)); // gc in another process
        void t.loose.storeObject(x.hash, 'blob', x.data); // a writer stores x again
      },
    });
    expect(await Promise.all(removals)).toEqual([true]);
    expect(report).toMatchObject({ packed: 502, packsRemoved: 1, looseRemoved: 500 });
    const [pack] = t.store.packs.all;
    expect(t.store.packs.all).toHaveLength(1);
    expect(pack!.index.count).toBe(502);
    expect(Buffer.from((await pack!.read(gone))!.data).toString()).toBe(loose.find((o) => o.hash === gone)!.data.toString());
    // x's new loose copy was not the repack's: it stays.
    expect(await t.loose.hasObject(x.hash)).toBe(true);
    expect(await t.loose.hasObject(gone)).toBe(false);
  });

  it('a storage failure before the install is STORAGE_FULL naming the temp pack, which is removed', async () => {
    const t = await setup();
    const a = blobOf('no room\n');
    await t.loose.storeObject(a.hash, 'blob', a.data);
    let temp = '';
    const error = await repackStore(t.store, { minFiles: 1 }, {
      beforeInstall: async (tempPack) => {
        temp = tempPack;
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    }).catch((err: unknown) => err);
    expect(path.basename(temp)).toMatch(new RegExp(`^tmp-${process.pid}-[0-9a-f]{12}\\.pack$`));
    expect(error).toMatchObject({ code: 'STORAGE_FULL', path: temp, message: `No room to write ${temp} (ENOSPC)` });
    expect(await t.loose.hasObject(a.hash)).toBe(true);
    expect(t.store.packs.all).toEqual([]);
  });
});

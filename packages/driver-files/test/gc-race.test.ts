import { describe, expect, it } from 'vitest';
import { utimes } from 'node:fs/promises';
import { openStore, type Driver, type Store } from '@gitty/core';
import { PassThroughDriver } from '@gitty/driver-test';
import type { FilesDriver } from '@gitty/driver-files';
import { openFiles, withStoreDir } from './support.js';

/** A driver whose object listing runs `hook` after its last object: gc has its candidates then. */
class ListingHook extends PassThroughDriver {
  constructor(inner: Driver, private readonly hook: () => Promise<void>) {
    super(inner);
  }

  override async *objects(): AsyncIterable<string> {
    yield* super.objects();
    await this.hook();
  }
}

async function age(files: FilesDriver, hashes: readonly string[]): Promise<void> {
  const past = new Date(Date.now() - 2 * 3600_000);
  for (const hash of hashes) await utimes(files.loose.fileOf(hash), past, past);
}

describe('gc racing a writer (the writer acts after gc listed its candidates)', () => {
  it('keeps an old unreachable object that a writer stores again and references', async () => {
    await withStoreDir(async (dir) => {
      const files = await openFiles(dir);
      const setup = await openStore(files);
      const blob = await setup.save('text someone deleted long ago, then typed again\n');
      await age(files, [blob]);
      let writer: Store | undefined;
      const gcStore = await openStore(new ListingHook(await openFiles(dir), async () => {
        writer = await openStore(await openFiles(dir));
        await writer.create('again.txt', 'text someone deleted long ago, then typed again\n');
      }));
      try {
        const report = await gcStore.gc();
        expect(report.deleted).toBe(0);
        expect(await setup.has(blob)).toBe(true);
        expect((await writer!.get('again.txt')).text).toBe('text someone deleted long ago, then typed again\n');
        expect((await writer!.fsck()).errors).toEqual([]);
      } finally {
        await writer?.close();
        await gcStore.close();
        await setup.close();
      }
    });
  });

  it('keeps an old commit that a head is moved to after gc walked the heads', async () => {
    await withStoreDir(async (dir) => {
      const files = await openFiles(dir);
      const setup = await openStore(files);
      const old = await setup.create('gone.txt', 'deleted long ago\n');
      await setup.delete('gone.txt');
      await age(files, [old.commit, old.data]);
      let writer: Store | undefined;
      const gcStore = await openStore(new ListingHook(await openFiles(dir), async () => {
        writer = await openStore(await openFiles(dir));
        await writer.driver.updateHead('gone.txt', null, old.commit); // brought back by a raw driver user
      }));
      try {
        await gcStore.gc();
        expect((await writer!.get(old.commit)).text).toBe('deleted long ago\n');
        expect((await writer!.fsck()).errors).toEqual([]);
      } finally {
        await writer?.close();
        await gcStore.close();
        await setup.close();
      }
    });
  });
});

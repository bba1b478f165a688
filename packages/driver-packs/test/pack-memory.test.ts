import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashObject, MemoryDriver, nodeCompression, openStore } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { BaseCache } from '../src/base-cache.js';
import { entryHeader, packHeader, PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackFile } from '../src/pack-reader.js';
import { PacksDriver } from '../src/packs-driver.js';
import { writeHistory } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('pack reads stay bounded in memory', () => {
  it('a corrupt entry at the start of a 5 GiB pack is CORRUPT_OBJECT naming the pack, not a read of the whole rest', async () => {
    const { dir, remove } = await tempDir('gitty-packs-bomb-');
    cleanups.push(remove);
    const folder = path.join(dir, 'objects', 'pack');
    await mkdir(folder, { recursive: true });
    // One blob declared 100 bytes whose zlib stream never ends: a zlib header, then empty
    // non-final stored blocks for 8 KB, then (sparse) zeros for 5 GiB.
    const emptyBlock = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
    const body = Buffer.concat([Buffer.from([0x78, 0x01]), ...Array.from({ length: 1600 }, () => emptyBlock)]);
    const head = Buffer.concat([packHeader(1), Buffer.from(entryHeader(PackType.blob, 100)), body]);
    const trailer = createHash('sha1').update(head).digest();
    const packPath = path.join(folder, `pack-${trailer.toString('hex')}.pack`);
    const size = 5 * 1024 ** 3;
    const handle = await open(packPath, 'w');
    await handle.write(head, 0, head.length, 0);
    await handle.write(trailer, 0, 20, size - 20); // leaves a hole: no disk used
    await handle.close();
    const hash = hashObject('blob', new Uint8Array(100));
    await writeFile(packPath.replace(/\.pack$/, '.idx'), writePackIndex([{ hash, offset: 12, crc: 0 }], trailer.toString('hex')));

    const driver = await new PacksDriver(new MemoryDriver(), { dir, compression: nodeCompression, maxObjectSize: 1 << 20 }).open();
    const store = await openStore(driver);
    cleanups.unshift(() => store.close());
    const error = await store.load(hash).then(() => undefined, (err: unknown) => err);
    expect(error).toMatchObject({ code: 'CORRUPT_OBJECT' });
    expect((error as Error).message).toContain(packPath);
  });

  it('the delta-base cache is bounded by bytes, whatever the number of bases', async () => {
    const { dir, remove } = await tempDir('gitty-packs-cache-');
    cleanups.push(remove);
    const driver = await new PacksDriver(new MemoryDriver(), { dir, compression: nodeCompression, maxObjectSize: 1 << 24 }).open();
    const store = await openStore(driver);
    cleanups.unshift(() => store.close());
    // Versions of ~60 KB: each older one a delta on the next newer, so reading them caches bases.
    const big = (f: number, v: number) => `${'x'.repeat(60_000)} file ${f} version ${v}\n`;
    const commits: string[] = [];
    for (let f = 0; f < 6; f++) {
      let previous = (await store.create(`f-${f}.txt`, big(f, 0))).commit;
      for (let v = 1; v < 6; v++) previous = (await store.update(`f-${f}.txt`, big(f, v), { previous })).commit;
      commits.push(previous);
    }
    const report = await store.repack({ minFiles: 1 });
    expect(report.deltas).toBeGreaterThan(20);
    const cache = new BaseCache(256 * 1024);
    const pack = await PackFile.open(report.pack!, 1 << 24, cache);
    try {
      let most = 0;
      for (const hash of pack.index.hashes()) {
        await pack.read(hash);
        most = Math.max(most, cache.bytes);
      }
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(256 * 1024);
    } finally {
      await pack.close();
    }
    expect(cache.bytes).toBe(0); // a closed pack leaves nothing behind
    await writeHistory(store, 1, 1); // the store still works after
  });
});

import { describe, expect, it } from 'vitest';
import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile, readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openStore } from '@gitty/core';
import { waitFor } from '@gitty/driver-test/harness';
import { HeadLog, type FilesDriver } from '@gitty/driver-files';
import { openFiles, withStoreDir } from './support.js';

describe('a head log that lost its epoch line, or vanished', () => {
  for (const [what, damage] of [
    ['is empty', (file: string) => truncate(file, 0)],
    ['has a damaged first line', async (file: string) => writeFile(file, (await readFile(file, 'utf8')).replace(/^[^\n]*/, 'garbage'))],
  ] as const) {
    it(`${what}: opening rebuilds heads from the objects (under the lock), and create of an existing name is FILE_EXISTS`, async () => {
      await withStoreDir(async (dir, open) => {
        const store = await open();
        const a = await store.create('a.txt', 'one');
        const a2 = await store.update('a.txt', 'two', { previous: a.commit });
        const b = await store.create('b.txt', 'bee');
        await store.close();
        const file = path.join(dir, 'ref', 'head');
        await damage(file);

        const reopened = await open();
        expect(await reopened.head('a.txt')).toBe(a2.commit);
        expect(await reopened.head('b.txt')).toBe(b.commit);
        await expect(reopened.create('a.txt', 'clobber')).rejects.toMatchObject({ code: 'FILE_EXISTS' });
        expect(Object.keys(JSON.parse((await readFile(file, 'utf8')).split('\n')[0]!) as object)).toContain('epoch');
        // The damaged log is kept for inspection.
        expect((await readdir(path.join(dir, 'ref'))).some((n) => n.startsWith('head.broken-'))).toBe(true);
      });
    });
  }

  it('emptied while a store is open: readers keep their heads, a CAS rebuilds from the objects first', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open({ pollInterval: 0 });
      const a = await store.create('a.txt', 'one');
      await truncate(path.join(dir, 'ref', 'head'), 0);
      await store.rescan();
      expect(await store.head('a.txt')).toBe(a.commit);
      await expect(store.create('a.txt', 'clobber')).rejects.toMatchObject({ code: 'FILE_EXISTS' });
      const a2 = await store.update('a.txt', 'two', { previous: a.commit });
      const other = await open();
      expect(await other.head('a.txt')).toBe(a2.commit);
    });
  });

  it('deleted while a process holds stale heads in memory: its CAS rebuilds from the objects, not from memory', async () => {
    await withStoreDir(async (dir, open) => {
      const stale = await open({ pollInterval: 3_600_000, watchLog: false });
      const fresh = await open();
      const a = await stale.create('x.txt', 'one');
      const b = await fresh.update('x.txt', 'two', { previous: a.commit });
      await unlink(path.join(dir, 'ref', 'head'));
      // `stale` never saw b: writing the log from memory would roll x.txt back to a and accept this.
      await expect(stale.update('x.txt', 'three', { previous: a.commit })).rejects.toMatchObject({ code: 'NOT_AT_HEAD', head: b.commit });
      await fresh.rescan();
      expect(await fresh.head('x.txt')).toBe(b.commit);
    });
  });
});

describe('a line whose bytes have not arrived yet (NUL bytes, as NFS can show them)', () => {
  it('is read again under the lock instead of being skipped for good', async () => {
    await withStoreDir(async (dir) => {
      const writer = await openStore(await openFiles(dir));
      const a = await writer.create('a.txt', 'one');
      const b = await writer.create('b.txt', 'bee');
      // Objects for two changes, whose log lines the test writes itself.
      const a2 = await writer.update('a.txt', 'two', { previous: a.commit });
      const b2 = await writer.update('b.txt', 'bee two', { previous: b.commit });
      await writer.close();
      const file = path.join(dir, 'ref', 'head');
      const text = await readFile(file, 'utf8');
      const lineA = `${JSON.stringify({ name: 'a.txt', old: a.commit, new: a2.commit })}\n`;
      const lineB = `${JSON.stringify({ name: 'b.txt', old: b.commit, new: b2.commit })}\n`;
      await writeFile(file, text.slice(0, text.indexOf(lineA)));

      const reader = await openStore(await openFiles(dir, { pollInterval: 0, watchLog: false }));
      const heads = (reader.driver as FilesDriver).sharedHeads;
      expect(await reader.head('a.txt')).toBe(a.commit);
      const log = new HeadLog(file, { durability: 'none' });
      let rescan: Promise<unknown> = Promise.resolve();
      await log.withLock(async () => {
        // A writer appended both lines; the reader sees the first one's place as NUL bytes.
        const start = (await readFile(file)).length;
        await appendFile(file, Buffer.concat([Buffer.alloc(Buffer.byteLength(lineA)), Buffer.from(lineB)]));
        let settled = false;
        rescan = reader.rescan().then(() => (settled = true));
        await waitFor(() => heads.nulRereads > 0 || settled, 30_000);
        // The bytes arrive before the writer releases the lock.
        const fd = openSync(file, 'r+');
        writeSync(fd, lineA, start);
        closeSync(fd);
      });
      await rescan;
      expect(await reader.head('a.txt')).toBe(a2.commit);
      expect(await reader.head('b.txt')).toBe(b2.commit);
      await reader.close();
    });
  });
});

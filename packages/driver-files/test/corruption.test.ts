import { describe, expect, it } from 'vitest';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withStoreDir } from './support.js';

const objectFile = (dir: string, hash: string) => path.join(dir, 'objects', hash.slice(0, 2), hash.slice(2));

describe('a corrupted object file', () => {
  it('a bit flip is reported by get and fsck, naming the file, and the rest of the store works', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      const damaged = await store.create('damaged.txt', 'some text that will rot\n'.repeat(10));
      await store.create('healthy.txt', 'fine');
      const file = objectFile(dir, damaged.data);
      const raw = await readFile(file);
      raw[Math.floor(raw.length / 2)]! ^= 0x10;
      await writeFile(file, raw);

      const err = await store.get('damaged.txt').then(() => undefined, (e: unknown) => e as Error & { code: string });
      expect(err?.code).toBe('CORRUPT_OBJECT');
      expect(err?.message).toContain(file);

      const report = await store.fsck();
      expect(report.ok).toBe(false);
      expect(report.counts.corrupt).toBe(1);
      expect(report.errors).toEqual([expect.objectContaining({ code: 'CORRUPT_OBJECT', hash: damaged.data })]);

      expect((await store.get('healthy.txt')).text).toBe('fine');
      const next = await store.update('healthy.txt', 'still fine', { previous: (await store.head('healthy.txt'))! });
      expect((await store.get(next.commit)).text).toBe('still fine');
      expect((await store.commit('damaged.txt')).name).toBe('damaged.txt');
    });
  });

  it('a truncated object is reported by get and fsck and does not stop other files', async () => {
    await withStoreDir(async (dir, open) => {
      const writer = await open();
      const cut = await writer.create('cut.txt', 'x'.repeat(5000));
      const other = await writer.create('other.txt', 'intact');
      await truncate(objectFile(dir, cut.commit), 10);
      // A fresh store: the writer's commit cache would answer without reading the file.
      const store = await open();
      await expect(store.get('cut.txt')).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
      const report = await store.fsck();
      expect(report.errors.map((e) => [e.code, e.hash])).toContainEqual(['CORRUPT_OBJECT', cut.commit]);
      expect((await store.get(other.commit)).text).toBe('intact');
      await truncate(objectFile(dir, other.data), 0);
      await expect(store.load(other.data)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
      expect((await store.history('other.txt')).history).toHaveLength(1);
    });
  });
});

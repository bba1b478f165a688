import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { frameObject, hashObject, isGittyError, nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjects, TEMP_PREFIX } from '@gitty/driver-files';
import { withStoreDir } from './support.js';

const bytes = (text: string) => new TextEncoder().encode(text);

async function withLoose(use: (loose: LooseObjects, root: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-loose-');
  try {
    const root = path.join(dir, 'objects');
    await use(new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1 << 20, durability: 'fsync' }), root);
  } finally {
    await remove();
  }
}

describe('loose objects', () => {
  it('repairs a damaged (truncated) copy when the same content is stored again', async () => {
    await withLoose(async (loose, root) => {
      const data = bytes('some content that will be cut short\n'.repeat(50));
      const hash = hashObject('blob', data);
      await loose.store(hash, 'blob', data);
      const file = path.join(root, hash.slice(0, 2), hash.slice(2));
      const whole = await readFile(file);
      await writeFile(file, whole.subarray(0, whole.length >> 1));
      await expect(loose.load(hash)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
      expect(await loose.store(hash, 'blob', data)).toBe(true);
      expect(await loose.load(hash)).toEqual({ type: 'blob', data: Uint8Array.from(data) });
      // The same through storeRaw.
      await writeFile(file, whole.subarray(0, 10));
      expect(await loose.storeRaw(hash, whole)).toBe(true);
      expect(await loose.loadRaw(hash)).toEqual(Uint8Array.from(whole));
      expect((await readdir(path.join(root, hash.slice(0, 2)))).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
    });
  });

  it('stores git-compatible zlib files at objects/ab/cdef… and never rewrites one', async () => {
    await withLoose(async (loose, root) => {
      const data = bytes('hello\n');
      const hash = hashObject('blob', data);
      expect(hash).toBe('ce013625030ba8dba906f756967f9e9ca394464a'); // git hash-object of "hello\n"
      expect(await loose.store(hash, 'blob', data)).toBe(true);
      const file = path.join(root, hash.slice(0, 2), hash.slice(2));
      expect(zlib.inflateSync(await readFile(file))).toEqual(Buffer.from(frameObject('blob', data)));
      // Storing it again keeps the file but refreshes its time, as git does (gc's grace period).
      const longAgo = new Date(Date.now() - 24 * 3600_000);
      await utimes(file, longAgo, longAgo);
      const before = await stat(file);
      expect(await loose.store(hash, 'blob', data)).toBe(false);
      const after = await stat(file);
      expect(after.ino).toBe(before.ino);
      expect(after.mtimeMs).toBeGreaterThan(Date.now() - 60_000);
      expect(await loose.load(hash)).toEqual({ type: 'blob', data: Uint8Array.from(data) });
      expect(await loose.objectTime(hash)).toBe(after.mtimeMs);
      expect(await readdir(path.join(root, hash.slice(0, 2)))).toEqual([hash.slice(2)]);
    });
  });

  it('verifies raw bytes before storing them and serves them back', async () => {
    await withLoose(async (loose) => {
      const data = bytes('raw');
      const hash = hashObject('blob', data);
      const raw = zlib.deflateSync(frameObject('blob', data));
      const other = hashObject('blob', bytes('other'));
      await expect(loose.storeRaw(other, raw)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
      expect(await loose.has(other)).toBe(false);
      expect(await loose.storeRaw(hash, raw)).toBe(true);
      expect(await loose.loadRaw(hash)).toEqual(new Uint8Array(raw));
    });
  });

  it('lists objects by walking the folders, ignoring temp files and foreign names', async () => {
    await withLoose(async (loose, root) => {
      const hashes = [];
      for (let i = 0; i < 20; i++) {
        const data = bytes(`object ${i}`);
        hashes.push(hashObject('blob', data));
        await loose.store(hashes[i]!, 'blob', data);
      }
      await mkdir(path.join(root, 'pack'), { recursive: true });
      await mkdir(path.join(root, 'info'), { recursive: true });
      await writeFile(path.join(root, 'pack', 'pack-x.pack'), 'x');
      await writeFile(path.join(root, hashes[0]!.slice(0, 2), `${TEMP_PREFIX}otherhost-1-abcdef`), 'half an obj');
      const listed = [];
      for await (const hash of loose.list()) listed.push(hash);
      expect(listed.sort()).toEqual([...hashes].sort());
      expect((await loose.stats()).objects).toBe(20);
    });
  });

  it('prune removes empty folders and temp files whose writer is gone, and keeps fresh ones of others', async () => {
    await withLoose(async (loose, root) => {
      const data = bytes('to delete');
      const hash = hashObject('blob', data);
      await loose.store(hash, 'blob', data);
      const keep = hashObject('blob', bytes('keep'));
      await loose.store(keep, 'blob', bytes('keep'));
      expect(await loose.delete(hash)).toBe(true);
      expect(await loose.delete(hash)).toBe(false);
      // A temp file of a process of this host that has exited.
      const child = spawn(process.execPath, ['-e', '0']);
      await once(child, 'exit');
      const os = await import('node:os');
      const host = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64);
      const keepFolder = path.join(root, keep.slice(0, 2));
      const dead = path.join(keepFolder, `${TEMP_PREFIX}${host}-${child.pid}-0a0b`);
      const foreignFresh = path.join(keepFolder, `${TEMP_PREFIX}elsewhere-77-0c0d`);
      const foreignOld = path.join(keepFolder, `${TEMP_PREFIX}elsewhere-78-0e0f`);
      for (const file of [dead, foreignFresh, foreignOld]) await writeFile(file, 'partial');
      const old = new Date(Date.now() - 2 * 3600_000);
      await utimes(foreignOld, old, old);
      const report = await loose.prune();
      expect(report.tempFiles).toBe(2);
      expect(report.folders).toBe(hash.slice(0, 2) === keep.slice(0, 2) ? 0 : 1);
      expect((await readdir(keepFolder)).sort()).toEqual([path.basename(foreignFresh), keep.slice(2)].sort());
      expect(await loose.load(keep)).toBeDefined();
    });
  });

  it('rejects hashes with ../, upper case or a wrong length before touching the file system', async () => {
    const { dir, remove } = await tempDir('gitty-bad-');
    try {
      const root = path.join(dir, 'store', 'objects');
      const loose = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1 << 20 });
      const bad = [
        `../../${'a'.repeat(34)}`, `ab/../../${'c'.repeat(31)}`, 'A'.repeat(40), 'a'.repeat(39), 'a'.repeat(41), '', `${'a'.repeat(39)}\0`,
      ];
      for (const hash of bad) {
        const calls = [
          () => loose.store(hash, 'blob', bytes('x')), () => loose.storeRaw(hash, zlib.deflateSync(frameObject('blob', bytes('x')))),
          () => loose.load(hash), () => loose.loadRaw(hash), () => loose.has(hash), () => loose.delete(hash), () => loose.objectTime(hash),
        ];
        for (const call of calls) {
          const err = await call().then(() => undefined, (e: unknown) => e);
          expect(isGittyError(err, 'INVALID_HASH')).toBe(true);
        }
      }
      // Nothing was created: not the objects folder, not anything beside it.
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await remove();
    }
  });

  it('the store rejects the same bad hashes with INVALID_HASH and stays intact', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      await store.create('a.txt', 'content');
      const before = (await readdir(path.join(dir, 'objects'))).sort();
      for (const hash of ['../../etc/passwd', 'F'.repeat(40), 'f'.repeat(39)]) {
        await expect(store.load(hash)).rejects.toMatchObject({ code: 'INVALID_HASH' });
        await expect(store.has(hash)).rejects.toMatchObject({ code: 'INVALID_HASH' });
        await expect(store.driver.storeObject(hash, 'blob', bytes('x'))).rejects.toMatchObject({ code: 'INVALID_HASH' });
        await expect(store.driver.deleteObject(hash)).rejects.toMatchObject({ code: 'INVALID_HASH' });
      }
      expect((await readdir(path.join(dir, 'objects'))).sort()).toEqual(before);
      expect((await store.fsck()).ok).toBe(true);
    });
  });
});

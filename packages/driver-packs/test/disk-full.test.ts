import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, registerDriver, type Store } from '@gitty/core';
import { tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import { fillDisk, mountSmallDisk } from './small-disk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** `count` files of ~20 KB each that barely compress: their pack needs ~400 KB. */
async function writeFiles(store: Store, count: number): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const text = randomBytes(15_000).toString('base64');
    await store.create(`f-${i}.txt`, text);
    texts.set(`f-${i}.txt`, text);
  }
  return texts;
}

async function expectIntact(dir: string, texts: Map<string, string>): Promise<void> {
  const store = await openStore({ driver: 'packs', dir });
  try {
    for (const [name, text] of texts) expect((await store.get(name)).text).toBe(text);
    expect((await store.fsck()).errors).toEqual([]);
  } finally {
    await store.close();
  }
  const leftovers = (await readdir(path.join(dir, 'objects', 'pack')).catch(() => [] as string[])).filter((n) => n.startsWith('tmp-'));
  expect(leftovers).toEqual([]);
}

/** Repack in a child process whose files may not grow past `limit` bytes (RLIMIT_FSIZE). */
function repackUnderSizeLimit(dir: string, limit: number): Promise<{ ok?: boolean; code?: string }> {
  const child = spawn('prlimit', [`--fsize=${limit}`, process.execPath, ...tsNodeArgs(path.join(here, 'children', 'repack-limited.ts'), [dir])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`child exited ${code} ${child.signalCode}: ${err}`))));
  });
}

describe('repack on a full disk', () => {
  it('fails with STORAGE_FULL, leaves every object readable and no temp files, and works once space returns', async () => {
    const { dir: parent, remove } = await tempDir('gitty-packs-full-');
    cleanups.push(remove);
    registerDriver('packs', createDriver);
    const disk = await mountSmallDisk(parent, 4 * 1024 * 1024);
    if (disk) cleanups.unshift(disk.unmount);
    const dir = path.join(disk?.dir ?? parent, 'store');
    const store = await openStore({ driver: 'packs', dir });
    cleanups.unshift(() => store.close());
    const texts = await writeFiles(store, 24);

    if (disk) {
      // A real full file system: about 100 KB left for a pack of about 400 KB.
      const filler = path.join(disk.dir, 'filler');
      fillDisk(disk.dir, filler, 100 * 1024);
      await expect(store.repack({ minFiles: 1 })).rejects.toMatchObject({ code: 'STORAGE_FULL' });
      await expectIntact(dir, texts);
      // Deleting a packed object needs a line in the deleted list: on a full disk it fails typed too.
      await rm(filler);
      expect((await store.repack({ minFiles: 1 })).packed).toBe(48);
      // One page left: the lock's owner file takes it, the deleted list finds no room.
      fillDisk(disk.dir, filler, 4096);
      const head = (await store.head('f-0.txt'))!;
      const deleting = await store.driver.deleteObject(head).then(() => undefined, (err: unknown) => err);
      expect(deleting).toMatchObject({ code: 'STORAGE_FULL', message: expect.stringContaining(path.join('pack', 'deleted')) });
      await rm(filler);
      // Unpacking writes every object loose before removing its pack: no room, no removal.
      fillDisk(disk.dir, filler, 64 * 1024);
      const unpacking = await store.unpack().then(() => undefined, (err: unknown) => err);
      expect(unpacking).toMatchObject({ code: 'STORAGE_FULL' });
      expect((unpacking as Error).message).not.toContain('pack.lock');
      await rm(filler);
      await expectIntact(dir, texts);
      expect(await store.driverStats()).toMatchObject({ packs: 1 });
    } else {
      // No mount allowed: the file size limit makes the pack write fail the same way (EFBIG).
      expect(await repackUnderSizeLimit(dir, 100 * 1024)).toEqual({ code: 'STORAGE_FULL' });
      await expectIntact(dir, texts);
      expect((await store.repack({ minFiles: 1 })).packed).toBe(48);
      await expectIntact(dir, texts);
    }
  });
});

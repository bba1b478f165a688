import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashObject, isGittyError, nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjects, TEMP_PREFIX, isStaleTemp, isTempName, removeStaleTemps, tempName } from '@gitty/driver-files';
import { liveProcess } from './live-process.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const HOST = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64) || 'host';
const HOUR = 3600_000;

async function withLoose(use: (loose: LooseObjects, root: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-prune-');
  try {
    const root = path.join(dir, 'objects');
    await use(new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1 << 20, durability: 'none' }), root);
  } finally {
    await remove();
  }
}

async function backdate(file: string, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  await utimes(file, when, when);
}

describe('prune and temp files', () => {
  it('prune never removes an object file, however old: only temp files', async () => {
    await withLoose(async (loose, root) => {
      const data = bytes('an old object');
      const hash = hashObject('blob', data);
      await loose.store(hash, 'blob', data);
      await backdate(loose.fileOf(hash), 48 * HOUR);
      const report = await loose.prune();
      expect(report).toEqual({ folders: 0, tempFiles: 0 });
      expect(await loose.load(hash)).toEqual({ type: 'blob', data });
      expect(await readdir(root)).toEqual([hash.slice(0, 2)]);
    });
  });

  it('prune keeps the temp files of live writers: this process and another live process of this host', async () => {
    const live = await liveProcess();
    try {
      await withLoose(async (loose) => {
        const data = bytes('x');
        const hash = hashObject('blob', data);
        await loose.store(hash, 'blob', data);
        const folder = path.dirname(loose.fileOf(hash));
        const mine = path.join(folder, tempName());
        const theirs = path.join(folder, `${TEMP_PREFIX}${HOST}-${live.pid}-0a0b0c`);
        for (const file of [mine, theirs]) await writeFile(file, 'being written');
        expect(await loose.prune()).toEqual({ folders: 0, tempFiles: 0 });
        expect((await readdir(folder)).sort()).toEqual([path.basename(mine), path.basename(theirs), hash.slice(2)].sort());
        // Once that writer is gone its file goes; ours stays.
        await live.kill();
        expect(await loose.prune()).toEqual({ folders: 0, tempFiles: 1 });
        expect((await readdir(folder)).sort()).toEqual([path.basename(mine), hash.slice(2)].sort());
        // Past the stale age even a live writer's temp file goes (a stuck writer, or a reused pid).
        await backdate(mine, 2 * HOUR);
        expect(await loose.prune()).toEqual({ folders: 0, tempFiles: 1 });
        expect(await readdir(folder)).toEqual([hash.slice(2)]);
      });
    } finally {
      await live.kill();
    }
  });

  it('prune removes emptied object folders, not folders that are not object folders', async () => {
    await withLoose(async (loose, root) => {
      const data = bytes('gone soon');
      const hash = hashObject('blob', data);
      await loose.store(hash, 'blob', data);
      await loose.delete(hash);
      await mkdir(path.join(root, 'not-an-object-folder'));
      expect(await loose.prune()).toEqual({ folders: 1, tempFiles: 0 });
      expect(await readdir(root)).toEqual(['not-an-object-folder']);
    });
  });

  it('removeStaleTemps: dead writers\' files and aside-moved lock folders go, live writers\' and other files stay', async () => {
    const { dir, remove } = await tempDir('gitty-temps-');
    try {
      const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      await once(child, 'exit');
      const dead = `${TEMP_PREFIX}${HOST}-${child.pid}-abcdef`;
      const deadFolder = `${TEMP_PREFIX}${HOST}-${child.pid}-fedcba`;
      const mine = tempName();
      const foreign = `${TEMP_PREFIX}another-host-12-abcdef`;
      const oldForeign = `${TEMP_PREFIX}another-host-13-abcdef`;
      const odd = `${TEMP_PREFIX}no-pid-here`;
      for (const name of [dead, mine, foreign, oldForeign, odd, 'head']) await writeFile(path.join(dir, name), 'x');
      await mkdir(path.join(dir, deadFolder));
      await writeFile(path.join(dir, deadFolder, 'owner'), '{}');
      await backdate(path.join(dir, oldForeign), 2 * HOUR);
      await backdate(path.join(dir, 'head'), 2 * HOUR);
      expect(await removeStaleTemps(dir)).toBe(3);
      expect((await readdir(dir)).sort()).toEqual([mine, foreign, odd, 'head'].sort());
      expect(await removeStaleTemps(path.join(dir, 'missing'))).toBe(0);
    } finally {
      await remove();
    }
  });

  it('isStaleTemp judges by age first, then by this host\'s pids', () => {
    const now = 10 * HOUR;
    const mine = tempName();
    expect(isTempName(mine)).toBe(true);
    expect(isTempName(`x${mine}`)).toBe(false);
    expect(mine.startsWith(`${TEMP_PREFIX}${HOST}-${process.pid}-`)).toBe(true);
    expect(isStaleTemp(mine, now, now)).toBe(false);
    expect(isStaleTemp(mine, now - HOUR, now)).toBe(false);
    expect(isStaleTemp(mine, now - HOUR - 1, now)).toBe(true);
    expect(isStaleTemp(mine, now - 1000, now, 500)).toBe(true);
    expect(isStaleTemp(`${TEMP_PREFIX}elsewhere-1-ab`, now, now)).toBe(false);
    expect(isStaleTemp(`${TEMP_PREFIX}${HOST}-notapid-ab`, now, now)).toBe(false);
    // Not a temp name this code writes (the tail is not hex): never judged by its pid.
    expect(isStaleTemp(`${TEMP_PREFIX}${HOST}-999999999-abcxyz`, now, now)).toBe(false);
  });
});

describe('storing loose objects', () => {
  it('refuses content that does not hash to the name it is stored under, writing nothing', async () => {
    await withLoose(async (loose, root) => {
      const data = bytes('real content');
      const hash = hashObject('blob', data);
      const err = await loose.store(hash, 'blob', bytes('other content')).catch((e: unknown) => e);
      expect(isGittyError(err) && err.code).toBe('CORRUPT_OBJECT');
      expect((err as Error).message).toBe(`Corrupt object ${hash} in storeObject: content hashes to ${hashObject('blob', bytes('other content'))}`);
      expect(await loose.has(hash)).toBe(false);
      expect(await readdir(root).catch(() => [])).toEqual([]);
      // The hash is not poisoned: the real content stores and loads.
      expect(await loose.store(hash, 'blob', data)).toBe(true);
      expect(await loose.load(hash)).toEqual({ type: 'blob', data });
      expect(await loose.store(hash, 'blob', data)).toBe(false);
    });
  });

  it('storing existing content refreshes the file\'s time (gc\'s grace period) and reports it was there', async () => {
    await withLoose(async (loose) => {
      const data = bytes('refresh me');
      const hash = hashObject('blob', data);
      await loose.store(hash, 'blob', data);
      await backdate(loose.fileOf(hash), 48 * HOUR);
      const before = Date.now();
      expect(await loose.store(hash, 'blob', data)).toBe(false);
      expect(await loose.objectTime(hash)).toBeGreaterThanOrEqual(before - 1000);
    });
  });
});

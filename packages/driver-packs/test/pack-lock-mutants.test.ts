import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { withPackLock } from '../src/pack-lock.js';

// The pack lock's own bookkeeping, each seen from outside: an owner file that cannot be written
// leaves no lock behind, the refresh never touches a lock taken over by a successor, and release
// leaves no refresh timer running, and a lock gone by the time the waiter looks at it is retried.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0)) await c();
});

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-lock-mutants-');
  cleanups.push(remove);
  return path.join(dir, 'objects', 'pack');
}

describe('withPackLock', () => {
  it('when the owner file cannot be written, removes the lock folder it made and fails with the file system\'s error', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    cleanups.push(remove);
    // pack.lock fits within PATH_MAX (4096), pack.lock/owner does not.
    let deep = dir;
    while (deep.length < 4096 - 16 - 241) deep = path.join(deep, 'd'.repeat(240));
    deep = path.join(deep, 'e'.repeat(4096 - 16 - deep.length));
    const lockPath = path.join(deep, 'pack.lock');
    expect([lockPath.length < 4096, path.join(lockPath, 'owner').length >= 4096]).toEqual([true, true]);
    let ran = false;
    await expect(withPackLock(deep, async () => {
      ran = true;
    })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    expect(ran).toBe(false);
    expect(existsSync(lockPath)).toBe(false);
    expect(await readdir(deep)).toEqual([]);
  });

  it('the refresh leaves a lock taken over by a successor untouched', async () => {
    const dir = await folder();
    const lockPath = path.join(dir, 'pack.lock');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const old = new Date(Date.UTC(2001, 0, 1));
    const successor = JSON.stringify({ host: 'elsewhere', pid: 1, token: 'successor' });
    await withPackLock(dir, async () => {
      await writeFile(path.join(lockPath, 'owner'), successor);
      await utimes(lockPath, old, old);
      // staleMs 400: a touch every 100 ms; three ticks, each given time to finish its reads.
      for (let tick = 0; tick < 3; tick++) {
        vi.advanceTimersByTime(100);
        for (let i = 0; i < 30; i++) await stat(lockPath);
        expect([tick, (await stat(lockPath)).mtimeMs]).toEqual([tick, old.getTime()]);
      }
    }, { staleMs: 400 });
    // Not ours any more: left in place as the successor has it.
    expect(await readFile(path.join(lockPath, 'owner'), 'utf8')).toBe(successor);
    expect((await stat(lockPath)).mtimeMs).toBe(old.getTime());
  });

  it('the refresh timer runs while the lock is held and is stopped on release, also when the work throws', async () => {
    const dir = await folder();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    expect(vi.getTimerCount()).toBe(0);
    expect(await withPackLock(dir, async () => vi.getTimerCount())).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    await expect(withPackLock(dir, async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a lock that is gone when the waiter looks at it (after mkdir found it) is tried again at once', async () => {
    const dir = await folder();
    const lockPath = path.join(dir, 'pack.lock');
    await withPackLock(dir, async () => undefined); // makes the folder
    // A dangling symlink: mkdir says EEXIST, but stat (through the link) finds nothing, as when
    // the holder released between the two. The waiter retries until the link goes.
    await symlink(path.join(dir, 'nowhere'), lockPath);
    const waiting = withPackLock(dir, async () => (await stat(lockPath)).isDirectory(), { waitMs: 60_000 });
    await new Promise((r) => setTimeout(r, 20));
    await rm(lockPath);
    expect(await waiting).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });
});

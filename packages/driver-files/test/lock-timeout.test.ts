import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs, { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isGittyError } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock } from '@gitty/driver-files';
import { liveProcess } from './live-process.js';

const NS = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();

async function withFolder(use: (dir: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-lock-');
  try {
    await use(dir);
  } finally {
    await remove();
  }
}

/** Plant a lock folder as another holder would leave it; `ageMs` back-dates it (no refresh since). */
async function plantLock(file: string, owner: Record<string, unknown> | undefined, ageMs = 0): Promise<void> {
  const lock = `${file}.lock`;
  await mkdir(lock);
  if (owner) await writeFile(path.join(lock, 'owner'), JSON.stringify(owner));
  const when = new Date(Date.now() - ageMs);
  await utimes(lock, when, when);
}

/** How the attempt to take the lock ended: 'taken' or the error code. */
async function attempt(file: string, options: { staleMs?: number; timeoutMs?: number }): Promise<string> {
  try {
    return await new FileLock(file, options).withLock(async () => 'taken');
  } catch (err) {
    if (isGittyError(err)) return err.code;
    throw err;
  }
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

describe('FileLock', () => {
  it('a waiter gives up with LOCK_TIMEOUT naming the lock while a live holder keeps it', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const holder = new FileLock(file).withLock(async () => {
        entered();
        await holding;
      });
      await inside;
      const started = Date.now();
      const err = await new FileLock(file, { timeoutMs: 300 }).withLock(async () => 'taken').catch((e: unknown) => e);
      expect(isGittyError(err) && err.code).toBe('LOCK_TIMEOUT');
      expect((err as Error).message).toContain(`${file}.lock`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      release();
      await holder;
      // Released: the folder is gone, no moved-aside folder is left, and the lock is free again.
      expect(existsSync(`${file}.lock`)).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
      expect(await attempt(file, { timeoutMs: 300 })).toBe('taken');
    });
  });

  it('creates the folder the lock lives in when it is missing (a new store)', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'ref', 'deeper', 'head');
      expect(await attempt(file, { timeoutMs: 1000 })).toBe('taken');
      expect(readdirSync(path.dirname(file))).toEqual([]);
    });
  });

  it('takes a lock whose holder died on this host over at once', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      await plantLock(file, { host: os.hostname(), ns: NS, pid: await deadPid(), token: 'dead' });
      expect(await attempt(file, { timeoutMs: 1000 })).toBe('taken');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('does not take over a fresh lock of a live holder: another process of this host, another host, another pid namespace, or no owner yet', async () => {
    const live = await liveProcess();
    try {
      const dead = await deadPid();
      const owners = [
        { host: os.hostname(), ns: NS, pid: live.pid, token: 'live-here' },
        { host: 'some-other-host', ns: NS, pid: dead, token: 'elsewhere' },
        { host: os.hostname(), ns: 'pid:[1]-another-namespace', pid: dead, token: 'container' },
        { host: os.hostname(), ns: NS, pid: process.pid, token: 'this-process' },
        undefined,
      ];
      for (const owner of owners) {
        await withFolder(async (dir) => {
          const file = path.join(dir, 'head');
          await plantLock(file, owner);
          expect(await attempt(file, { timeoutMs: 300 }), JSON.stringify(owner)).toBe('LOCK_TIMEOUT');
          expect(existsSync(`${file}.lock`)).toBe(true);
        });
      }
    } finally {
      await live.kill();
    }
  });

  it('takes over a lock nobody refreshed for staleMs, whoever held it', async () => {
    const live = await liveProcess();
    try {
      const owners = [
        { host: os.hostname(), ns: NS, pid: live.pid, token: 'stalled-here' },
        { host: 'some-other-host', ns: NS, pid: 1, token: 'crashed-elsewhere' },
        undefined,
      ];
      for (const owner of owners) {
        await withFolder(async (dir) => {
          const file = path.join(dir, 'head');
          await plantLock(file, owner, 3_000);
          expect(await attempt(file, { staleMs: 2_000, timeoutMs: 1_000 }), JSON.stringify(owner)).toBe('taken');
          expect(readdirSync(dir)).toEqual([]);
        });
      }
    } finally {
      await live.kill();
    }
  });

  it('staleMs is at least 2 s: a lock 1 s old is not stale even when asked for 100 ms', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      // 1 s old, not older: the attempt may start late on a busy machine (files run in parallel)
      // and must still end before the lock turns 2 s old.
      await plantLock(file, { host: 'some-other-host', ns: NS, pid: 1, token: 'x' }, 1_000);
      expect(await attempt(file, { staleMs: 100, timeoutMs: 300 })).toBe('LOCK_TIMEOUT');
    });
  });

  it('an owner file that is not a valid owner is judged by age alone', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      await plantLock(file, { host: os.hostname(), pid: 'not a number', token: 'x' });
      expect(await attempt(file, { timeoutMs: 300 })).toBe('LOCK_TIMEOUT');
    });
  });

  it('callers in one process take turns, and a throwing holder releases the lock', async () => {
    await withFolder(async (dir) => {
      const lock = new FileLock(path.join(dir, 'head'), { timeoutMs: 2_000 });
      const order: string[] = [];
      const first = lock.withLock(async () => {
        order.push('first in');
        await new Promise((r) => setTimeout(r, 50));
        order.push('first out');
        throw new Error('boom');
      });
      const second = lock.withLock(async () => {
        order.push('second');
        return 2;
      });
      await expect(first).rejects.toThrow('boom');
      expect(await second).toBe(2);
      expect(order).toEqual(['first in', 'first out', 'second']);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('with no room for its owner file it gives up with STORAGE_FULL, and leaves a lock another holder took meanwhile in place', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      const other = { host: os.hostname(), ns: NS, pid: process.ppid, token: 'the-other-holder' };
      const original = fs.writeFileSync;
      // Between our mkdir and our owner write another process judged our folder, moved it
      // aside and took the lock (its owner written); our own write then finds the disk full.
      fs.writeFileSync = ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (typeof target === 'string' && target === path.join(lock, 'owner')) {
          renameSync(lock, path.join(dir, 'moved-by-the-other'));
          mkdirSync(lock);
          original(path.join(lock, 'owner'), JSON.stringify(other));
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        }
        return (original as (...args: unknown[]) => void)(target, ...rest);
      }) as typeof fs.writeFileSync;
      syncBuiltinESMExports();
      let code: string;
      try {
        code = await attempt(file, { timeoutMs: 2_000 });
      } finally {
        fs.writeFileSync = original;
        syncBuiltinESMExports();
      }
      expect(code).toBe('STORAGE_FULL');
      expect(JSON.parse(readFileSync(path.join(lock, 'owner'), 'utf8'))).toEqual(other);
    });
  });
});

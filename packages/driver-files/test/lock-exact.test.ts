// Exact tests of FileLock (lock.ts): real lock folders in temp dirs, real processes of this host
// (alive or killed), the owner file's bytes, every error code and message, and the races of a
// take-over staged by wrapping node:fs calls (as lock-timeout.test.ts does).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs, { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { patch, undoPatches } from './support/patch-fs.js';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isGittyError } from '@gitty/core';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { FileLock } from '@gitty/driver-files';
import { BURST_HOLD_MS } from '../src/lock.js';
import { liveProcess } from './live-process.js';

const NS = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();
const HOST = os.hostname();

afterEach(() => {
  undoPatches();
  vi.restoreAllMocks();
});

/** Replace one node:fs function (named ESM imports included) until the test ends. */

async function withFolder(use: (dir: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-lock-exact-');
  try {
    await use(dir);
  } finally {
    await remove();
  }
}

function plantLock(file: string, owner: unknown, ageMs = 0): void {
  const lock = `${file}.lock`;
  mkdirSync(lock);
  if (owner !== undefined) writeFileSync(path.join(lock, 'owner'), typeof owner === 'string' ? owner : JSON.stringify(owner));
  const when = new Date(Date.now() - ageMs);
  utimesSync(lock, when, when);
}

/** 'taken' or the error's code (gitty or errno). */
async function attempt(file: string, options: ConstructorParameters<typeof FileLock>[1] = {}): Promise<string> {
  try {
    return await new FileLock(file, options).withLock(async () => 'taken');
  } catch (err) {
    if (isGittyError(err)) return err.code;
    const code = (err as NodeJS.ErrnoException).code;
    if (code) return code;
    throw err;
  }
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

function ownerOf(file: string): unknown {
  return JSON.parse(readFileSync(path.join(`${file}.lock`, 'owner'), 'utf8'));
}

describe('FileLock: what it writes', () => {
  it('the owner file is one JSON line naming this host, pid namespace, pid and a fresh 24-hex token per acquisition', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = new FileLock(file);
      expect(lock.lockPath).toBe(`${file}.lock`);
      expect(lock.waitingPath).toBe(`${file}.lock-waiting`);
      const seen: string[] = [];
      for (let i = 0; i < 2; i++) {
        await lock.withLock(async () => {
          expect(readdirSync(`${file}.lock`)).toEqual(['owner']);
          seen.push(readFileSync(path.join(`${file}.lock`, 'owner'), 'utf8'));
        });
        expect(readdirSync(dir)).toEqual([]);
      }
      const owners = seen.map((text) => JSON.parse(text) as { token: string });
      for (const [i, owner] of owners.entries()) {
        expect(Object.keys(owner)).toEqual(['host', 'ns', 'pid', 'token']);
        expect(owner).toEqual({ host: HOST, ns: NS, pid: process.pid, token: expect.stringMatching(/^[0-9a-f]{24}$/) });
        expect(seen[i]).toBe(JSON.stringify(owner));
      }
      expect(owners[0]!.token).not.toBe(owners[1]!.token);
    });
  });

  it('LOCK_TIMEOUT names the lock exactly, leaves the holder\'s lock as it was and takes its waiting sign away', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const live = await liveProcess();
      try {
        const owner = { host: HOST, ns: NS, pid: live.pid, token: 'held' };
        plantLock(file, owner);
        let error: unknown;
        try {
          await new FileLock(file, { timeoutMs: 200 }).withLock(async () => 'taken');
        } catch (err) {
          error = err;
        }
        expect(isGittyError(error, 'LOCK_TIMEOUT')).toBe(true);
        expect((error as Error).message).toBe(`Timed out waiting for the lock ${file}.lock`);
        expect((error as { lockPath: string }).lockPath).toBe(`${file}.lock`);
        expect(ownerOf(file)).toEqual(owner);
        expect(readdirSync(dir)).toEqual(['head.lock']);
      } finally {
        await live.kill();
      }
    });
  });

  it('a holder killed while it holds the lock (a real child) is taken over at once; alive it was not', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const live = await liveProcess();
      plantLock(file, { host: HOST, ns: NS, pid: live.pid, token: 'child' });
      try {
        expect(await attempt(file, { timeoutMs: 200 })).toBe('LOCK_TIMEOUT');
      } finally {
        await live.kill();
      }
      // Fresh (not stale), default staleMs: only the dead pid lets it go.
      utimesSync(`${file}.lock`, new Date(), new Date());
      expect(await attempt(file, { timeoutMs: 5_000 })).toBe('taken');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('an owner file longer than one read (1 KiB) is read whole: a dead holder with a long owner is taken over at once', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const owner = { host: HOST, ns: NS, pid: await deadPid(), token: 'long', note: 'x'.repeat(2_000) };
      plantLock(file, owner);
      expect(await attempt(file, { timeoutMs: 5_000 })).toBe('taken');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('an owner with a field of the wrong type is no owner: a dead pid in it does not free the lock, only age does', async () => {
    const dead = await deadPid();
    const bad = [
      { host: 7, ns: NS, pid: dead, token: 't' },
      { host: HOST, ns: NS, pid: String(dead), token: 't' },
      { host: HOST, ns: NS, pid: dead, token: 7 },
      { host: HOST, ns: NS, pid: dead },
      `{"host":${JSON.stringify(HOST)},"ns":${JSON.stringify(NS)},"pid":${dead},"token":"cut`,
    ];
    for (const owner of bad) {
      await withFolder(async (dir) => {
        const file = path.join(dir, 'head');
        plantLock(file, owner);
        expect(await attempt(file, { timeoutMs: 150 }), JSON.stringify(owner)).toBe('LOCK_TIMEOUT');
        expect(existsSync(path.join(`${file}.lock`, 'owner'))).toBe(true);
      });
    }
  });
});

describe('FileLock: defaults', () => {
  it('staleMs defaults to 10 s: a lock 6 s old is waited for, one 11 s old is taken over', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      plantLock(file, { host: 'another-host', ns: NS, pid: 1, token: 'x' }, 6_000);
      expect(await attempt(file, { timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      const when = new Date(Date.now() - 11_000);
      utimesSync(`${file}.lock`, when, when);
      expect(await attempt(file, { timeoutMs: 2_000 })).toBe('taken');
    });
  });

  it('a staleMs above 2 s is used as given: 3.5 s old is stale for 3 s, 2.5 s old is not', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      plantLock(file, { host: 'another-host', ns: NS, pid: 1, token: 'x' }, 2_500);
      expect(await attempt(file, { staleMs: 3_000, timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      const when = new Date(Date.now() - 3_500);
      utimesSync(`${file}.lock`, when, when);
      expect(await attempt(file, { staleMs: 3_000, timeoutMs: 2_000 })).toBe('taken');
    });
  });

  it('timeoutMs defaults to 30 s (on a clock that runs fast)', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      plantLock(file, { host: 'another-host', ns: NS, pid: 1, token: 'x' });
      const realNow = Date.now.bind(Date);
      const start = realNow();
      let extra = 0;
      // Every look at the clock is 500 ms later; never stale (staleMs far away).
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() + (extra += 500));
      const lock = new FileLock(file, { staleMs: 10 * 60 * 60_000 });
      const code = await lock.withLock(async () => 'taken').catch((err: unknown) => (isGittyError(err) ? err.code : String(err)));
      const waited = Date.now() - start;
      vi.restoreAllMocks();
      expect(code).toBe('LOCK_TIMEOUT');
      expect(waited).toBeGreaterThan(30_000);
      expect(waited).toBeLessThan(32_000 + (realNow() - start));
    });
  });
});

describe('FileLock: acquiring', () => {
  it('a folder that cannot be made (its parent is a file) fails with the errno, not a timeout', async () => {
    await withFolder(async (dir) => {
      writeFileSync(path.join(dir, 'plain'), '');
      expect(await attempt(path.join(dir, 'plain', 'head'), { timeoutMs: 5_000 })).toBe('ENOTDIR');
      expect(await attempt(path.join(dir, 'plain', 'deeper', 'head'), { timeoutMs: 5_000 })).toBe('ENOTDIR');
    });
  });

  it('a parent folder that vanishes again after it was made fails with ENOENT (made once, not in a loop)', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'gone', 'head');
      let made = 0;
      patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        if (String(target) === path.dirname(file)) {
          made++;
          return undefined; // made, and removed again at once (another process's prune)
        }
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.mkdirSync);
      expect(await attempt(file, { timeoutMs: 5_000 })).toBe('ENOENT');
      expect(made).toBe(1);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('no room for the lock folder is STORAGE_FULL naming it', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        if (String(target) === `${file}.lock`) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.mkdirSync);
      const error = await new FileLock(file).withLock(async () => 'taken').catch((err: unknown) => err);
      expect(isGittyError(error, 'STORAGE_FULL')).toBe(true);
      expect((error as Error).message).toBe(`No room to write ${file}.lock (ENOSPC)`);
    });
  });

  it('with no room for its owner file it removes its own folder and fails with STORAGE_FULL naming the lock', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      patch('writeFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (target === path.join(`${file}.lock`, 'owner')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.writeFileSync);
      const error = await new FileLock(file).withLock(async () => 'taken').catch((err: unknown) => err);
      expect(isGittyError(error, 'STORAGE_FULL')).toBe(true);
      expect((error as Error).message).toBe(`No room to write ${file}.lock (ENOSPC)`);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('its new folder moved away before the owner was written (taken over by age): it makes a new one and holds that', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const ownerFile = path.join(`${file}.lock`, 'owner');
      let raced = 0;
      patch('writeFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (target === ownerFile && raced++ === 0) fs.renameSync(`${file}.lock`, path.join(dir, 'moved'));
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.writeFileSync);
      const owner = await new FileLock(file, { timeoutMs: 2_000 }).withLock(async () => ownerOf(file));
      expect(raced).toBe(2);
      expect(owner).toEqual({ host: HOST, ns: NS, pid: process.pid, token: expect.stringMatching(/^[0-9a-f]{24}$/) });
      expect(readdirSync(dir)).toEqual(['moved']);
    });
  });

  it('another holder\'s owner file in the folder it made (moved, remade by a taker): it waits for that holder', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      const other = { host: HOST, ns: NS, pid: process.pid, token: 'the-taker' };
      let raced = 0;
      patch('writeFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (target === path.join(lock, 'owner') && raced++ === 0) {
          fs.renameSync(lock, path.join(dir, 'moved'));
          mkdirSync(lock);
          (original as (...a: unknown[]) => unknown)(path.join(lock, 'owner'), JSON.stringify(other));
        }
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.writeFileSync);
      expect(await attempt(file, { timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      expect(ownerOf(file)).toEqual(other);
      expect(readdirSync(dir).sort()).toEqual(['head.lock', 'moved']);
    });
  });

  it('a dead holder\'s lock another waiter moved first is not judged again: the next try takes it', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      plantLock(file, { host: HOST, ns: NS, pid: await deadPid(), token: 'dead' });
      let raced = 0;
      patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        if (String(from) === lock && raced++ === 0) {
          original(lock, path.join(dir, 'other-waiter-took-it'));
          throw Object.assign(new Error(`ENOENT: no such file or directory, rename '${String(from)}'`), { code: 'ENOENT' });
        }
        return original(from, to);
      }) as typeof fs.renameSync);
      expect(await attempt(file, { timeoutMs: 2_000 })).toBe('taken');
      expect(readdirSync(dir)).toEqual(['other-waiter-took-it']);
    });
  });

  it('a take-over that moved another waiter\'s fresh lock (not the dead one it judged) puts it back and waits', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      plantLock(file, { host: HOST, ns: NS, pid: await deadPid(), token: 'dead' });
      const fresh = { host: HOST, ns: NS, pid: process.pid, token: 'fresh-taker' };
      let raced = 0;
      patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        if (String(from) === lock && raced++ === 0) {
          // Between our look and our move, another waiter took the dead lock over and holds a fresh one.
          original(lock, path.join(dir, 'the-dead-one'));
          mkdirSync(lock);
          writeFileSync(path.join(lock, 'owner'), JSON.stringify(fresh));
        }
        return original(from, to);
      }) as typeof fs.renameSync);
      expect(await attempt(file, { timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      expect(ownerOf(file)).toEqual(fresh);
      expect(readdirSync(dir).sort()).toEqual(['head.lock', 'the-dead-one']);
    });
  });

  it('an ownerless stale lock replaced by a fresh ownerless one before the move is put back (told apart by mtime)', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      plantLock(file, undefined, 5_000);
      let raced = 0;
      patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        if (String(from) === lock && raced++ === 0) {
          fs.rmdirSync(lock);
          mkdirSync(lock);
          const when = new Date(Date.now() - 1_000);
          utimesSync(lock, when, when);
        }
        return original(from, to);
      }) as typeof fs.renameSync);
      expect(await attempt(file, { staleMs: 2_000, timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      expect(readdirSync(dir)).toEqual(['head.lock']);
      expect(readdirSync(lock)).toEqual([]);
    });
  });

  it('an ownerless stale lock that gained an owner before the move is put back', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      plantLock(file, undefined, 5_000);
      const owner = { host: HOST, ns: NS, pid: process.pid, token: 'late-owner' };
      let raced = 0;
      patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        if (String(from) === lock && raced++ === 0) {
          writeFileSync(path.join(lock, 'owner'), JSON.stringify(owner));
          const when = new Date(Date.now() - 5_000);
          utimesSync(lock, when, when);
        }
        return original(from, to);
      }) as typeof fs.renameSync);
      // Put back; judged again: stale by age with an owner now, and that owner matches: taken.
      expect(await attempt(file, { staleMs: 2_000, timeoutMs: 2_000 })).toBe('taken');
      expect(raced).toBeGreaterThanOrEqual(3);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a waiter leaves a waiting sign while it waits, and takes it away once it holds the lock', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const holder = new FileLock(file);
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const held = holder.withLock(async () => {
        entered();
        await holding;
      });
      await inside;
      const waiter = new FileLock(file, { timeoutMs: 10_000 });
      const waited = waiter.withLock(async () => existsSync(waiter.waitingPath));
      await waitFor(() => existsSync(`${file}.lock-waiting`), 5_000, 5);
      release();
      await held;
      expect(await waited).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});

describe('FileLock: releasing', () => {
  it('a lock taken over while held (a stall) is not removed: the successor keeps it', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      const successor = { host: HOST, ns: NS, pid: process.pid, token: 'successor' };
      const value = await new FileLock(file).withLock(async () => {
        fs.renameSync(lock, path.join(dir, 'ours-moved'));
        mkdirSync(lock);
        writeFileSync(path.join(lock, 'owner'), JSON.stringify(successor));
        return 42;
      });
      expect(value).toBe(42);
      expect(ownerOf(file)).toEqual(successor);
      expect(readdirSync(dir).sort()).toEqual(['head.lock', 'ours-moved']);
    });
  });

  it('a lock folder gone while held is nothing to release', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const value = await new FileLock(file).withLock(async () => {
        rmSync(`${file}.lock`, { recursive: true });
        return 'done';
      });
      expect(value).toBe('done');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a lock folder holding more than its owner is removed whole', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      await new FileLock(file).withLock(async () => {
        writeFileSync(path.join(`${file}.lock`, 'stray'), 'x');
      });
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('refreshes the lock folder\'s time while held, and stops once the lock is another\'s', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      const old = new Date(Date.now() - 60_000);
      await new FileLock(file, { staleMs: 2_000 }).withLock(async () => {
        utimesSync(lock, old, old);
        // Every staleMs / 4 (500 ms) the holder touches it.
        await waitFor(() => statSync(lock).mtimeMs > old.getTime() + 30_000, 10_000, 20);
        writeFileSync(path.join(lock, 'owner'), JSON.stringify({ host: HOST, ns: NS, pid: process.pid, token: 'someone-else' }));
        utimesSync(lock, old, old);
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        expect(statSync(lock).mtime.toISOString()).toBe(old.toISOString());
      });
      // Not ours at release either: left to its owner.
      expect(readdirSync(dir)).toEqual(['head.lock']);
    });
  });

  it('releaseKept with nothing kept does nothing', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = new FileLock(file, { holdAcrossBurst: true });
      lock.releaseKept();
      await lock.withLock(async () => undefined, { keep: false });
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});

describe('FileLock: holdAcrossBurst', () => {
  const tokenIn = (file: string) => (ownerOf(file) as { token: string }).token;

  it('keeps the lock after a step until the event loop turns; the next step in the burst reuses it', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = new FileLock(file, { holdAcrossBurst: true });
      const first = await lock.withLock(async () => tokenIn(file));
      expect(tokenIn(file)).toBe(first);
      const second = await lock.withLock(async () => tokenIn(file));
      expect(second).toBe(first);
      await nextTurn();
      expect(readdirSync(dir)).toEqual([]);
      const third = await lock.withLock(async () => tokenIn(file));
      expect(third).not.toBe(first);
      expect(readdirSync(dir)).toEqual(['head.lock']);
      // Every later burst is released at its next turn too, not only the first.
      await nextTurn();
      expect(readdirSync(dir)).toEqual([]);
      await lock.withLock(async () => undefined);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('without the option, keep: false, a failed step or a hold past BURST_HOLD_MS, the lock is released at once', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      await new FileLock(file).withLock(async () => undefined);
      expect(readdirSync(dir)).toEqual([]);
      const lock = new FileLock(file, { holdAcrossBurst: true });
      await lock.withLock(async () => undefined, { keep: false });
      expect(readdirSync(dir)).toEqual([]);
      await expect(lock.withLock(async () => { throw new Error('step failed'); })).rejects.toThrow('step failed');
      expect(readdirSync(dir)).toEqual([]);
      // A clock that moves only when told: the step takes exactly BURST_HOLD_MS, then just below it.
      let clock = Date.now();
      vi.spyOn(Date, 'now').mockImplementation(() => clock);
      await lock.withLock(async () => {
        clock += BURST_HOLD_MS;
      });
      expect(readdirSync(dir)).toEqual([]);
      await lock.withLock(async () => {
        clock += BURST_HOLD_MS - 1;
      });
      vi.restoreAllMocks();
      expect(readdirSync(dir)).toEqual(['head.lock']);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a waiting sign makes the holder let go after each step for the next 2 s', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = new FileLock(file, { holdAcrossBurst: true });
      await lock.withLock(async () => writeFileSync(lock.waitingPath, ''));
      expect(readdirSync(dir)).toEqual([]);
      // No sign any more, but within 2 s of seeing one: still released after each step.
      await lock.withLock(async () => undefined);
      expect(readdirSync(dir)).toEqual([]);
      const realNow = Date.now.bind(Date);
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 2_100);
      await lock.withLock(async () => undefined);
      vi.restoreAllMocks();
      expect(readdirSync(dir)).toEqual(['head.lock']);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a holder that had to wait itself lets go after each step for the next 2 s', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const held = new FileLock(file).withLock(async () => {
        entered();
        await holding;
      });
      await inside;
      const lock = new FileLock(file, { holdAcrossBurst: true, timeoutMs: 10_000 });
      const waited = lock.withLock(async () => undefined);
      await waitFor(() => existsSync(lock.waitingPath), 5_000, 5);
      release();
      await held;
      await waited;
      expect(readdirSync(dir)).toEqual([]);
      await lock.withLock(async () => undefined);
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});

describe('FileLock: follow-ups (races and timers)', () => {
  it('refreshes every staleMs / 4 (not sooner, not later), and an owner file gone meanwhile stops it quietly', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const old = new Date(Date.now() - 60_000);
        await new FileLock(file, { staleMs: 2_000 }).withLock(async () => {
          utimesSync(lock, old, old);
          vi.advanceTimersByTime(499);
          expect(statSync(lock).mtime.toISOString()).toBe(old.toISOString());
          vi.advanceTimersByTime(1);
          expect(statSync(lock).mtimeMs).toBeGreaterThan(old.getTime() + 30_000);
          // The owner file removed (a take-over being written): the next tick stops refreshing, no error.
          fs.unlinkSync(path.join(lock, 'owner'));
          utimesSync(lock, old, old);
          vi.advanceTimersByTime(1_000);
          expect(statSync(lock).mtime.toISOString()).toBe(old.toISOString());
        });
      } finally {
        vi.useRealTimers();
      }
      // Released: the moved folder had no owner of ours, so it was put back (a successor's, being written).
      expect(readdirSync(dir)).toEqual(['head.lock']);
      expect(readdirSync(lock)).toEqual([]);
    });
  });

  it('an owner write that races a take-over twice still ends holding the lock', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const ownerFile = path.join(`${file}.lock`, 'owner');
      let raced = 0;
      patch('writeFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (target === ownerFile && raced < 2) fs.renameSync(`${file}.lock`, path.join(dir, `moved-${raced}`));
        if (target === ownerFile) raced++;
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.writeFileSync);
      expect(await attempt(file, { timeoutMs: 2_000 })).toBe('taken');
      expect(raced).toBe(3);
      expect(readdirSync(dir).sort()).toEqual(['moved-0', 'moved-1']);
    });
  });

  it('a lock released between the mkdir and the look is tried again at once', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      plantLock(file, { host: 'another-host', ns: NS, pid: 1, token: 'leaving' });
      let looked = 0;
      patch('statSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        if (String(target) === lock && looked++ === 0) rmSync(lock, { recursive: true }); // its holder let go just now
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.statSync);
      expect(await attempt(file, { timeoutMs: 2_000 })).toBe('taken');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a dead holder\'s lock replaced by an ownerless one before the move is put back, not taken', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      plantLock(file, { host: HOST, ns: NS, pid: await deadPid(), token: 'dead' });
      let raced = 0;
      patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        if (String(from) === lock && raced++ === 0) {
          original(lock, path.join(dir, 'the-dead-one'));
          mkdirSync(lock); // a new holder that has not written its owner yet
        }
        return original(from, to);
      }) as typeof fs.renameSync);
      expect(await attempt(file, { timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      expect(readdirSync(lock)).toEqual([]);
      expect(readdirSync(dir).sort()).toEqual(['head.lock', 'the-dead-one']);
    });
  });

  it('a stale ownerless lock that vanishes right after our move (another waiter cleaned it) is no error', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      plantLock(file, undefined, 5_000);
      let moved = 0;
      patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        original(from, to);
        if (String(from) === lock && moved++ === 0) rmSync(String(to), { recursive: true });
      }) as typeof fs.renameSync);
      expect(await attempt(file, { staleMs: 2_000, timeoutMs: 2_000 })).toBe('taken');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a take-over with holdAcrossBurst keeps the lock after its step: taking a dead holder\'s lock is no waiting', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      plantLock(file, { host: HOST, ns: NS, pid: await deadPid(), token: 'dead' });
      const lock = new FileLock(file, { holdAcrossBurst: true, timeoutMs: 2_000 });
      await lock.withLock(async () => undefined);
      expect(readdirSync(dir)).toEqual(['head.lock']);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a waiter that cannot leave its sign is no waiter for the burst rule, and leaves another\'s sign alone when it gives up', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const waitingPath = `${file}.lock-waiting`;
      patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        if (String(target) === waitingPath) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
        return (original as (...a: unknown[]) => number)(target, ...rest);
      }) as typeof fs.openSync);
      plantLock(file, { host: HOST, ns: NS, pid: process.pid, token: 'held-here' });
      writeFileSync(waitingPath, '');
      expect(await attempt(file, { timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      expect(existsSync(waitingPath)).toBe(true);
      fs.unlinkSync(waitingPath);
      // It waited, but left no sign: once it holds the lock it keeps it across the burst.
      const holder = setTimeout(() => rmSync(`${file}.lock`, { recursive: true }), 50);
      const lock = new FileLock(file, { holdAcrossBurst: true, timeoutMs: 5_000 });
      await lock.withLock(async () => undefined);
      clearTimeout(holder);
      expect(readdirSync(dir)).toEqual(['head.lock']);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('a holder whose pid answers EPERM (another user\'s live process) is alive', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const foreign = await deadPid();
      const kill = process.kill.bind(process);
      vi.spyOn(process, 'kill').mockImplementation(((pid: number, signal?: string | number) => {
        if (pid === foreign) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
        return kill(pid, signal);
      }) as typeof process.kill);
      plantLock(file, { host: HOST, ns: NS, pid: foreign, token: 'someone-elses' });
      expect(await attempt(file, { timeoutMs: 150 })).toBe('LOCK_TIMEOUT');
      vi.restoreAllMocks();
      expect(await attempt(file, { timeoutMs: 2_000 })).toBe('taken');
    });
  });

  it('a release whose put-back fails (a third holder made the lock meanwhile) removes the moved folder and leaves the third\'s', async () => {
    await withFolder(async (dir) => {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      const successor = { host: HOST, ns: NS, pid: process.pid, token: 'successor' };
      const third = { host: HOST, ns: NS, pid: process.pid, token: 'third' };
      await new FileLock(file).withLock(async () => {
        fs.renameSync(lock, path.join(dir, 'ours-moved'));
        mkdirSync(lock);
        writeFileSync(path.join(lock, 'owner'), JSON.stringify(successor));
        patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
          original(from, to);
          if (String(from) === lock) {
            mkdirSync(lock);
            writeFileSync(path.join(lock, 'owner'), JSON.stringify(third));
          }
        }) as typeof fs.renameSync);
      });
      expect(ownerOf(file)).toEqual(third);
      expect(readdirSync(dir).sort()).toEqual(['head.lock', 'ours-moved']);
    });
  });
});

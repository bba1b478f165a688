// FileLock edges the fa-lockloose mutation run found untested: reading the owner file leaves no
// descriptor open, and a short owner file is read with one read (s6-fhl: readFileSync forced).
import { afterEach, describe, expect, it, vi } from 'vitest';
import fs, { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock } from '@gitty/driver-files';
import { patch, undoPatches } from './support/patch-fs.js';

afterEach(() => undoPatches());

const openFds = () => readdirSync('/proc/self/fd').length;

describe('FileLock descriptors', () => {
  it('taking and releasing the lock (the release reads the owner file back) leaves no descriptor open', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const lock = new FileLock(path.join(dir, 'head'));
      await lock.withLock(async () => undefined);
      const base = openFds();
      for (let i = 0; i < 5; i++) await lock.withLock(async () => undefined);
      expect(openFds()).toBe(base);
    } finally {
      await remove();
    }
  });
});

describe('FileLock owner reads', () => {
  it('a release reads its own short owner file in one read, never with readFileSync; an owner file of 1024 bytes or more is read whole', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      const owner = path.join(`${file}.lock`, 'owner');
      const wholeReads: string[] = [];
      patch('readFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        // A release reads the owner file of the folder it moved aside, so any owner file counts.
        if (path.basename(String(target)) === 'owner') wholeReads.push(String(target));
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.readFileSync);
      const lock = new FileLock(file);
      expect(await lock.withLock(async () => 'done')).toBe('done');
      expect(wholeReads).toEqual([]);
      // A held lock whose owner file is longer than one read: the waiter reads it whole and
      // sees a live owner (this process), so it times out rather than taking it over.
      mkdirSync(`${file}.lock`);
      fs.writeFileSync(owner, JSON.stringify({ host: os.hostname(), pid: process.pid, token: 'long', pad: 'x'.repeat(1100) }));
      await expect(new FileLock(file, { timeoutMs: 100 }).withLock(async () => 'taken')).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(wholeReads.length).toBeGreaterThan(0);
    } finally {
      await remove();
    }
  });
});

describe('FileLock owner write races', () => {
  it('an owner file still being written by another (EEXIST on ours, not yet JSON) in the folder it made: it leaves that lock alone and waits', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      let raced = 0;
      patch('writeFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (target === path.join(lock, 'owner') && raced++ === 0) {
          // A taker moved our new folder away and made its own, whose owner it is writing.
          fs.renameSync(lock, path.join(dir, 'moved'));
          mkdirSync(lock);
          (original as (...a: unknown[]) => unknown)(path.join(lock, 'owner'), '{');
        }
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.writeFileSync);
      await expect(new FileLock(file, { timeoutMs: 150 }).withLock(async () => 'taken')).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(readFileSync(path.join(lock, 'owner'), 'utf8')).toBe('{');
      expect(readdirSync(dir).sort()).toEqual(['head.lock', 'moved']);
    } finally {
      await remove();
    }
  });
});

/** A lock folder held by a process on another host, so only its age could free it. */
function plantHeld(file: string): void {
  mkdirSync(`${file}.lock`);
  fs.writeFileSync(path.join(`${file}.lock`, 'owner'), JSON.stringify({ host: 'elsewhere', pid: 1, token: 'held' }));
}

// The s6-fhl run's lock.ts survivors "not written in time": a lock released, or moved by another
// waiter, between the waiter's mkdir and its look at it (the waiter tries again at once, leaving
// no waiting sign); and the time edges, each staged at its exact millisecond.
describe('FileLock: a waiter that finds the lock gone when it looks', () => {
  it('released between its mkdir and its stat: takes the lock at once, with no waiting sign, so it keeps it across the burst', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      plantHeld(file);
      const signs: string[] = [];
      patch('statSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        // The holder lets go just before the waiter looks at its lock.
        if (String(target) === `${file}.lock` && fs.existsSync(`${file}.lock`)) fs.rmSync(`${file}.lock`, { recursive: true });
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.statSync);
      patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        if (String(target).endsWith('-waiting')) signs.push(String(target));
        return (original as (...a: unknown[]) => number)(target, ...rest);
      }) as typeof fs.openSync);
      const lock = new FileLock(file, { holdAcrossBurst: true, timeoutMs: 2_000 });
      await lock.withLock(async () => undefined);
      undoPatches();
      expect(signs).toEqual([]);
      expect(readdirSync(dir)).toEqual(['head.lock']);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await remove();
    }
  });

  it('moved aside by another waiter taking it over first: tries again at once, with no waiting sign, so it keeps it across the burst', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      plantHeld(file);
      // Stale by age, so this waiter goes to move it aside; another waiter does so first (and removes it).
      const old = new Date(Date.now() - 60_000);
      fs.utimesSync(`${file}.lock`, old, old);
      const signs: string[] = [];
      let raced = false;
      patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        if (String(from) === `${file}.lock` && !raced) {
          raced = true;
          fs.rmSync(`${file}.lock`, { recursive: true });
        }
        original(from, to);
      }) as typeof fs.renameSync);
      patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        if (String(target).endsWith('-waiting')) signs.push(String(target));
        return (original as (...a: unknown[]) => number)(target, ...rest);
      }) as typeof fs.openSync);
      const lock = new FileLock(file, { holdAcrossBurst: true, staleMs: 10_000, timeoutMs: 2_000 });
      await lock.withLock(async () => undefined);
      undoPatches();
      expect([raced, signs]).toEqual([true, []]);
      expect(readdirSync(dir)).toEqual(['head.lock']);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await remove();
    }
  });
});

describe('FileLock: the time edges, at their exact millisecond', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a lock exactly staleMs old is not taken over; one millisecond older it is', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      const staleMs = 10_000;
      plantHeld(file);
      // A whole second, so that mtime + age - mtime is exact.
      const seconds = Math.floor(Date.now() / 1000) - 1;
      fs.utimesSync(`${file}.lock`, seconds, seconds);
      const mtimeMs = fs.statSync(`${file}.lock`).mtimeMs;
      expect(Number.isInteger(mtimeMs)).toBe(true);
      // Each look at the lock (its stat) is followed by the age check's clock reading: that one reads mtime + age.
      let age = staleMs;
      let next: number | undefined;
      const realNow = Date.now.bind(Date);
      vi.spyOn(Date, 'now').mockImplementation(() => {
        const at = next;
        next = undefined;
        return at ?? realNow();
      });
      patch('statSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        const seen = (original as (...a: unknown[]) => fs.Stats | undefined)(target, ...rest);
        if (String(target) === `${file}.lock` && seen) next = seen.mtimeMs + age;
        return seen;
      }) as typeof fs.statSync);
      await expect(new FileLock(file, { staleMs, timeoutMs: 150 }).withLock(async () => 'taken')).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      age = staleMs + 1;
      expect(await new FileLock(file, { staleMs, timeoutMs: 2_000 }).withLock(async () => 'taken')).toBe('taken');
    } finally {
      await remove();
    }
  });

  it('a waiter gives up only once its deadline has passed: at the deadline\'s own millisecond it tries once more', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      const timeoutMs = 5_000;
      plantHeld(file);
      // The clock stands still at `start`, except for the reading right after the waiter leaves its
      // sign (its deadline check): that one is exactly the deadline, and the holder lets go then.
      const start = Date.now();
      let next: number | undefined;
      vi.spyOn(Date, 'now').mockImplementation(() => {
        const at = next;
        next = undefined;
        return at ?? start;
      });
      let released = false;
      patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        const fd = (original as (...a: unknown[]) => number)(target, ...rest);
        if (String(target) === `${file}.lock-waiting` && !released) {
          released = true;
          fs.rmSync(`${file}.lock`, { recursive: true });
          next = start + timeoutMs;
        }
        return fd;
      }) as typeof fs.openSync);
      expect(await new FileLock(file, { staleMs: 60_000, timeoutMs }).withLock(async () => 'taken')).toBe('taken');
      expect(released).toBe(true);
    } finally {
      await remove();
    }
  });

  it('the 2 s of letting go after a waiting sign end at their last millisecond: at sharedUntil itself the lock is kept again', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      const lock = new FileLock(file, { holdAcrossBurst: true });
      let now = 1_000_000_000_000;
      vi.spyOn(Date, 'now').mockImplementation(() => now);
      // A waiting sign seen at `now`: let go after each step until now + 2 000 ms.
      await lock.withLock(async () => writeFileSync(lock.waitingPath, ''));
      expect(readdirSync(dir)).toEqual([]);
      now += 1_999;
      await lock.withLock(async () => undefined);
      expect(readdirSync(dir)).toEqual([]);
      now += 1;
      await lock.withLock(async () => undefined);
      expect(readdirSync(dir)).toEqual(['head.lock']);
      lock.releaseKept();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await remove();
    }
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, utimesSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { packLockHooks, withPackLock, type HeldPackLock } from '../src/pack-lock.js';

// The pack lock with its holders in this very process: a second withPackLock waits for the
// first, locks of dead owners (of this pid space) and stale locks are broken, live ones and
// owners of other hosts, boots or pid namespaces are waited for, and a holder whose lock was
// taken over notices it and leaves the successor's lock alone.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  delete packLockHooks.afterJudgedStale;
  for (const c of cleanups.splice(0)) await c();
});

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-lock-exact-');
  cleanups.push(remove);
  return path.join(dir, 'objects', 'pack');
}

const here = {
  host: os.hostname(),
  boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
  pidNs: readlinkSync('/proc/self/ns/pid'),
};

/** A pid that ran and exited (so no process has it now). */
function deadPid(): number {
  const child = spawnSync('true');
  return child.pid!;
}

/** Put a lock folder in place as another holder would have left it. */
async function placeLock(dir: string, owner?: object): Promise<string> {
  const lockPath = path.join(dir, 'pack.lock');
  await mkdir(lockPath, { recursive: true });
  if (owner) await writeFile(path.join(lockPath, 'owner'), JSON.stringify(owner));
  return lockPath;
}

const timeout = (lockPath: string) => ({ code: 'LOCK_TIMEOUT', message: `Timed out waiting for the lock ${lockPath}` });

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe('withPackLock', () => {
  it('creates the folder, holds pack.lock with this process as owner during the work, and removes it after', async () => {
    const dir = await folder();
    const lockPath = path.join(dir, 'pack.lock');
    const result = await withPackLock(dir, async (held) => {
      const owner = JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(owner)).toEqual(['host', 'boot', 'pidNs', 'pid', 'token']);
      expect(owner).toMatchObject({ ...here, pid: process.pid });
      expect(owner.token).toMatch(/^[0-9a-f]{24}$/);
      expect(await readdir(lockPath)).toEqual(['owner']);
      await held.assertHeld();
      return 42;
    });
    expect(result).toBe(42);
    expect(await readdir(dir)).toEqual([]);
  });

  it('releases the lock when the work throws, and passes the error on', async () => {
    const dir = await folder();
    const boom = new Error('boom');
    await expect(withPackLock(dir, async () => {
      throw boom;
    })).rejects.toBe(boom);
    expect(await readdir(dir)).toEqual([]);
    expect(await withPackLock(dir, async () => 'again')).toBe('again');
  });

  it('a second holder in this process waits for the first to release, then takes the lock', async () => {
    const dir = await folder();
    const events: string[] = [];
    const release = gate();
    const entered = gate();
    const first = withPackLock(dir, async () => {
      events.push('first in');
      entered.open();
      await release.promise;
      events.push('first out');
    });
    await entered.promise;
    const firstOwner = await readFile(path.join(dir, 'pack.lock', 'owner'), 'utf8');
    const second = withPackLock(dir, async () => {
      events.push('second in');
      // The first holder's lock was released, not broken: a new token.
      expect(await readFile(path.join(dir, 'pack.lock', 'owner'), 'utf8')).not.toBe(firstOwner);
    });
    // The waiter is polling: the first holder's lock is still in place and its work continues.
    await withPackLock(dir, async () => undefined, { waitMs: 30 }).catch((err: unknown) => events.push((err as { code: string }).code));
    expect(events).toEqual(['first in', 'LOCK_TIMEOUT']);
    release.open();
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'LOCK_TIMEOUT', 'first out', 'second in']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('gives up with LOCK_TIMEOUT on a live holder of this process and leaves its lock as it was', async () => {
    const dir = await folder();
    const owner = { ...here, pid: process.pid, token: 'live' };
    const lockPath = await placeLock(dir, owner);
    let ran = false;
    await expect(withPackLock(dir, async () => {
      ran = true;
    }, { waitMs: 40 })).rejects.toMatchObject(timeout(lockPath));
    expect(ran).toBe(false);
    expect(JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8'))).toEqual(owner);
  });

  it('breaks at once the lock of a dead process of this pid space, even with the default stale time', async () => {
    const dir = await folder();
    const lockPath = await placeLock(dir, { ...here, pid: deadPid(), token: 'dead' });
    await writeFile(path.join(lockPath, 'leftover'), 'x');
    const token = await withPackLock(dir, async () => {
      expect((await readdir(lockPath)).sort()).toEqual(['owner']);
      return (JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8')) as { token: string }).token;
    }, { waitMs: 60_000 });
    expect(token).not.toBe('dead');
    // The grave it was renamed to is gone too, and so is the break guard.
    expect(await readdir(dir)).toEqual([]);
  });

  for (const [what, other] of [
    ['another host', { host: `${here.host}-elsewhere` }],
    ['another boot', { boot: '00000000-0000-0000-0000-000000000000' }],
    ['another pid namespace', { pidNs: 'pid:[1]' }],
    ['no boot id and pid namespace (an older version)', { boot: undefined, pidNs: undefined }],
  ] as const) {
    it(`waits for a dead pid of ${what}: that pid says nothing there`, async () => {
      const dir = await folder();
      const owner = { ...here, pid: deadPid(), token: 'there', ...other };
      const lockPath = await placeLock(dir, owner);
      await expect(withPackLock(dir, async () => undefined, { waitMs: 40 })).rejects.toMatchObject(timeout(lockPath));
      expect(JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(owner)));
    });
  }

  it('a lock without a readable owner is judged by its age alone: broken once unchanged for staleMs', async () => {
    const dir = await folder();
    const lockPath = await placeLock(dir);
    await writeFile(path.join(lockPath, 'owner'), '{not json');
    // Not stale within 30 s: waited for.
    await expect(withPackLock(dir, async () => undefined, { waitMs: 40 })).rejects.toMatchObject(timeout(lockPath));
    expect(await readFile(path.join(lockPath, 'owner'), 'utf8')).toBe('{not json');
    // Stale at once with staleMs 0: broken and taken.
    expect(await withPackLock(dir, async () => (await readFile(path.join(lockPath, 'owner'), 'utf8')).startsWith('{"host"'), { staleMs: 0, waitMs: 60_000 })).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('judges staleness by its own clock: a lock unchanged for staleMs goes, not before', async () => {
    const dir = await folder();
    await placeLock(dir, { ...here, host: 'elsewhere', pid: 1, token: 'remote' });
    let clock = 0;
    // Each reading of the clock moves it 500 ms: the waiter reads it on starting, then once to
    // judge staleness and once for its deadline per look.
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 500));
    const judged: number[] = [];
    packLockHooks.afterJudgedStale = async () => {
      judged.push(clock);
    };
    // First look at 1000 (first seen), second at 2000: unchanged for exactly staleMs, stale.
    expect(await withPackLock(dir, async () => 'taken', { staleMs: 1000, waitMs: 1_000_000 })).toBe('taken');
    expect(judged).toEqual([2000]);
  });

  it('a lock touched between every two looks is never stale, and the wait ends once past waitMs', async () => {
    const dir = await folder();
    const lockPath = await placeLock(dir, { ...here, host: 'elsewhere', pid: 1, token: 'remote' });
    let clock = 0;
    const readings: number[] = [];
    vi.spyOn(performance, 'now').mockImplementation(() => {
      clock += 500;
      readings.push(clock);
      // The holder touches its lock each time the waiter looks at the clock.
      const t = new Date(Date.UTC(2000, 0, 1) + clock);
      utimesSync(lockPath, t, t);
      return clock;
    });
    let judged = 0;
    packLockHooks.afterJudgedStale = async () => {
      judged++;
    };
    await expect(withPackLock(dir, async () => undefined, { staleMs: 1000, waitMs: 1000 })).rejects.toMatchObject(timeout(lockPath));
    expect(judged).toBe(0);
    // Started at 500; deadline checks at 1500 (1000 waited: not past it) and 2500 (past it).
    expect(readings).toEqual([500, 1000, 1500, 2000, 2500]);
  });

  it('a waiter that judged a lock stale leaves it alone when another breaker replaced it meanwhile', async () => {
    const dir = await folder();
    const lockPath = await placeLock(dir, { ...here, pid: deadPid(), token: 'dead' });
    const fresh = { ...here, pid: process.pid, token: 'fresh' };
    let calls = 0;
    packLockHooks.afterJudgedStale = async () => {
      calls++;
      // Another breaker took over between this waiter's judgement and its break.
      await writeFile(path.join(lockPath, 'owner'), JSON.stringify(fresh));
    };
    await expect(withPackLock(dir, async () => undefined, { waitMs: 40 })).rejects.toMatchObject(timeout(lockPath));
    expect(calls).toBe(1);
    expect(JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8'))).toEqual(fresh);
    expect(existsSync(`${lockPath}.break`)).toBe(false);
  });

  it('waits while another breaker holds the break guard, and removes a guard left unchanged for 10 s', async () => {
    const dir = await folder();
    const lockPath = await placeLock(dir, { ...here, pid: deadPid(), token: 'dead' });
    await mkdir(`${lockPath}.break`);
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const seen: number[] = [];
    packLockHooks.afterJudgedStale = async () => {
      seen.push(clock);
      // While the guard is younger than 10 s (by this clock) the lock stays; then the guard goes.
      expect(existsSync(lockPath)).toBe(true);
      clock += 1000;
    };
    const token = await withPackLock(dir, async () => (JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8')) as { token: string }).token, { waitMs: 1_000_000 });
    expect(token).not.toBe('dead');
    // Judged at 0 (guard first seen), 1 s … 10 s (guard stale: removed), 11 s (lock broken).
    expect(seen).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 11_000]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a holder whose lock was taken over fails assertHeld with LOCK_TIMEOUT and leaves the successor\'s lock', async () => {
    const dir = await folder();
    const lockPath = path.join(dir, 'pack.lock');
    const successor = { ...here, pid: process.pid, token: 'successor' };
    let error: unknown;
    await withPackLock(dir, async (held: HeldPackLock) => {
      await held.assertHeld();
      await writeFile(path.join(lockPath, 'owner'), JSON.stringify(successor));
      error = await held.assertHeld().then(() => 'held', (err: unknown) => err);
    });
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', message: `Lost the lock ${lockPath}: another process took it over while this one stalled` });
    expect(JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8'))).toEqual(successor);
  });

  it('touches its lock every staleMs/4 (at least 50 ms, at most 5 s) while the work runs, unless taken over', async () => {
    for (const [staleMs, every] of [[400, 100], [100, 50], [40_000, 5000], [undefined, 5000]] as const) {
      const dir = await folder();
      const lockPath = path.join(dir, 'pack.lock');
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      const old = new Date(Date.UTC(2001, 0, 1));
      await withPackLock(dir, async () => {
        await utimes(lockPath, old, old);
        vi.advanceTimersByTime(every - 1);
        // A touch started now would finish within a few file-system round trips.
        for (let i = 0; i < 20; i++) await stat(lockPath);
        expect((await stat(lockPath)).mtimeMs).toBe(old.getTime());
        vi.advanceTimersByTime(1);
        while ((await stat(lockPath)).mtimeMs === old.getTime()) await new Promise((r) => setImmediate(r));
        expect((await stat(lockPath)).mtimeMs).toBeGreaterThan(old.getTime());
      }, { staleMs });
      vi.useRealTimers();
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it('a lock folder or owner file removed under the holder is not its lock any more: release leaves the folder alone', async () => {
    const dir = await folder();
    const lockPath = path.join(dir, 'pack.lock');
    expect(await withPackLock(dir, async () => {
      await rm(lockPath, { recursive: true });
      return 'gone';
    })).toBe('gone');
    expect(await readdir(dir)).toEqual([]);
    expect(await withPackLock(dir, async (held) => {
      await rm(path.join(lockPath, 'owner'));
      return held.assertHeld().then(() => 'held', (err: unknown) => (err as { code: string }).code);
    })).toBe('LOCK_TIMEOUT');
    // Not ours (no owner): left in place.
    expect(await readdir(lockPath)).toEqual([]);
  });

  it('fails with the file system\'s error when the lock folder cannot be made (not EEXIST)', async () => {
    const { dir, remove } = await tempDir('gitty-lock-exact-');
    cleanups.push(remove);
    // A folder whose path leaves no room for "/pack.lock" within PATH_MAX (4096).
    let deep = dir;
    while (deep.length < 4096 - 10 - 241) deep = path.join(deep, 'd'.repeat(240));
    deep = path.join(deep, 'e'.repeat(Math.min(250, 4096 - 10 - deep.length - 1)));
    expect(deep.length).toBeLessThan(4096);
    expect(path.join(deep, 'pack.lock').length).toBeGreaterThanOrEqual(4096);
    await expect(withPackLock(deep, async () => 'never')).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
  });

  it('fails with the file system\'s error when the break guard cannot be made (not EEXIST)', async () => {
    const { dir, remove } = await tempDir('gitty-lock-exact-');
    cleanups.push(remove);
    // pack.lock fits within PATH_MAX (4096), pack.lock.break does not.
    let deep = dir;
    while (deep.length < 4096 - 14 - 241) deep = path.join(deep, 'd'.repeat(240));
    deep = path.join(deep, 'e'.repeat(4096 - 14 - deep.length - 1));
    // A lock without an owner (its owner file's path is too long too), stale at once with staleMs 0.
    const lockPath = await placeLock(deep);
    expect([lockPath.length < 4096, `${lockPath}.break`.length >= 4096]).toEqual([true, true]);
    await expect(withPackLock(deep, async () => 'never', { staleMs: 0 })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
  });
});

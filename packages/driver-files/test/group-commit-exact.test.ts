// Exact tests of group-commit.ts: the Batcher's batches and outcomes, fsyncAsync and
// syncFolderAsync's error handling, and FileSyncGroup's flush (data syncs, placing, folder syncs,
// failures, waiting for a copy in flight) on real temp files; chosen fs callbacks are held or
// failed by wrapping node:fs (named ESM imports too, via syncBuiltinESMExports).
import { afterEach, describe, expect, it } from 'vitest';
import fs, { closeSync, existsSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { patch, undoPatches } from './support/patch-fs.js';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isGittyError } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { Batcher, FileSyncGroup, fsyncAsync, syncFolderAsync, type BatchOutcome, type PendingFile } from '../src/group-commit.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});


const errno = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-group-exact-');
  cleanups.push(remove);
  return dir;
}

async function settle(promise: Promise<unknown>): Promise<string> {
  try {
    return `ok ${String(await promise)}`;
  } catch (err) {
    if (isGittyError(err)) return `${err.code}: ${err.message}`;
    return `error ${(err as Error).message}`;
  }
}

describe('Batcher', () => {
  it('a lone item runs at once as a batch of one, without waiting for a turn of the event loop', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, string>(async (items) => {
      batches.push([...items]);
      return items.map((i) => ({ ok: true, value: `v${i}` }));
    });
    const order: string[] = [];
    const immediate = new Promise<void>((resolve) => setImmediate(() => (order.push('turn'), resolve())));
    const value = batcher.submit(1).then((v) => (order.push(v), v));
    await Promise.all([value, immediate]);
    expect(order).toEqual(['v1', 'turn']);
    expect(batches).toEqual([[1]]);
  });

  it('items of one burst form one batch; items submitted while it runs form the next; each gets its own outcome', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number, number>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await gate;
      return items.map((i) => ({ ok: true, value: i * 10 }));
    });
    const first = [batcher.submit(1), batcher.submit(2)];
    await nextTurn();
    const second = [batcher.submit(3), batcher.submit(4), batcher.submit(5)];
    await nextTurn();
    expect(batches).toEqual([[1, 2]]);
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4, 5]]);
    // Idle again: a later item starts a new batch.
    expect(await batcher.submit(6)).toBe(60);
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('a batch that throws fails each of its items with that error; the next batch still runs', async () => {
    const failure = new Error('the whole batch failed');
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number, number>(async (items) => {
      calls++;
      if (calls === 1) {
        await gate;
        throw failure;
      }
      return items.map((i) => ({ ok: true, value: i }));
    });
    const failed = [batcher.submit(1), batcher.submit(2)].map((p) => p.catch((e: unknown) => e));
    await nextTurn();
    const next = batcher.submit(3);
    release();
    expect(await Promise.all(failed)).toEqual([failure, failure]);
    expect(await next).toBe(3);
  });

  it('an item\'s own failure fails it alone; an item without an outcome fails with the exact message', async () => {
    const own = new Error('only item 2');
    const batcher = new Batcher<number, number>(async () => [{ ok: true, value: 1 }, { ok: false, error: own }] as BatchOutcome<number>[]);
    const results = await Promise.all([1, 2, 3].map((i) => batcher.submit(i).then((v) => `ok ${v}`, (e: Error) => e)));
    expect(results[0]).toBe('ok 1');
    expect(results[1]).toBe(own);
    expect((results[2] as Error).message).toBe('group commit: a batch returned no outcome for an item');
  });
});

describe('fsyncAsync and syncFolderAsync', () => {
  it('fsyncAsync resolves for an open file and rejects with the errno for a closed one', async () => {
    const dir = await folder();
    const fd = openSync(path.join(dir, 'f'), 'w');
    await expect(fsyncAsync(fd)).resolves.toBeUndefined();
    closeSync(fd);
    await expect(fsyncAsync(fd)).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('syncFolderAsync: a missing folder rejects; folders that cannot be opened or synced on this platform resolve; other sync errors reject, closing the folder', async () => {
    const dir = await folder();
    await expect(syncFolderAsync(dir)).resolves.toBeUndefined();
    await expect(syncFolderAsync(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    let openCode: string | undefined;
    patch('open', (original) => ((...args: unknown[]) => {
      const callback = args[args.length - 1] as (err: Error | null, fd?: number) => void;
      if (openCode) {
        setImmediate(() => callback(errno(openCode!)));
        return;
      }
      (original as (...a: unknown[]) => void)(...args);
    }) as typeof fs.open);
    for (openCode of ['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES']) await expect(syncFolderAsync(dir), openCode).resolves.toBeUndefined();
    openCode = 'EIO';
    await expect(syncFolderAsync(dir)).rejects.toMatchObject({ code: 'EIO' });
    openCode = undefined;
    let syncCode: string | undefined;
    const closed: number[] = [];
    patch('fsync', (original) => ((fd: number, callback: (err: Error | null) => void) => {
      if (syncCode) setImmediate(() => callback(errno(syncCode!)));
      else original(fd, callback);
    }) as typeof fs.fsync);
    patch('close', (original) => ((fd: number, callback: (err: Error | null) => void) => {
      closed.push(fd);
      original(fd, callback);
    }) as typeof fs.close);
    for (syncCode of ['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES']) await expect(syncFolderAsync(dir), syncCode).resolves.toBeUndefined();
    syncCode = 'EIO';
    await expect(syncFolderAsync(dir)).rejects.toMatchObject({ code: 'EIO' });
    expect(closed).toHaveLength(6);
    for (const fd of closed) expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });
});

describe('FileSyncGroup', () => {
  /** A written, open temp file in `dir` that `place` links to `name` (false when it exists). */
  function pending(dir: string, name: string, options: { folders?: string[]; place?: () => boolean; temp?: string } = {}): PendingFile {
    const temp = path.join(dir, options.temp ?? `.tmp-${name}`);
    const file = path.join(dir, name);
    const fd = openSync(temp, 'w');
    writeSync(fd, Buffer.from(name));
    return {
      fd, temp, file, folders: options.folders ?? [dir],
      place: options.place ?? (() => {
        try {
          linkSync(temp, file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          unlinkSync(temp);
          return false;
        }
        unlinkSync(temp);
        return true;
      }),
    };
  }

  /** Record the order of data syncs, closes and folder opens. */
  function trace(): string[] {
    const events: string[] = [];
    patch('fsync', (original) => ((fd: number, callback: (err: Error | null) => void) => {
      original(fd, (err) => {
        events.push(`fsync ${fd}`);
        callback(err);
      });
    }) as typeof fs.fsync);
    patch('open', (original) => ((...args: unknown[]) => {
      events.push(`open ${path.basename(String(args[0]))}`);
      (original as (...a: unknown[]) => void)(...args);
    }) as typeof fs.open);
    return events;
  }

  it('one flush: every data sync, then each file placed, then each folder once; fds closed', async () => {
    const dir = await folder();
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    const group = new FileSyncGroup();
    const a = pending(dir, 'a', { folders: [dir, sub] });
    const b = pending(dir, 'b');
    const events = trace();
    const wrap = (p: PendingFile, label: string): PendingFile => ({ ...p, place: () => (events.push(`place ${label}`), p.place()) });
    expect(await Promise.all([group.commit(wrap(a, 'a')), group.commit(wrap(b, 'b'))])).toEqual([true, true]);
    expect(events.slice(0, 2).sort()).toEqual([`fsync ${a.fd}`, `fsync ${b.fd}`].sort());
    expect(events.slice(2, 4)).toEqual(['place a', 'place b']);
    expect(events.slice(4).filter((e) => e.startsWith('open')).sort()).toEqual([`open ${path.basename(dir)}`, 'open sub']);
    expect(events.slice(4).filter((e) => e.startsWith('fsync'))).toHaveLength(2);
    for (const p of [a, b]) expect(() => fstatSync(p.fd)).toThrow(/EBADF/);
    expect(readFileSync(path.join(dir, 'b'), 'utf8')).toBe('b');
    // The same object again: its place finds the copy (false), its temp removed.
    const again = pending(dir, 'b', { temp: '.tmp-b-again' });
    expect(await group.commit(again)).toBe(false);
    expect(existsSync(again.temp)).toBe(false);
  });

  it('a place that throws fails that file alone (its temp removed, its folders not synced); the others are placed and synced', async () => {
    const dir = await folder();
    const only = path.join(dir, 'only-for-the-failed-one');
    mkdirSync(only);
    const group = new FileSyncGroup();
    const broken = new Error('cannot place');
    const bad = pending(dir, 'bad', { folders: [only], place: () => { throw broken; } });
    const good = pending(dir, 'good');
    const events = trace();
    const results = await Promise.all([group.commit(bad).catch((e: unknown) => e), group.commit(good)]);
    expect(results).toEqual([broken, true]);
    expect(existsSync(bad.temp)).toBe(false);
    expect(events.filter((e) => e.startsWith('open'))).toEqual([`open ${path.basename(dir)}`]);
  });

  it('a failed data sync fails every file of the flush (no room: STORAGE_FULL naming the failed file\'s temp), removes every temp, places none', async () => {
    const dir = await folder();
    const group = new FileSyncGroup();
    const a = pending(dir, 'a');
    const b = pending(dir, 'b');
    patch('fsync', (original) => ((fd: number, callback: (err: Error | null) => void) => {
      if (fd === b.fd) setImmediate(() => callback(errno('ENOSPC')));
      else original(fd, callback);
    }) as typeof fs.fsync);
    const results = await Promise.all([settle(group.commit(a)), settle(group.commit(b))]);
    expect(results).toEqual([`STORAGE_FULL: No room to write ${b.temp} (ENOSPC)`, `STORAGE_FULL: No room to write ${b.temp} (ENOSPC)`]);
    for (const p of [a, b]) {
      expect(existsSync(p.temp)).toBe(false);
      expect(existsSync(p.file)).toBe(false);
      expect(() => fstatSync(p.fd)).toThrow(/EBADF/);
    }
    // Nothing in flight is left: a writer of the same file does not wait on the failed flush.
    await expect(group.durable(a.file)).resolves.toBeUndefined();
  });

  it('a failed folder sync fails every file of the flush (no room: STORAGE_FULL naming the folder), though placed', async () => {
    const dir = await folder();
    const other = path.join(dir, 'other');
    mkdirSync(other);
    const group = new FileSyncGroup();
    const a = pending(dir, 'a', { folders: [dir] });
    const b = pending(dir, 'b', { folders: [other] });
    // Folder fds (opened through fs.open; numbers may repeat the closed data fds) fail their sync.
    const folderFds = new Set<number>();
    patch('open', (original) => ((...args: unknown[]) => {
      const callback = args[args.length - 1] as (err: Error | null, fd: number) => void;
      (original as (...a: unknown[]) => void)(...args.slice(0, -1), (err: Error | null, fd: number) => {
        if (!err) folderFds.add(fd);
        callback(err, fd);
      });
    }) as typeof fs.open);
    patch('fsync', (original) => ((fd: number, callback: (err: Error | null) => void) => {
      if (folderFds.delete(fd)) setImmediate(() => callback(errno('ENOSPC')));
      else original(fd, callback);
    }) as typeof fs.fsync);
    const results = await Promise.all([settle(group.commit(a)), settle(group.commit(b))]);
    expect(results).toEqual([`STORAGE_FULL: No room to write ${dir} (ENOSPC)`, `STORAGE_FULL: No room to write ${dir} (ENOSPC)`]);
    expect(existsSync(a.file) && existsSync(b.file)).toBe(true);
  });

  it('durable(file) waits for the flush writing it; a later commit of the same file is waited for, not forgotten when the earlier one ends', async () => {
    const dir = await folder();
    const group = new FileSyncGroup();
    await expect(group.durable(path.join(dir, 'x'))).resolves.toBeUndefined();
    // The data syncs of the two files are held until released (each fd once: numbers are reused).
    const held = new Map<number, () => void>();
    const reached = new Map<number, () => void>();
    const reachedP = (fd: number) => new Promise<void>((resolve) => reached.set(fd, resolve));
    patch('fsync', (original) => ((fd: number, callback: (err: Error | null) => void) => {
      const arrived = reached.get(fd);
      if (!arrived) return original(fd, callback);
      reached.delete(fd);
      held.set(fd, () => original(fd, callback));
      arrived();
    }) as typeof fs.fsync);
    const first = pending(dir, 'x');
    const firstReached = reachedP(first.fd);
    const firstDone = group.commit(first);
    await firstReached;
    // A second writer of the same file, queued for the next flush.
    const second = pending(dir, 'x', { temp: '.tmp-x-2' });
    const secondReached = reachedP(second.fd);
    const secondDone = group.commit(second);
    let waited = false;
    const waiting = group.durable(first.file).then(() => (waited = true));
    for (let i = 0; i < 3; i++) await nextTurn();
    expect(waited).toBe(false);
    held.get(first.fd)!();
    expect(await firstDone).toBe(true);
    await secondReached;
    // The first flush ended; the second (same file) still runs: durable waits for it.
    let waitedAgain = false;
    const waitingAgain = group.durable(first.file).then(() => (waitedAgain = true));
    for (let i = 0; i < 3; i++) await nextTurn();
    expect(waitedAgain).toBe(false);
    held.get(second.fd)!();
    expect(await secondDone).toBe(false);
    await Promise.all([waiting, waitingAgain]);
    expect([waited, waitedAgain]).toEqual([true, true]);
  });
});

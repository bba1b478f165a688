import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock, HeadLog } from '@gitty/driver-files';
import { withStoreDir } from './support.js';

// A sequential writer's per-version file-system work (issue 17): the driver's node:fs calls are
// counted by name and path, so "no open of the head log", "one lock for a burst" and "no look
// before writing a new object" are checked without timing anything.
const counter = vi.hoisted(() => ({ on: false, calls: [] as string[] }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const counted = <F extends (...args: never[]) => unknown>(name: string, fn: F): F =>
    ((...args: Parameters<F>) => {
      if (counter.on && typeof args[0] === 'string') counter.calls.push(`${name} ${args[0]}`);
      return fn(...args);
    }) as F;
  return {
    ...real,
    openSync: counted('openSync', real.openSync),
    statSync: counted('statSync', real.statSync),
    mkdirSync: counted('mkdirSync', real.mkdirSync),
    renameSync: counted('renameSync', real.renameSync),
  };
});

const flushEventLoop = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  counter.on = false;
  counter.calls = [];
  vi.useRealTimers();
});

describe('a sequential writer without fsync', () => {
  it('neither opens the head log nor looks for its new objects, and takes the lock once for a burst that does not yield', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open({ durability: 'none' });
      let head = (await store.create('a.txt', 'v0')).commit;
      await flushEventLoop();
      // The burst's length limit must not cut this burst on a slow machine.
      vi.useFakeTimers({ toFake: ['Date'] });
      counter.on = true;
      const n = 20;
      for (let i = 1; i <= n; i++) head = (await store.update('a.txt', `v${i}`, { previous: head })).commit;
      counter.on = false;
      const calls = counter.calls;
      const log = path.join(dir, 'ref', 'head');
      expect(calls.filter((c) => c === `openSync ${log}`)).toEqual([]);
      expect(calls.filter((c) => c === `mkdirSync ${log}.lock`)).toHaveLength(1);
      expect(calls.filter((c) => c.startsWith(`statSync ${path.join(dir, 'objects')}`))).toEqual([]);
      // Every version reached the log, and other readers see it.
      const other = await open({ durability: 'none' });
      expect(await other.head('a.txt')).toBe(head);
      expect((await other.history('a.txt', { depth: n + 5 })).history).toHaveLength(n + 1);
      await flushEventLoop();
      expect(existsSync(`${log}.lock`)).toBe(false);
    });
  });
});

describe('FileLock holdAcrossBurst', () => {
  it('keeps the lock for work queued before the event loop turns, then releases it; a failed work releases at once', async () => {
    const { dir, remove } = await tempDir('gitty-burst-');
    try {
      const file = path.join(dir, 'ref', 'head');
      const lock = new FileLock(file, { holdAcrossBurst: true });
      const owner = () => readFileSync(path.join(lock.lockPath, 'owner'), 'utf8');
      const first = await lock.withLock(async () => owner());
      expect(existsSync(lock.lockPath)).toBe(true);
      expect(await lock.withLock(async () => owner())).toBe(first);
      await flushEventLoop();
      expect(existsSync(lock.lockPath)).toBe(false);

      await expect(lock.withLock(async () => {
        throw new Error('work failed');
      })).rejects.toThrow('work failed');
      expect(existsSync(lock.lockPath)).toBe(false);

      await lock.withLock(async () => undefined);
      lock.releaseKept();
      expect(existsSync(lock.lockPath)).toBe(false);
    } finally {
      await remove();
    }
  });

  it('another writer waiting for the lock gets it once the burst is over', async () => {
    const { dir, remove } = await tempDir('gitty-burst-');
    try {
      const file = path.join(dir, 'ref', 'head');
      await mkdir(path.dirname(file), { recursive: true });
      const mine = new FileLock(file, { holdAcrossBurst: true });
      const theirs = new FileLock(file);
      const order: string[] = [];
      await mine.withLock(async () => void order.push('mine 1'));
      const waiting = theirs.withLock(async () => void order.push('theirs'));
      await mine.withLock(async () => void order.push('mine 2'));
      await waiting;
      expect(order).toEqual(['mine 1', 'mine 2', 'theirs']);
      expect(existsSync(mine.lockPath)).toBe(false);
    } finally {
      await remove();
    }
  });
});

describe('the head log file kept open between appends', () => {
  const change = (name: string, old: string | null, next: string) => ({ name, old, new: next });
  const h = (c: string) => c.repeat(40);

  it('reads what another writer appended, a log replaced at its path, and one rewritten in place', async () => {
    const { dir, remove } = await tempDir('gitty-kept-');
    try {
      const file = path.join(dir, 'ref', 'head');
      const mine = new HeadLog(file, { durability: 'none' });
      const theirs = new HeadLog(file, { durability: 'none' });
      let at = await mine.withLock(() => mine.create([]));
      at = await mine.withLock(() => mine.append(at, [change('a', null, h('1'))]));

      // Another writer's line: the next read is a tail holding it, and the next append follows it.
      const theirsAt = (await theirs.readFrom())!;
      await theirs.withLock(() => theirs.append(theirsAt, [change('b', null, h('2'))]));
      const tail = (await mine.readFrom(at))!;
      expect(tail.reset).toBe(false);
      expect(tail.events).toEqual([change('b', null, h('2'))]);
      at = await mine.withLock(() => mine.append(tail, [change('a', h('1'), h('3'))]));
      expect((await theirs.readFrom())!.events).toEqual([change('a', null, h('1')), change('b', null, h('2')), change('a', h('1'), h('3'))]);

      // Replaced at its path (a rebuild or compaction elsewhere): a new epoch, and the next append goes to the new file.
      const created = await theirs.withLock(() => theirs.create([{ name: 'c', head: h('4') }]));
      const replaced = (await mine.readFrom(at))!;
      expect(replaced.reset).toBe(true);
      expect(replaced.epoch).toBe(created.epoch);
      await mine.withLock(() => mine.append(replaced, [change('c', h('4'), h('5'))]));
      expect((await theirs.readFrom())!.events).toEqual([change('c', null, h('4')), change('c', h('4'), h('5'))]);

      // Rewritten in place (same file, another epoch line): read whole again, not trusted as ours.
      const now = (await mine.readFrom())!;
      await mine.withLock(() => mine.append(now, [change('d', null, h('6'))]));
      writeFileSync(file, `${JSON.stringify({ epoch: 'feedfacefeedface', created: 1 })}\n${JSON.stringify(change('e', null, h('7')))}\n`);
      const rewritten = (await mine.readFrom(now))!;
      expect(rewritten.reset).toBe(true);
      expect(rewritten.epoch).toBe('feedfacefeedface');
      expect(rewritten.events).toEqual([change('e', null, h('7'))]);
      mine.close();
      theirs.close();
    } finally {
      await remove();
    }
  });
});

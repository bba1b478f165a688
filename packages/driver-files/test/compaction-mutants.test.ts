// Tests written against surviving mutants of compaction.ts (HeadLogCompaction). They cover
// what the exact tests left open: a look that finds the log not due starts no run (takes no
// compaction lock); the compacted size is cached per inode (one stat per write); the
// look inside the compaction lock uses both thresholds (another process may have compacted or
// replaced the log just before we took the lock); gc takes the same compaction lock and waits
// for it; `idle` waits for the newest run; a vetoed compaction is not counted. Races are staged
// by wrapping node:fs or with compact-log's test hooks, so nothing depends on timing.
import { afterEach, describe, expect, it } from 'vitest';
import fs, { appendFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock, type HeadLog } from '@gitty/driver-files';
import { patch, undoPatches } from './support/patch-fs.js';
import { LINE, epochOf, h, line, logIn } from './support/compaction-log.js';
import { HeadLogCompaction, type CompactionPolicy } from '../src/compaction.js';
import { compactionTestHooks } from '../src/compact-log.js';
import { vetoPendingCompaction } from '../src/compaction-fence.js';

/** The length of the lines appended to grow a log (`b` created). */
const GROW = line('b', null, h(99)).length;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const key of Object.keys(compactionTestHooks) as (keyof typeof compactionTestHooks)[]) compactionTestHooks[key] = undefined;
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A log of `count` changes of head `a` in a fresh temp folder, as `{ file, withLock }`. */
async function logOf(count: number) {
  const { dir, remove } = await tempDir('gitty-compaction-mutants-');
  cleanups.push(remove);
  return logIn(dir, count);
}

const compactionOf = (log: HeadLog, policy: CompactionPolicy) => new HeadLogCompaction(log, { durability: 'none', policy });

/** A log compacted once (by another instance, as another process would), then grown by `extra` lines. */
async function compactedLog(count: number, extra = 0) {
  const made = await logOf(count);
  const other = compactionOf(made.log, { compactAt: 0, compactRatio: 2 });
  expect(await other.compact()).toBeDefined();
  const compacted = statSync(made.file).size;
  for (let n = 0; n < extra; n++) appendFileSync(made.file, line('b', null, h(1000 + n)));
  return { ...made, compacted };
}

/** Run `action` once, synchronously, right before the first attempt to take the lock folder `lockPath`. */
function beforeLocking(lockPath: string, action: () => void): void {
  let done = false;
  patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
    if (!done && String(target) === lockPath) {
      done = true;
      action();
    }
    return (original as (...a: unknown[]) => unknown)(target, ...rest);
  }) as typeof fs.mkdirSync);
}

/** Count the attempts to take the lock folder `lockPath` (any process's compaction lock is a mkdir of it). */
function countLocking(lockPath: string): { count: number } {
  const seen = { count: 0 };
  patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
    if (String(target) === lockPath) seen.count++;
    return (original as (...a: unknown[]) => unknown)(target, ...rest);
  }) as typeof fs.mkdirSync);
  return seen;
}

describe('HeadLogCompaction.afterWrite: a look that finds the log not due starts no run', () => {
  // A run started for nothing takes the compaction lock (a lock folder per write, and another
  // process's background compaction, which never waits for the lock, skips meanwhile) and, while
  // in flight, makes the looks of this process's next writes skip.
  it('below compactAt: no compaction lock is taken; the write that then reaches compactAt compacts', async () => {
    const { file, log } = await logOf(10);
    const locking = countLocking(`${file}.compact.lock`);
    const compaction = compactionOf(log, { compactAt: statSync(file).size + 1, compactRatio: 4 });
    compaction.afterWrite();
    await compaction.idle();
    expect(locking.count).toBe(0);
    appendFileSync(file, line('a', h(10), h(11)));
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.lastError).toBeUndefined();
    expect(locking.count).toBe(1);
    expect(compaction.compactions).toBe(1);
    expect(epochOf(file)).not.toBe('e0');
  });

  it('below compactRatio times the compacted size: no compaction lock is taken; the write that then reaches it compacts', async () => {
    const { file, log } = await logOf(10);
    const compaction = compactionOf(log, { compactAt: 0, compactRatio: 2 });
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.compactions).toBe(1);
    const compacted = statSync(file).size;
    while (statSync(file).size + GROW < 2 * compacted) appendFileSync(file, line('b', null, h(99)));
    const locking = countLocking(`${file}.compact.lock`);
    compaction.afterWrite();
    await compaction.idle();
    expect(locking.count).toBe(0);
    while (statSync(file).size < 2 * compacted) appendFileSync(file, line('b', null, h(99)));
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.lastError).toBeUndefined();
    expect(locking.count).toBe(1);
    expect(compaction.compactions).toBe(2);
  });

  it('a log without a trustworthy header (no epoch line): no compaction lock is taken; the log that then replaces it compacts', async () => {
    const { dir, file, log } = await logOf(0);
    writeFileSync(file, 'no epoch\n');
    const locking = countLocking(`${file}.compact.lock`);
    const compaction = compactionOf(log, { compactAt: 0, compactRatio: 4 });
    compaction.afterWrite();
    await compaction.idle();
    expect(locking.count).toBe(0);
    const replacement = await logOf(10);
    renameSync(replacement.file, path.join(dir, 'head'));
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.lastError).toBeUndefined();
    expect(compaction.compactions).toBe(1);
    expect(epochOf(file)).not.toBe('e0');
  });
});

describe('HeadLogCompaction.afterWrite: the compacted size is read once per log file', () => {
  // afterWrite runs after every write: its look is one stat (documented). Without the per-inode
  // cache each write above compactAt would also open the log and read its header; the decision
  // would be the same (a file's header never changes), so the opens are what is counted.
  it('writes to a log above compactAt but not due by the ratio stat it, reading its header only the first time', async () => {
    const { file, log, compacted } = await compactedLog(10);
    const compaction = compactionOf(log, { compactAt: 0, compactRatio: 4 });
    appendFileSync(file, line('b', null, h(99)));
    let opens = 0;
    patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === file) opens++;
      return (original as (...a: unknown[]) => number)(target, ...rest);
    }) as typeof fs.openSync);
    for (let n = 0; n < 3; n++) {
      compaction.afterWrite();
      await compaction.idle();
    }
    expect(statSync(file).size).toBeLessThan(4 * compacted);
    expect(compaction.compactions).toBe(0);
    expect(opens).toBe(1);
  });
});

/**
 * Another process puts the log at `theirsFile` in place of `file` just before `compaction` takes
 * the compaction lock: the look inside the lock finds it not due, so their log is left as it is.
 */
async function expectTheirsKept(compaction: HeadLogCompaction, file: string, theirsFile: string): Promise<void> {
  const theirs = epochOf(theirsFile);
  beforeLocking(`${file}.compact.lock`, () => renameSync(theirsFile, file));
  compaction.afterWrite();
  await compaction.idle();
  expect(compaction.lastError).toBeUndefined();
  expect(compaction.compactions).toBe(0);
  expect(epochOf(file)).toBe(theirs);
}

describe('HeadLogCompaction.afterWrite: the look again inside the compaction lock', () => {
  it('another process compacted the log just before we took the lock: not compacted again (the ratio)', async () => {
    const done = await compactedLog(10);
    const { file, log } = await logOf(10);
    const compaction = compactionOf(log, { compactAt: 0, compactRatio: 2 });
    await expectTheirsKept(compaction, file, done.file);
  });

  it('the log was replaced by a smaller one, due by the ratio but below compactAt: not compacted (compactAt)', async () => {
    // Compacted once, then grown to at least twice its compacted size.
    const probe = await compactedLog(10);
    const extra = Math.ceil((2 * probe.compacted - statSync(probe.file).size) / GROW) + 1;
    const done = await compactedLog(10, extra);
    const smaller = statSync(done.file).size;
    expect(smaller).toBeGreaterThanOrEqual(2 * done.compacted);
    const { file, log } = await logOf(Math.ceil(smaller / LINE) + 1);
    expect(statSync(file).size).toBeGreaterThan(smaller);
    const compaction = compactionOf(log, { compactAt: smaller + 1, compactRatio: 2 });
    await expectTheirsKept(compaction, file, done.file);
  });
});

describe('HeadLogCompaction.compact (gc)', () => {
  it('waits for the compaction lock another process holds, then finds the log it compacted not due', async () => {
    const done = await compactedLog(10);
    const { file, log } = await logOf(10);
    const compaction = compactionOf(log, { compactAt: false, compactRatio: 4 });
    const lockPath = `${file}.compact.lock`;
    let tried!: () => void;
    const gcTried = new Promise<void>((resolve) => (tried = resolve));
    // Signals gc's first attempt at the lock folder another holds (EEXIST).
    patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      try {
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      } catch (err) {
        if (String(target) === lockPath && (err as NodeJS.ErrnoException).code === 'EEXIST') tried();
        throw err;
      }
    }) as typeof fs.mkdirSync);
    let gc!: Promise<unknown>;
    let gcDone = false;
    const theirs = epochOf(done.file);
    await new FileLock(`${file}.compact`).withLock(async () => {
      gc = compaction.compact().finally(() => (gcDone = true));
      // A gc that took another lock finishes instead of trying ours.
      await Promise.race([gcTried, gc]);
      expect(gcDone).toBe(false);
      renameSync(done.file, file); // the other process's compaction
    });
    expect(await gc).toBeUndefined();
    expect(compaction.compactions).toBe(0);
    expect(epochOf(file)).toBe(theirs);
  });

  it('idle waits for the newest of two overlapping runs', async () => {
    const { file, log } = await logOf(10);
    const compaction = compactionOf(log, { compactAt: false, compactRatio: 4 });
    const first = compaction.compact();
    const second = compaction.compact();
    expect(await first).toBeDefined();
    // The second still waits for the lock (a timer): a write now makes it compact again.
    appendFileSync(file, line('b', null, h(99)));
    await compaction.idle();
    expect(compaction.compactions).toBe(2);
    expect(await second).toBeDefined();
  });

  it('a compaction a writer vetoed is not counted', async () => {
    const { file, log } = await logOf(10);
    const compaction = compactionOf(log, { compactAt: false, compactRatio: 4 });
    compactionTestHooks.afterStage = () => {
      expect(vetoPendingCompaction(file)).toBe(true);
    };
    expect(await compaction.compact()).toBeUndefined();
    expect(compaction.compactions).toBe(0);
    expect(epochOf(file)).toBe('e0');
  });
});

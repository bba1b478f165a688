// Exact tests of compaction.ts (compactionPolicyOf, HeadLogCompaction: when it compacts, the
// compaction lock, lastError, retired logs) and compaction-fence.ts (staging, unstaging, the
// switch and the veto, with their races staged by wrapping node:fs) on real logs in temp dirs.
// The log is given as `{ file, withLock }` over a real FileLock (only these files are under test).
import { afterEach, describe, expect, it } from 'vitest';
import fs, { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { patch, restores, undoPatches } from './support/patch-fs.js';
import { LINE, epochOf, h, line, logIn } from './support/compaction-log.js';
import path from 'node:path';
import { isGittyError } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock, type HeadLog } from '@gitty/driver-files';
import { DEFAULT_COMPACT_AT, DEFAULT_COMPACT_RATIO, HeadLogCompaction, RETIRED_LOG_KEEP_MS, compactionPolicyOf } from '../src/compaction.js';
import {
  isVetoedFolderName, stageNewLog, stagingFolder, switchToStagedLog, unstage, vetoPendingCompaction,
} from '../src/compaction-fence.js';
import { COMPACTED_HEADER_BYTES } from '../src/log-header.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});


async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-compaction-exact-');
  cleanups.push(remove);
  return dir;
}

/** A log of `count` changes of head `a` (each line 82 bytes), as `{ file, withLock }`. */
const logOf = async (count: number) => logIn(await folder(), count);

describe('compactionPolicyOf', () => {
  it('fills in the defaults and takes valid values as given', () => {
    expect(compactionPolicyOf({}, 'files')).toEqual({ compactAt: DEFAULT_COMPACT_AT, compactRatio: DEFAULT_COMPACT_RATIO });
    expect(DEFAULT_COMPACT_AT).toBe(64 * 1024 * 1024);
    expect(DEFAULT_COMPACT_RATIO).toBe(4);
    expect(RETIRED_LOG_KEEP_MS).toBe(600_000);
    expect(compactionPolicyOf({ compactAt: false, compactRatio: 1.5 }, 'files')).toEqual({ compactAt: false, compactRatio: 1.5 });
    expect(compactionPolicyOf({ compactAt: 0, compactRatio: 100 }, 'files')).toEqual({ compactAt: 0, compactRatio: 100 });
  });

  it('refuses a bad compactAt or compactRatio with INVALID_CONFIG naming the driver', () => {
    const refusal = (options: Record<string, unknown>) => {
      try {
        compactionPolicyOf(options, 'sqlite');
        return 'accepted';
      } catch (err) {
        return isGittyError(err, 'INVALID_CONFIG') ? err.message : String(err);
      }
    };
    const at = 'The sqlite driver\'s "compactAt" must be a number of bytes >= 0 or false';
    const ratio = 'The sqlite driver\'s "compactRatio" must be a number >= 1.5';
    for (const compactAt of [-1, Number.NaN, '100', true, null]) expect(refusal({ compactAt }), String(compactAt)).toBe(at);
    for (const compactRatio of [1.4, Number.POSITIVE_INFINITY, Number.NaN, '4', null, false]) expect(refusal({ compactRatio }), String(compactRatio)).toBe(ratio);
  });
});

describe('HeadLogCompaction', () => {
  it('afterWrite: a size below compactAt (or compactAt false) is not even looked at; at compactAt a never-compacted log is compacted in the background', async () => {
    const { file, log } = await logOf(10);
    const size = statSync(file).size;
    const off = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: false, compactRatio: 4 } });
    off.afterWrite(size);
    off.afterWrite();
    await off.idle();
    expect(off.compactions).toBe(0);
    const below = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: size + 1, compactRatio: 4 } });
    below.afterWrite(size);
    below.afterWrite();
    await below.idle();
    expect(below.compactions).toBe(0);
    expect(epochOf(file)).toBe('e0');
    // logSize given below compactAt is trusted (no stat) even when the file is larger.
    const trusted = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: size, compactRatio: 4 } });
    trusted.afterWrite(size - 1);
    await trusted.idle();
    expect(trusted.compactions).toBe(0);
    trusted.afterWrite(size);
    await trusted.idle();
    expect(trusted.compactions).toBe(1);
    expect(trusted.lastError).toBeUndefined();
    expect(epochOf(file)).not.toBe('e0');
    expect(statSync(file).size).toBe(COMPACTED_HEADER_BYTES + line('a', null, h(10)).length);
  });

  it('compacts again only once the log is compactRatio times its compacted size', async () => {
    const { file, log } = await logOf(10);
    const compaction = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: 0, compactRatio: 2 } });
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.compactions).toBe(1);
    const compacted = statSync(file).size;
    // Grow to just below twice the compacted size: not due.
    while (statSync(file).size + LINE < 2 * compacted) appendFileSync(file, line('b', null, h(99)));
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.compactions).toBe(1);
    appendFileSync(file, `${' '.repeat(2 * compacted - statSync(file).size - 1)}\n`);
    expect(statSync(file).size).toBe(2 * compacted);
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.compactions).toBe(2);
  });

  it('one background compaction at a time in this process', async () => {
    const { log } = await logOf(10);
    const compaction = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: 0, compactRatio: 4 } });
    compaction.afterWrite();
    compaction.afterWrite();
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.compactions).toBe(1);
  });

  it('skips a background compaction while another process holds the compaction lock, without an error; gc (compact) waits for it', async () => {
    const { file, log } = await logOf(10);
    const compaction = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: 0, compactRatio: 4 } });
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const other = new FileLock(`${file}.compact`).withLock(async () => {
      entered();
      await holding;
    });
    await inside;
    compaction.afterWrite();
    await compaction.idle();
    expect(compaction.compactions).toBe(0);
    expect(compaction.lastError).toBeUndefined();
    const gc = compaction.compact();
    release();
    await other;
    expect(await gc).toMatchObject({ previousEpoch: 'e0', heads: 1, lines: 10 });
    expect(compaction.compactions).toBe(1);
  });

  it('keeps any other failure of a background compaction in lastError, never throws it', async () => {
    const { dir, file, log } = await logOf(10);
    const compaction = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: 0, compactRatio: 4 } });
    patch('openSync', (original) => ((target: fs.PathLike, flags?: fs.OpenMode, ...rest: unknown[]) => {
      if (flags === 'wx' && path.dirname(String(target)) === dir) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
      return (original as (...a: unknown[]) => number)(target, flags, ...rest);
    }) as typeof fs.openSync);
    compaction.afterWrite();
    await compaction.idle();
    expect((compaction.lastError as NodeJS.ErrnoException).code).toBe('EROFS');
    expect(compaction.compactions).toBe(0);
    expect(epochOf(file)).toBe('e0');
    // A failure to look at the log at all (a folder where the log is) is kept too.
    restores.pop()!();
    const other = await folder();
    const broken = path.join(other, 'head');
    mkdirSync(broken);
    const lookFails = new HeadLogCompaction({ file: broken, withLock: log.withLock } as unknown as HeadLog, { durability: 'none', policy: { compactAt: 0, compactRatio: 4 } });
    expect(() => lookFails.afterWrite()).not.toThrow();
    expect((lookFails.lastError as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('no log, or one without an epoch line, is nothing to compact', async () => {
    const dir = await folder();
    const file = path.join(dir, 'head');
    const lock = new FileLock(file);
    const log = { file, withLock: <T>(work: () => Promise<T>) => lock.withLock(work) } as unknown as HeadLog;
    const compaction = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: 0, compactRatio: 4 } });
    compaction.afterWrite();
    expect(await compaction.compact()).toBeUndefined();
    writeFileSync(file, 'no epoch\n');
    compaction.afterWrite();
    await compaction.idle();
    expect(await compaction.compact()).toBeUndefined();
    expect(compaction.compactions).toBe(0);
    expect(compaction.lastError).toBeUndefined();
  });

  it('compact (gc): compacts a never-compacted log, skips one with nothing written since, and removes retired logs past the keep period', async () => {
    const { dir, file, log } = await logOf(3);
    const compaction = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: false, compactRatio: 4 }, keepRetiredMs: 60_000 });
    const first = await compaction.compact();
    expect(first).toMatchObject({ previousEpoch: 'e0', heads: 1, lines: 3 });
    expect(readdirSync(dir).filter((n) => n.includes('retired'))).toEqual(['head.retired-e0']);
    expect(await compaction.compact()).toBeUndefined();
    expect(compaction.compactions).toBe(1);
    // Past the keep period (ctime cannot be set back: compare with a later "now" instead).
    const old = new Date(Date.now() - 120_000);
    utimesSync(path.join(dir, 'head.retired-e0'), old, old);
    appendFileSync(file, line('b', null, h(50)));
    const keepNone = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: false, compactRatio: 4 }, keepRetiredMs: 0 });
    const second = await keepNone.compact();
    expect(second).toMatchObject({ previousEpoch: first!.epoch, heads: 2 });
    expect(readdirSync(dir).filter((n) => n.includes('retired'))).toEqual([]);
  });

  it('the retired logs stay for the default keep period (10 minutes)', async () => {
    const { dir, log } = await logOf(3);
    const compaction = new HeadLogCompaction(log, { durability: 'none', policy: { compactAt: 0, compactRatio: 4 } });
    compaction.afterWrite();
    await compaction.idle();
    await compaction.compact();
    expect(readdirSync(dir).filter((n) => n.includes('retired'))).toEqual(['head.retired-e0']);
  });
});

describe('compaction-fence', () => {
  it('stageNewLog moves the temp file into a fresh <log>.compacting folder; unstage removes both', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    const temp = path.join(dir, '.tmp-new');
    writeFileSync(temp, 'new log');
    expect(stagingFolder(logFile)).toBe(`${logFile}.compacting`);
    const staged = stageNewLog(logFile, temp);
    expect(staged).toBe(path.join(`${logFile}.compacting`, '.tmp-new'));
    expect(readFileSync(staged!, 'utf8')).toBe('new log');
    expect(existsSync(temp)).toBe(false);
    unstage(staged!);
    expect(readdirSync(dir)).toEqual([]);
    // Already vetoed (folder gone): nothing to do, no error.
    unstage(staged!);
  });

  it('a staging folder a dead compactor left is vetoed and made again', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    mkdirSync(stagingFolder(logFile));
    writeFileSync(path.join(stagingFolder(logFile), '.tmp-dead'), 'left behind');
    const temp = path.join(dir, '.tmp-new');
    writeFileSync(temp, 'new');
    const staged = stageNewLog(logFile, temp);
    expect(readdirSync(stagingFolder(logFile))).toEqual(['.tmp-new']);
    expect(readdirSync(dir).sort()).toEqual(['head.compacting']);
    expect(staged).toBe(path.join(stagingFolder(logFile), '.tmp-new'));
  });

  it('another compactor staging right after our veto wins: undefined, our temp file stays', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    const folderPath = stagingFolder(logFile);
    mkdirSync(folderPath);
    const temp = path.join(dir, '.tmp-new');
    writeFileSync(temp, 'new');
    let calls = 0;
    patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === folderPath && calls++ === 1) original(folderPath); // the other compactor
      return (original as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.mkdirSync);
    expect(stageNewLog(logFile, temp)).toBeUndefined();
    expect(readFileSync(temp, 'utf8')).toBe('new');
  });

  it('mkdir failures other than EEXIST are thrown, at either try', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'missing-folder', 'head');
    const temp = path.join(dir, '.tmp-new');
    writeFileSync(temp, 'new');
    expect(() => stageNewLog(logFile, temp)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const logHere = path.join(dir, 'head');
    mkdirSync(stagingFolder(logHere));
    let calls = 0;
    patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === stagingFolder(logHere) && calls++ === 1) throw Object.assign(new Error('ENOSPC: mkdir'), { code: 'ENOSPC' });
      return (original as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.mkdirSync);
    expect(() => stageNewLog(logHere, temp)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
  });

  it('a veto between the mkdir and the move: undefined, temp stays; a temp file gone: the error is thrown', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    const temp = path.join(dir, '.tmp-new');
    writeFileSync(temp, 'new');
    let vetoed = false;
    patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
      if (String(from) === temp && !vetoed) {
        vetoed = true;
        expect(vetoPendingCompaction(logFile)).toBe(true);
      }
      return original(from, to);
    }) as typeof fs.renameSync);
    expect(stageNewLog(logFile, temp)).toBeUndefined();
    expect(readFileSync(temp, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['.tmp-new']);
    expect(() => stageNewLog(logFile, path.join(dir, '.tmp-never-written'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('switchToStagedLog renames over the log and removes the folder; vetoed (staged file gone): false; other errors thrown', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    writeFileSync(logFile, 'old');
    const temp = path.join(dir, '.tmp-new');
    writeFileSync(temp, 'new');
    const staged = stageNewLog(logFile, temp)!;
    expect(switchToStagedLog(logFile, staged)).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['head']);
    // Vetoed: the staged path is gone.
    writeFileSync(temp, 'newer');
    const again = stageNewLog(logFile, temp)!;
    expect(vetoPendingCompaction(logFile)).toBe(true);
    expect(switchToStagedLog(logFile, again)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toBe('new');
    // A folder that is not empty after the switch (another compactor's by now) stays.
    writeFileSync(temp, 'newest');
    const third = stageNewLog(logFile, temp)!;
    writeFileSync(path.join(stagingFolder(logFile), 'other'), '');
    expect(switchToStagedLog(logFile, third)).toBe(true);
    expect(readdirSync(stagingFolder(logFile))).toEqual(['other']);
    // A log path that is a folder: EISDIR (or ENOTEMPTY), thrown.
    const busy = path.join(dir, 'busy');
    mkdirSync(path.join(busy, 'x'), { recursive: true });
    writeFileSync(temp, 'x');
    const fourth = stageNewLog(busy, temp)!;
    expect(() => switchToStagedLog(busy, fourth)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) }));
  });

  it('vetoPendingCompaction: none pending is false (nothing moved); one pending is moved aside and removed; a race with its compactor still counts', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    expect(vetoPendingCompaction(logFile)).toBe(false);
    mkdirSync(stagingFolder(logFile));
    writeFileSync(path.join(stagingFolder(logFile), '.tmp-x'), 'staged');
    expect(vetoPendingCompaction(logFile)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    mkdirSync(stagingFolder(logFile));
    patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
      if (String(from) === stagingFolder(logFile)) {
        fs.rmdirSync(stagingFolder(logFile)); // switched and cleared just now
      }
      return original(from, to);
    }) as typeof fs.renameSync);
    expect(vetoPendingCompaction(logFile)).toBe(true);
    restores.pop()!();
    mkdirSync(stagingFolder(logFile));
    patch('renameSync', () => (() => {
      throw Object.assign(new Error('EACCES: rename'), { code: 'EACCES' });
    }) as typeof fs.renameSync);
    expect(() => vetoPendingCompaction(logFile)).toThrow(expect.objectContaining({ code: 'EACCES' }));
  });

  it('vetoed folders are named <log>.vetoed-<12 hex>, recognised by isVetoedFolderName', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    mkdirSync(stagingFolder(logFile));
    const moved: string[] = [];
    patch('rmSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      moved.push(path.basename(String(target)));
      return (original as (...a: unknown[]) => void)(target, ...rest);
    }) as typeof fs.rmSync);
    vetoPendingCompaction(logFile);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatch(/^head\.vetoed-[0-9a-f]{12}$/);
    expect(isVetoedFolderName(logFile, moved[0]!)).toBe(true);
    expect(isVetoedFolderName(logFile, 'head.vetoed')).toBe(false);
    expect(isVetoedFolderName(logFile, 'other.vetoed-0a')).toBe(false);
    expect(isVetoedFolderName(path.join(dir, 'other'), 'head.vetoed-0a')).toBe(false);
  });
});

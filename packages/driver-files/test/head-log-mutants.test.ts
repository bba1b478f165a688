// HeadLog edges the fa-headlog mutation run found untested: an oversized line in a read, an
// fstat failure right after opening the log to append, a refused append on the kept file, an
// open failure while verifying, a written file rewritten in place under a compaction, initialize
// on a log that has an epoch, a kept file rewritten in place with another epoch, and (s6-fhl) the
// next append going to the kept file without opening the log again.
import { afterEach, describe, expect, it } from 'vitest';
import fs, { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { HeadChange } from '@gitty/core';
import { HeadLogMovedError } from '@gitty/driver-files';
import { MAX_LINE_BYTES } from '../src/log-lines.js';
import { headLogTestHooks } from '../src/test-hooks.js';
import { withLog } from './support/head-log-pair.js';
import { patch, undoPatches } from './support/patch-fs.js';

const h = (digit: string) => digit.repeat(40);
const line = (change: HeadChange) => `${JSON.stringify(change)}\n`;
const len = (text: string) => Buffer.byteLength(text);
const openFds = () => readdirSync('/proc/self/fd').length;

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

afterEach(() => {
  undoPatches();
  headLogTestHooks.afterAppend = undefined;
  headLogTestHooks.beforeWrite = undefined;
});

describe('head log reads', () => {
  it('a line longer than MAX_LINE_BYTES is skipped and counted, and the lines around it are read', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const after = line({ name: 'a.pl', old: h('1'), new: h('2') });
      fs.appendFileSync(file, `${'x'.repeat(MAX_LINE_BYTES + 1)}\n${after}`);
      const size = statSync(file).size;
      expect(await log.readFrom(at)).toEqual({ epoch: at.epoch, offset: size, reset: false, skipped: 1, events: [{ name: 'a.pl', old: h('1'), new: h('2') }] });
      const seen: HeadChange[] = [];
      expect(await log.scan(at, (change) => seen.push(change), { stopAtNul: true })).toEqual({ epoch: at.epoch, offset: size, reset: false, skipped: 1, stoppedAtNul: false });
      expect(seen).toEqual([{ name: 'a.pl', old: h('1'), new: h('2') }]);
    });
  });
});

describe('head log appends', () => {
  it('an fstat failure right after opening the log to append is that error, and the file is closed again', async () => {
    await withLog(async (log, file, other) => {
      const at = await other.withLock(() => other.create([{ name: 'a.pl', head: h('1') }]));
      const base = openFds();
      await expect(log.withLock(async () => {
        // The append opens the log (nothing kept yet) and looks at its size first.
        patch('fstatSync', () => (() => {
          undoPatches();
          throw errno('EIO');
        }) as unknown as typeof fs.fstatSync);
        return log.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]);
      })).rejects.toMatchObject({ code: 'EIO', message: 'EIO: injected' });
      expect(openFds()).toBe(base);
      expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
    });
  });

  it('an append refused on the kept file (a stale position) closes it for good: later reads open the log again', async () => {
    await withLog(async (log) => {
      const start = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const mine = await log.withLock(() => log.append(start, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      const base = openFds();
      // The kept file is still the log at the path, but `start` lies before a complete line.
      await expect(log.withLock(() => log.append(start, [{ name: 'b.pl', old: null, new: h('3') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
      expect(openFds()).toBe(base - 1);
      expect(await log.readFrom(start)).toEqual({ epoch: start.epoch, offset: mine.offset, reset: false, skipped: 0, events: [{ name: 'a.pl', old: h('1'), new: h('2') }] });
      const next = await log.withLock(() => log.append(mine, [{ name: 'b.pl', old: null, new: h('3') }]));
      expect(next).toEqual({ epoch: start.epoch, offset: mine.offset + len(line({ name: 'b.pl', old: null, new: h('3') })), alone: true });
    });
  });

  it('a log that cannot be opened for the read back (not missing: EIO) fails the append with that error, not LOCK_TIMEOUT', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      headLogTestHooks.beforeWrite = () => {
        headLogTestHooks.beforeWrite = undefined;
        // Another writer's line lands first: the append has to read the log back.
        fs.appendFileSync(file, line({ name: 'b.pl', old: null, new: h('5') }));
      };
      headLogTestHooks.afterAppend = () => {
        headLogTestHooks.afterAppend = undefined;
        patch('openSync', (original) => ((target: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
          if (target === file && flags === 'r') throw errno('EIO');
          return original(target, flags ?? 'r', mode);
        }) as typeof original);
      };
      await expect(log.withLock(() => log.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]))).rejects.toMatchObject({ code: 'EIO', message: 'EIO: injected' });
    });
  });

  it('a compaction linking our epoch, over a written file rewritten in place with another epoch: nothing counts', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      headLogTestHooks.afterAppend = () => {
        headLogTestHooks.afterAppend = undefined;
        const old = readFileSync(file, 'utf8');
        expect(old.includes(at.epoch)).toBe(true);
        // The file written to, rewritten in place (same inode, same length) as another epoch's log.
        writeFileSync(file, old.replace(at.epoch, 'f'.repeat(at.epoch.length)));
        // Then a compacted log linking our epoch takes the path, with our line copied.
        const snapshot = line({ name: 'a.pl', old: null, new: h('1') });
        const tail = old.slice(at.offset);
        const headerOf = (s: number) => `${JSON.stringify({ epoch: 'compacted', created: 1, compacted: [{ epoch: at.epoch, offset: at.offset, end: len(old), start: s }] })}\n`;
        let start = 0;
        while (start !== len(headerOf(start)) + len(snapshot)) start = len(headerOf(start)) + len(snapshot);
        writeFileSync(`${file}.new`, headerOf(start) + snapshot + tail);
        renameSync(`${file}.new`, file);
      };
      await expect(log.withLock(() => log.appendEach(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
    });
  });
});

describe('head log initialize and the kept file', () => {
  it('initialize on a log with an epoch answers false without taking the lock (another holds it)', async () => {
    await withLog(async (log, _file, other) => {
      await other.withLock(() => other.create([{ name: 'a.pl', head: h('1') }]));
      let release!: () => void;
      let held!: () => void;
      const holding = new Promise<void>((resolve) => (held = resolve));
      const holder = other.withLock(() => new Promise<void>((resolve) => {
        release = resolve;
        held();
      }));
      await holding;
      let rebuilt = 0;
      try {
        await expect(log.initialize(async () => {
          rebuilt++;
          return [];
        })).resolves.toBe(false);
      } finally {
        release();
        await holder;
      }
      expect(rebuilt).toBe(0);
    }, { timeoutMs: 20 });
  });

  it('a kept file rewritten in place with another epoch (same size, same inode) is read as the new log', async () => {
    await withLog(async (log, file) => {
      const start = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const mine = await log.withLock(() => log.append(start, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      const kept = statSync(file);
      const text = readFileSync(file, 'utf8');
      const epoch = 'e'.repeat(start.epoch.length);
      // Rewrite until the change time moved (it does at once where ctimes are fine-grained).
      do writeFileSync(file, text.replace(start.epoch, epoch));
      while (statSync(file).ctimeMs === kept.ctimeMs);
      expect(statSync(file)).toMatchObject({ ino: kept.ino, size: kept.size });
      expect(await log.readFrom(mine)).toEqual({
        epoch, offset: mine.offset, reset: true, skipped: 0,
        events: [{ name: 'a.pl', old: null, new: h('1') }, { name: 'a.pl', old: h('1'), new: h('2') }],
      });
    });
  });
});

describe('head log kept file, opened once', () => {
  it("a writer's next append and its own read go to the file its last append kept open: the log is not opened again", async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const first = await log.withLock(() => log.appendEach(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      const opened: string[] = [];
      patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
        if (String(target) === file) opened.push(String(target));
        return (original as (...a: unknown[]) => number)(target, ...rest);
      }) as typeof fs.openSync);
      const second = await log.withLock(() => log.appendEach(first, [{ name: 'a.pl', old: h('2'), new: h('3') }]));
      expect(second).toEqual({ epoch: at.epoch, offset: len(readFileSync(file, 'utf8')), alone: true, applied: [true], headsAt: [h('2')] });
      expect(readFileSync(file, 'utf8').slice(first.offset)).toBe(line({ name: 'a.pl', old: h('2'), new: h('3') }));
      // The writer's own read (no epoch asked for) reads the kept file too.
      expect(await log.readFrom(first)).toEqual({ epoch: at.epoch, offset: second.offset, reset: false, skipped: 0, events: [{ name: 'a.pl', old: h('2'), new: h('3') }] });
      expect(opened).toEqual([]);
    });
  });
});

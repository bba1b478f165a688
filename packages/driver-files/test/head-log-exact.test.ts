import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import fsPromises, { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HeadChange } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { HeadLog, HeadLogMovedError } from '@gitty/driver-files';
import { headLogTestHooks } from '../src/test-hooks.js';
import { withLog } from './support/head-log-pair.js';
import { noSpace, recordFs } from './recording-fs.js';

const h = (digit: string) => digit.repeat(40);
const line = (change: HeadChange) => `${JSON.stringify(change)}\n`;
const len = (text: string) => Buffer.byteLength(text);

afterEach(() => {
  vi.useRealTimers();
});

describe('head log, exactly', () => {
  it('no log: exists false, size 0, readFrom and scan undefined, readEpoch undefined', async () => {
    await withLog(async (log) => {
      expect(await log.exists()).toBe(false);
      expect(await log.size()).toBe(0);
      expect(await log.readFrom()).toBeUndefined();
      expect(await log.scan(undefined, () => undefined)).toBeUndefined();
      expect(await log.readEpoch()).toBeUndefined();
      expect(log.strict).toBe(true);
    });
  });

  it('create writes the epoch line and one creation per head, and returns its end; replacing leaves no temp file', async () => {
    await withLog(async (log, file) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1234);
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }, { name: 'b.pl', head: h('2') }]));
      const text = readFileSync(file, 'utf8');
      expect(at.epoch).toMatch(/^[0-9a-f]{16}$/);
      expect(text).toBe(`{"epoch":"${at.epoch}","created":1234}\n${line({ name: 'a.pl', old: null, new: h('1') })}${line({ name: 'b.pl', old: null, new: h('2') })}`);
      expect(at.offset).toBe(len(text));
      expect(await log.exists()).toBe(true);
      expect(await log.size()).toBe(len(text));
      expect(await log.readEpoch()).toBe(at.epoch);
      const again = await log.withLock(() => log.create([]));
      expect(again.epoch).not.toBe(at.epoch);
      expect(readdirSync(path.dirname(file))).toEqual(['head']);
    });
  });

  it('a deletion line says who wrote it: "<host>-<pid>-<random>-<count>", counting up', async () => {
    await withLog(async (log, file) => {
      let at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }, { name: 'b.pl', head: h('2') }]));
      at = await log.withLock(() => log.append(at, [{ name: 'a.pl', old: h('1'), new: null }]));
      await log.withLock(() => log.append(at, [{ name: 'b.pl', old: h('2'), new: null }]));
      const lines = readFileSync(file, 'utf8').trim().split('\n').slice(3).map((l) => JSON.parse(l) as { by: string });
      const tag = new RegExp(`^${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-[0-9a-f]{12}-(\\d+)$`);
      const [first, second] = lines.map((l) => Number(tag.exec(l.by)?.[1]));
      expect(lines[0]).toEqual({ name: 'a.pl', old: h('1'), new: null, by: lines[0]!.by });
      expect(second).toBe(first! + 1);
    });
  });

  it('resumes at any place from right after the epoch line to the end; before it or past the end it starts over', async () => {
    await withLog(async (log, file) => {
      const empty = await log.withLock(() => log.create([]));
      const one = line({ name: 'a.pl', old: null, new: h('1') });
      appendFileSync(file, `${one}\n${line({ name: 'a.pl', old: h('1'), new: h('2') })}`);
      const size = len(readFileSync(file, 'utf8'));
      expect(await log.readFrom({ epoch: empty.epoch, offset: empty.offset })).toMatchObject({ reset: false, offset: size, skipped: 0, events: [{ new: h('1') }, { new: h('2') }] });
      expect(await log.readFrom({ epoch: empty.epoch, offset: empty.offset - 1 })).toMatchObject({ reset: true, offset: size, events: [{ new: h('1') }, { new: h('2') }] });
      expect(await log.readFrom({ epoch: empty.epoch, offset: size })).toEqual({ epoch: empty.epoch, offset: size, reset: false, skipped: 0, events: [] });
      expect(await log.readFrom({ epoch: empty.epoch, offset: size + 1 })).toMatchObject({ reset: true, offset: size });
      // A blank line is no event and not counted as skipped.
      expect(await log.readFrom({ epoch: empty.epoch, offset: empty.offset + len(one) })).toMatchObject({ reset: false, skipped: 0, events: [{ new: h('2') }] });
    });
  });

  it('a reader positioned in a replaced log (new epoch, not a compaction of its own) starts over, even where the new log is longer', async () => {
    await withLog(async (log, _file, other) => {
      const first = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const at = await log.withLock(() => log.append(first, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      // Another process writes a new log (its own epoch) under the reader, longer than where it stands.
      await other.withLock(() => other.create(['b', 'c', 'd', 'e'].map((n, i) => ({ name: `${n}.pl`, head: h(String(i + 3)) }))));
      const read = (await log.readFrom(at))!;
      expect(read.reset).toBe(true);
      expect(read.events.map((e) => e.name)).toEqual(['b.pl', 'c.pl', 'd.pl', 'e.pl']);
      const seen: HeadChange[] = [];
      let started: boolean | undefined;
      const scanned = (await log.scan(at, (e) => seen.push(e), { onStart: (r) => (started = r) }))!;
      expect(scanned.reset).toBe(true);
      expect(started).toBe(true);
      expect(seen).toHaveLength(4);
      // The writer that appended last does not trust its kept file either: it appends nothing at its old place.
      await expect(log.withLock(() => log.append(at, [{ name: 'a.pl', old: h('2'), new: h('3') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
    });
  });

  it('a writer\'s kept file is not trusted once another writer appended, rewrote in place or replaced the log', async () => {
    await withLog(async (log, file, other) => {
      const start = await log.withLock(() => log.create([]));
      const mine = await log.withLock(() => log.append(start, [{ name: 'a.pl', old: null, new: h('1') }]));
      // Another writer appends: the first writer's next read sees it.
      const theirs = await other.withLock(async () => other.append((await other.readFrom(mine))!, [{ name: 'b.pl', old: null, new: h('2') }]));
      expect(await log.readFrom(mine)).toMatchObject({ reset: false, offset: theirs.offset, events: [{ name: 'b.pl' }] });
      // The first writer appends again after it, then the file is rewritten in place, same size and inode.
      const again = await log.withLock(() => log.append(theirs, [{ name: 'c.pl', old: null, new: h('3') }]));
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace(h('3'), h('4')));
      expect(await log.readFrom(theirs)).toMatchObject({ reset: false, events: [{ name: 'c.pl', new: h('4') }] });
      expect(again.offset).toBe(len(text));
    });
  });

  it('stopAtNul stops before a line holding NUL bytes and says where; without it the line is skipped', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([]));
      const one = line({ name: 'a.pl', old: null, new: h('1') });
      appendFileSync(file, Buffer.concat([Buffer.from(one), Buffer.from([0x7b, 0, 0, 0x0a]), Buffer.from(line({ name: 'b.pl', old: null, new: h('2') }))]));
      const seen: HeadChange[] = [];
      expect(await log.scan(at, (e) => seen.push(e), { stopAtNul: true })).toEqual({ epoch: at.epoch, offset: at.offset + len(one), reset: false, skipped: 0, stoppedAtNul: true });
      expect(seen.map((e) => e.name)).toEqual(['a.pl']);
      expect(await log.scan(undefined, () => undefined, { stopAtNul: true })).toMatchObject({ offset: at.offset + len(one), reset: true, stoppedAtNul: true });
      const all: HeadChange[] = [];
      expect(await log.scan(at, (e) => all.push(e))).toMatchObject({ skipped: 1, stoppedAtNul: false });
      expect(all.map((e) => e.name)).toEqual(['a.pl', 'b.pl']);
    });
  });

  it('an epoch line longer than 4096 bytes is no epoch line', async () => {
    await withLog(async (log, file) => {
      await log.withLock(() => log.create([]));
      writeFileSync(file, `{"epoch":"x","pad":"${'p'.repeat(4100)}"}\n${line({ name: 'a.pl', old: null, new: h('1') })}`);
      expect(await log.readEpoch()).toBe('');
      expect(await log.scan(undefined, () => undefined)).toEqual({ epoch: '', offset: 0, reset: true, skipped: 0, stoppedAtNul: false });
      writeFileSync(file, `{"epoch":"x","pad":"${'p'.repeat(4000)}"}\n`);
      expect(await log.readEpoch()).toBe('x');
    });
  });
});

describe('head log appends, exactly', () => {
  it('an empty append changes nothing and answers alone', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([]));
      expect(await log.appendEach(at, [])).toEqual({ ...at, alone: true, applied: [], headsAt: [] });
      expect(await log.append(at, [])).toEqual({ ...at, alone: true });
      expect(await log.size()).toBe(len(readFileSync(file, 'utf8')));
    });
  });

  it('an append to a missing log at the "no log" position starts a log; at another position it is LOCK_TIMEOUT with the exact message', async () => {
    await withLog(async (log, file) => {
      const done = await log.withLock(() => log.append({ epoch: '', offset: 0 }, [{ name: 'a.pl', old: null, new: h('1') }]));
      const text = readFileSync(file, 'utf8');
      expect(done).toEqual({ epoch: (await log.readEpoch())!, offset: len(text), alone: true });
      expect(text.endsWith(line({ name: 'a.pl', old: null, new: h('1') }))).toBe(true);
      log.close();
      await rm(file);
      const error = await log.withLock(() => log.append({ epoch: done.epoch, offset: done.offset }, [{ name: 'a.pl', old: h('1'), new: h('2') }])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HeadLogMovedError);
      expect(error).toMatchObject({
        code: 'LOCK_TIMEOUT', file,
        message: `The head log ${file} changed under its lock (the lock was lost after a stall longer than lockStale, or the log was replaced); nothing was acknowledged, retry`,
      });
      await expect(log.withLock(() => log.append({ epoch: '', offset: 5 }, [{ name: 'a.pl', old: null, new: h('1') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
      expect(await log.exists()).toBe(false);
    });
  });

  it('an append at a position of another epoch, before the log\'s end or past it is refused and writes nothing', async () => {
    await withLog(async (log, file, other) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const change = [{ name: 'a.pl', old: h('1'), new: h('2') }];
      const size = () => len(readFileSync(file, 'utf8'));
      const before = size();
      await expect(other.withLock(() => other.append({ epoch: 'ffff', offset: at.offset }, change))).rejects.toBeInstanceOf(HeadLogMovedError);
      await expect(other.withLock(() => other.append({ epoch: at.epoch, offset: at.offset + 1 }, change))).rejects.toBeInstanceOf(HeadLogMovedError);
      await expect(other.withLock(() => other.append({ epoch: at.epoch, offset: at.offset - 1 }, change))).rejects.toBeInstanceOf(HeadLogMovedError);
      expect(size()).toBe(before);
      // A position inside a last line without newline is fine: the line is ended as garbage first.
      appendFileSync(file, '{"name":"a.pl"');
      const done = await other.withLock(() => other.append(at, change));
      expect(readFileSync(file, 'utf8').slice(at.offset)).toBe(`{"name":"a.pl" #torn\n${line(change[0]!)}`);
      expect(done).toEqual({ epoch: at.epoch, offset: size(), alone: true });
    });
  });

  it('append refuses with NOT_AT_HEAD naming the head a line of another writer set first', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      headLogTestHooks.beforeWrite = () => {
        headLogTestHooks.beforeWrite = undefined;
        appendFileSync(file, line({ name: 'a.pl', old: h('1'), new: h('5') }));
      };
      try {
        const landed = await log.withLock(() => log.appendEach(at, [{ name: 'a.pl', old: h('1'), new: h('2') }, { name: 'b.pl', old: null, new: h('3') }]));
        expect(landed).toEqual({ epoch: at.epoch, offset: len(readFileSync(file, 'utf8')), alone: false, applied: [false, true], headsAt: [h('5'), null] });
      } finally {
        headLogTestHooks.beforeWrite = undefined;
      }
    });
  });
});

describe('head log initialize and replace', () => {
  it('initialize writes a log only when there is none or it has no epoch line, keeping a damaged one aside', async () => {
    await withLog(async (log, file) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(777);
      expect(await log.initialize(async () => [{ name: 'a.pl', head: h('1') }])).toBe(true);
      const text = readFileSync(file, 'utf8');
      expect(await log.initialize(async () => [{ name: 'z.pl', head: h('9') }])).toBe(false);
      expect(readFileSync(file, 'utf8')).toBe(text);
      await writeFile(file, 'damaged\n');
      expect(await log.initialize(async () => [{ name: 'b.pl', head: h('2') }])).toBe(true);
      expect(readdirSync(path.dirname(file)).sort()).toEqual(['head', 'head.broken-777']);
      expect(readFileSync(`${file}.broken-777`, 'utf8')).toBe('damaged\n');
      expect((await log.readFrom())!.events).toEqual([{ name: 'b.pl', old: null, new: h('2') }]);
      // replace keeps a log that has an epoch out of the way (it is simply replaced).
      vi.setSystemTime(888);
      await log.withLock(() => log.replace(async () => []));
      expect(readdirSync(path.dirname(file)).sort()).toEqual(['head', 'head.broken-777']);
    });
  });

  it('a log whose first line parses but names no epoch string is not trusted by scan and read whole by readFrom', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      for (const first of ['null', '{"epoch":null}', '[]', '"x"']) {
        await writeFile(file, `${first}\n${line({ name: 'a.pl', old: null, new: h('1') })}`);
        expect(await log.readEpoch(), first).toBe('');
        expect(await log.scan(undefined, () => undefined), first).toEqual({ epoch: '', offset: 0, reset: true, skipped: 0, stoppedAtNul: false });
        expect(await log.readFrom(), first).toMatchObject({ epoch: '', reset: true, skipped: 1, events: [{ name: 'a.pl' }] });
      }
    });
  });
});

describe('head log flushes (recorded fs calls)', () => {
  it('appends are flushed by default and not with durability none; a failed flush takes the lines back and is STORAGE_FULL', async () => {
    const { dir, remove } = await tempDir('gitty-log-flush-');
    const file = path.join(dir, 'ref', 'head');
    const recorder = recordFs();
    try {
      const plain = new HeadLog(file);
      const at = await plain.withLock(() => plain.create([]));
      recorder.events.length = 0;
      const next = await plain.withLock(() => plain.append(at, [{ name: 'a.pl', old: null, new: h('1') }]));
      expect(recorder.events.filter((e) => e.op === 'fsync')).toEqual([{ op: 'fsync', path: file }]);
      plain.close();
      const quiet = new HeadLog(file, { durability: 'none' });
      recorder.events.length = 0;
      const after = await quiet.withLock(() => quiet.append(next, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      expect(recorder.events.filter((e) => e.op === 'fsync')).toEqual([]);
      quiet.close();
      const flushing = new HeadLog(file, { durability: 'fsync' });
      const size = readFileSync(file).length;
      recorder.fault = (p) => (p === file ? noSpace(p) : undefined);
      await expect(flushing.withLock(() => flushing.append(after, [{ name: 'a.pl', old: h('2'), new: h('3') }]))).rejects.toMatchObject({ code: 'STORAGE_FULL' });
      expect(readFileSync(file).length).toBe(size);
      flushing.close();
    } finally {
      recorder.restore();
      await remove();
    }
  });
});

describe('head log edges the mutation run found', () => {
  it('a whole read counts void lines (replay rule) among the skipped ones; a line of spaces is no line', async () => {
    await withLog(async (log, file) => {
      await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      appendFileSync(file, `${line({ name: 'a.pl', old: h('7'), new: h('8') })}   \ngarbage\n`);
      expect(await log.readFrom()).toMatchObject({ reset: true, skipped: 2, events: [{ name: 'a.pl', old: null, new: h('1') }] });
    });
  });

  it('a log that cannot be opened for another reason than being missing fails the read (ELOOP)', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      symlinkSync(file, file);
      await expect(log.readFrom()).rejects.toMatchObject({ code: 'ELOOP' });
      await expect(log.readEpoch()).rejects.toMatchObject({ code: 'ELOOP' });
      await expect(log.scan(undefined, () => undefined)).rejects.toMatchObject({ code: 'ELOOP' });
    });
  });

  it('an append alone reports each change applied at the head it expected', async () => {
    await withLog(async (log) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const landed = await log.withLock(() => log.appendEach(at, [{ name: 'a.pl', old: h('1'), new: h('2') }, { name: 'b.pl', old: null, new: h('3') }]));
      expect(landed).toMatchObject({ alone: true, applied: [true, true], headsAt: [h('1'), null] });
    });
  });

  it('a log removed or replaced right after the write is LOCK_TIMEOUT: nothing acknowledged', async () => {
    await withLog(async (log, file, other) => {
      let at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      headLogTestHooks.afterAppend = () => {
        headLogTestHooks.afterAppend = undefined;
        rmSync(file);
      };
      try {
        await expect(log.withLock(() => log.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
        at = await other.withLock(() => other.create([{ name: 'a.pl', head: h('1') }]));
        headLogTestHooks.afterAppend = () => {
          headLogTestHooks.afterAppend = undefined;
          const text = readFileSync(file);
          writeFileSync(`${file}.new`, text);
          renameSync(`${file}.new`, file);
        };
        // A copy of the same bytes (same size, another inode, another epoch's header would be needed to follow) is not the file written.
        await expect(log.withLock(() => log.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]))).resolves.toMatchObject({ alone: false });
      } finally {
        headLogTestHooks.afterAppend = undefined;
      }
    });
  });

  it('after a lost lock, the caller\'s heads decide; without them the log before the position is replayed (void and garbage lines ignored)', async () => {
    await withLog(async (log, file) => {
      const start = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      appendFileSync(file, `garbage\n${line({ name: 'a.pl', old: h('7'), new: h('8') })}`);
      const at = { epoch: start.epoch, offset: readFileSync(file).length };
      const sneak = (text: string) => {
        headLogTestHooks.beforeWrite = () => {
          headLogTestHooks.beforeWrite = undefined;
          appendFileSync(file, text);
        };
      };
      try {
        // Garbage and another name's line land first: ours applies (replayed head 1, the void 7→8 ignored).
        sneak(`garbage\n${line({ name: 'b.pl', old: null, new: h('5') })}`);
        const landed = await log.withLock(() => log.appendEach(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
        expect(landed).toMatchObject({ alone: false, applied: [true], headsAt: [h('1')] });
        // With the caller's heads (here claiming 9), those decide.
        const next = { epoch: start.epoch, offset: landed.offset };
        sneak(line({ name: 'b.pl', old: h('5'), new: h('6') }));
        const judged = await log.withLock(() => log.appendEach(next, [{ name: 'a.pl', old: h('2'), new: h('3') }], () => h('9')));
        expect(judged).toMatchObject({ alone: false, applied: [false], headsAt: [h('9')] });
      } finally {
        headLogTestHooks.beforeWrite = undefined;
      }
    });
  });

  it('a compaction that copied our line right after the write: the append counts, read from the file written', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      headLogTestHooks.afterAppend = () => {
        headLogTestHooks.afterAppend = undefined;
        const old = readFileSync(file);
        const tail = old.subarray(at.offset);
        const snapshot = line({ name: 'a.pl', old: null, new: h('1') });
        let start = 0;
        const headerOf = (s: number) => `${JSON.stringify({ epoch: 'compacted', created: 1, compacted: [{ epoch: at.epoch, offset: at.offset, end: old.length, start: s }] })}\n`;
        while (start !== len(headerOf(start)) + len(snapshot)) start = len(headerOf(start)) + len(snapshot);
        writeFileSync(`${file}.new`, Buffer.concat([Buffer.from(headerOf(start) + snapshot), tail]));
        renameSync(`${file}.new`, file);
      };
      try {
        const landed = await log.withLock(() => log.appendEach(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
        expect(landed).toMatchObject({ epoch: at.epoch, alone: false, applied: [true], headsAt: [h('1')] });
        // A new log that links no compaction of our epoch: nothing counts.
        const again = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
        headLogTestHooks.afterAppend = () => {
          headLogTestHooks.afterAppend = undefined;
          writeFileSync(`${file}.new`, `${JSON.stringify({ epoch: 'other', created: 1 })}\n${readFileSync(file, 'utf8').split('\n').slice(1).join('\n')}`);
          renameSync(`${file}.new`, file);
        };
        await expect(log.withLock(() => log.appendEach(again, [{ name: 'a.pl', old: h('1'), new: h('2') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
      } finally {
        headLogTestHooks.afterAppend = undefined;
      }
    });
  });

  it('reads, appends, rebuilds and close leave no file descriptor open (beyond the one kept for the next append)', async () => {
    const open = () => readdirSync('/proc/self/fd').length;
    await withLog(async (log, file, other) => {
      const base = open();
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      expect(open()).toBe(base);
      await log.readFrom();
      await log.readEpoch();
      await log.scan(at, () => undefined);
      expect(open()).toBe(base);
      const next = await log.withLock(() => log.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      expect(open()).toBe(base + 1);
      await log.readFrom(next);
      expect(open()).toBe(base + 1);
      log.close();
      expect(open()).toBe(base);
      // A refused append closes what it opened.
      await expect(other.withLock(() => other.append({ epoch: at.epoch, offset: 3 }, [{ name: 'b.pl', old: null, new: h('3') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
      expect(open()).toBe(base);
      // A lost-lock append does not keep its file.
      headLogTestHooks.beforeWrite = () => {
        headLogTestHooks.beforeWrite = undefined;
        appendFileSync(file, line({ name: 'c.pl', old: null, new: h('4') }));
      };
      try {
        const read = (await other.readFrom())!;
        await other.withLock(() => other.append(read, [{ name: 'b.pl', old: null, new: h('3') }]));
      } finally {
        headLogTestHooks.beforeWrite = undefined;
      }
      expect(open()).toBe(base);
      await other.withLock(() => other.replace(async () => []));
      expect(open()).toBe(base);
      other.close();
      expect(open()).toBe(base);
    });
  });
});

describe('head log edges, second round', () => {
  it('a skipped line in a retired segment counts, and following a compaction leaves no descriptor open', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      appendFileSync(file, `garbage\n${line({ name: 'a.pl', old: h('1'), new: h('2') })}`);
      const old = readFileSync(file);
      const snapshot = line({ name: 'a.pl', old: null, new: h('2') });
      let start = 0;
      const headerOf = (s: number) => `${JSON.stringify({ epoch: 'next', created: 1, compacted: [{ epoch: at.epoch, offset: old.length, end: old.length, start: s }] })}\n`;
      while (start !== len(headerOf(start)) + len(snapshot)) start = len(headerOf(start)) + len(snapshot);
      writeFileSync(`${file}.retired-${at.epoch}`, old);
      writeFileSync(file, headerOf(start) + snapshot);
      const fds = () => readdirSync('/proc/self/fd').length;
      const base = fds();
      const seen: HeadChange[] = [];
      expect(await log.scan(at, (e) => seen.push(e))).toEqual({ epoch: 'next', offset: start, reset: false, skipped: 1, stoppedAtNul: false });
      expect(seen).toEqual([{ name: 'a.pl', old: h('1'), new: h('2') }]);
      expect(fds()).toBe(base);
    });
  });

  it('an append at another epoch is refused even while the writer keeps the log file open', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([]));
      const end = await log.withLock(() => log.append(at, [{ name: 'a.pl', old: null, new: h('1') }]));
      const size = readFileSync(file).length;
      await expect(log.withLock(() => log.append({ epoch: 'ffff', offset: end.offset }, [{ name: 'b.pl', old: null, new: h('2') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
      expect(readFileSync(file).length).toBe(size);
    });
  });

  it('an empty append after a torn line writes nothing', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([]));
      appendFileSync(file, '{"torn"');
      const text = readFileSync(file, 'utf8');
      expect(await log.appendEach(at, [])).toEqual({ ...at, alone: true, applied: [], headsAt: [] });
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  });

  it('appending to a missing log: only the "no log" position starts one, holding just the epoch line and the change', async () => {
    await withLog(async (log, file) => {
      await expect(log.withLock(() => log.append({ epoch: 'x', offset: 0 }, [{ name: 'a.pl', old: null, new: h('1') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
      expect(await log.exists()).toBe(false);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(42);
      const done = await log.withLock(() => log.append({ epoch: '', offset: 0 }, [{ name: 'a.pl', old: null, new: h('1') }]));
      expect(readFileSync(file, 'utf8')).toBe(`{"epoch":"${done.epoch}","created":42}\n${line({ name: 'a.pl', old: null, new: h('1') })}`);
    });
  });

  it('appending to a log that cannot be opened (ELOOP) fails with that error', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      symlinkSync(file, file);
      await expect(log.withLock(() => log.append({ epoch: 'x', offset: 5 }, [{ name: 'a.pl', old: null, new: h('1') }]))).rejects.toMatchObject({ code: 'ELOOP' });
    });
  });

  it('a failed create removes its temp file and reports the error', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.join(file, 'occupied'), { recursive: true });
      await expect(log.create([{ name: 'a.pl', head: h('1') }])).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
      expect(readdirSync(path.dirname(file))).toEqual(['head']);
    });
  });

  it('of two processes initializing a missing log at once, exactly one writes it', async () => {
    await withLog(async (log, file, other) => {
      const results = await Promise.all([
        log.initialize(async () => [{ name: 'a.pl', head: h('1') }]),
        other.initialize(async () => [{ name: 'b.pl', head: h('2') }]),
      ]);
      expect([...results].sort()).toEqual([false, true]);
      const read = (await log.readFrom())!;
      expect(read.events).toHaveLength(1);
      expect(readdirSync(path.dirname(file))).toEqual(['head']);
    });
  });

  it('a first line without its newline is no epoch line', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '{"epoch":"x"} ');
      expect(await log.readEpoch()).toBe('');
    });
  });

  it('create flushes the new log and its folder with fsync durability, and not without', async () => {
    const { dir, remove } = await tempDir('gitty-log-sync-');
    const probe = await fsPromises.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const original = proto.sync;
    let syncs = 0;
    proto.sync = function sync(this: unknown) {
      syncs++;
      return original.call(this);
    };
    try {
      const durable = new HeadLog(path.join(dir, 'ref', 'head'));
      await durable.withLock(() => durable.create([]));
      const made = syncs;
      // The temp file, then the folder (and the folder's parent when ref/ had to be made).
      expect(made).toBeGreaterThanOrEqual(2);
      syncs = 0;
      await durable.withLock(() => durable.create([]));
      expect(syncs).toBe(2);
      syncs = 0;
      const quick = new HeadLog(path.join(dir, 'ref', 'head'), { durability: 'none' });
      await quick.withLock(() => quick.create([]));
      expect(syncs).toBe(0);
      durable.close();
      quick.close();
    } finally {
      proto.sync = original;
      await remove();
    }
  });

  it('a failed flush leaves the file alone when another writer appended after our lines', async () => {
    const { dir, remove } = await tempDir('gitty-log-flush2-');
    const file = path.join(dir, 'ref', 'head');
    const recorder = recordFs();
    try {
      const log = new HeadLog(file, { durability: 'fsync' });
      const at = await log.withLock(() => log.create([]));
      const theirs = line({ name: 'b.pl', old: null, new: h('2') });
      recorder.fault = (p) => {
        if (p !== file) return undefined;
        recorder.fault = undefined;
        appendFileSync(file, theirs);
        return noSpace(p);
      };
      await expect(log.withLock(() => log.append(at, [{ name: 'a.pl', old: null, new: h('1') }]))).rejects.toMatchObject({ code: 'STORAGE_FULL' });
      expect(readFileSync(file, 'utf8').slice(at.offset)).toBe(line({ name: 'a.pl', old: null, new: h('1') }) + theirs);
      log.close();
    } finally {
      recorder.restore();
      await remove();
    }
  });
});

describe('head log edges, third round', () => {
  it('readFrom reads past a line of NUL bytes (skipped), it does not stop there', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([]));
      appendFileSync(file, Buffer.concat([Buffer.from([0, 0, 0x0a]), Buffer.from(line({ name: 'b.pl', old: null, new: h('2') }))]));
      expect(await log.readFrom(at)).toEqual({ epoch: at.epoch, offset: readFileSync(file).length, reset: false, skipped: 1, events: [{ name: 'b.pl', old: null, new: h('2') }] });
    });
  });

  it('a log replaced right after the write by one without an epoch, or by a compaction of another epoch, is LOCK_TIMEOUT', async () => {
    await withLog(async (log, file) => {
      for (const replacement of [
        (text: string) => text.split('\n').slice(1).join('\n'),
        (text: string) => `${JSON.stringify({ epoch: 'new', created: 1, compacted: [{ epoch: 'zzz', offset: 0, end: 100_000, start: 0 }] })}\n${text.split('\n').slice(1).join('\n')}`,
      ]) {
        const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
        headLogTestHooks.afterAppend = () => {
          headLogTestHooks.afterAppend = undefined;
          writeFileSync(`${file}.new`, replacement(readFileSync(file, 'utf8')));
          renameSync(`${file}.new`, file);
        };
        try {
          await expect(log.withLock(() => log.appendEach(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]))).rejects.toBeInstanceOf(HeadLogMovedError);
        } finally {
          headLogTestHooks.afterAppend = undefined;
        }
      }
    });
  });
});

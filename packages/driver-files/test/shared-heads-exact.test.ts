import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HeadChange, HeadEntry } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { appendFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { patch, undoPatches } from './support/patch-fs.js';
import { HeadLog, SharedHeads, type HeadLogPort, type RebuildOptions } from '@gitty/driver-files';
import { headLogTestHooks } from '../src/test-hooks.js';

const h = (digit: string) => digit.repeat(40);
const line = (change: HeadChange) => `${JSON.stringify(change)}\n`;

/** A head log in a temp folder, a second writer on the same file, and `use`; everything closed afterwards. */
async function withLog(use: (log: HeadLog, writer: HeadLog, file: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-shared-heads-');
  const file = path.join(dir, 'ref', 'head');
  const log = new HeadLog(file, { durability: 'none' });
  const writer = new HeadLog(file, { durability: 'none' });
  try {
    await use(log, writer, file);
  } finally {
    log.close();
    writer.close();
    await remove();
  }
}

let epochs = 0;
/** Replace the log at `file` with a new epoch holding `heads` (what another process's rebuild does), synchronously. */
function writeFileSyncLog(file: string, heads: HeadEntry[]): void {
  const text = `${JSON.stringify({ epoch: `e${++epochs}`, created: 1 })}\n${heads.map(({ name, head }) => line({ name, old: null, new: head })).join('')}`;
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
}

/** A SharedHeads that never polls or watches on its own (reads only when told). */
function quiet(log: HeadLogPort, options: { pollInterval?: number; rebuild?: (o?: RebuildOptions) => Promise<Iterable<HeadEntry>>; groupCommit?: boolean } = {}): SharedHeads {
  return new SharedHeads(log, { pollInterval: options.pollInterval ?? 3_600_000, watchFile: false, ...options });
}

afterEach(() => {
  vi.useRealTimers();
  headLogTestHooks.beforeWrite = undefined;
  headLogTestHooks.beforeCheck = undefined;
});

/** Another writer's lines land between the next append's check and its write (a lost lock). */
function sneakIn(file: string, text: string): void {
  headLogTestHooks.beforeWrite = () => {
    headLogTestHooks.beforeWrite = undefined;
    appendFileSync(file, text);
  };
}

describe('SharedHeads lookups and the throttle', () => {
  it('a lookup reads the log again once pollInterval ms have passed since the last read, not before', async () => {
    await withLog(async (log, writer) => {
      const at = await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_000_000);
      const heads = quiet(log, { pollInterval: 1000 });
      await heads.refresh();
      expect(heads.get('a.pl')).toBe(h('1'));
      await writer.withLock(() => writer.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      vi.setSystemTime(1_000_999);
      await heads.refresh();
      expect(heads.get('a.pl')).toBe(h('1'));
      vi.setSystemTime(1_001_000);
      await heads.refresh();
      expect(heads.get('a.pl')).toBe(h('2'));
      // force reads whatever the time.
      await writer.withLock(async () => {
        const read = (await writer.readFrom())!;
        return writer.append(read, [{ name: 'b.pl', old: null, new: h('3') }]);
      });
      await heads.refresh();
      expect(heads.get('b.pl')).toBeUndefined();
      await heads.refresh(true);
      expect(heads.get('b.pl')).toBe(h('3'));
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'b.pl', head: h('3') }]);
      expect(heads.size).toBe(2);
      await heads.close();
    });
  });

  it('logPosition is undefined before the first read, then a copy of where the read ended', async () => {
    await withLog(async (log, writer, file) => {
      const at = await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      expect(heads.logPosition).toBeUndefined();
      await heads.refresh(true);
      const position = heads.logPosition!;
      expect(position).toEqual(at);
      position.offset = 0;
      expect(heads.logPosition).toEqual({ epoch: at.epoch, offset: (await readFile(file)).length });
      await heads.close();
    });
  });
});

describe('SharedHeads compareAndSwap', () => {
  it('NOT_AT_HEAD names the actual head and the expected one; a change to the same head appends nothing', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await expect(heads.compareAndSwap('a.pl', h('2'), h('3'))).rejects.toMatchObject({ code: 'NOT_AT_HEAD', fileName: 'a.pl', head: h('1'), expected: h('2') });
      await expect(heads.compareAndSwap('b.pl', h('2'), h('3'))).rejects.toMatchObject({ code: 'NOT_AT_HEAD', fileName: 'b.pl', head: null, expected: h('2') });
      const size = (await readFile(file)).length;
      await heads.compareAndSwap('a.pl', h('1'), h('1'));
      expect((await readFile(file)).length).toBe(size);
      await heads.compareAndSwap('a.pl', h('1'), h('4'));
      expect(heads.get('a.pl')).toBe(h('4'));
      expect(heads.logPosition).toEqual({ epoch: (await log.readEpoch())!, offset: (await readFile(file)).length });
      const text = await readFile(file, 'utf8');
      expect(text.slice(size)).toBe(line({ name: 'a.pl', old: h('1'), new: h('4') }));
      await heads.close();
    });
  });

  it('a CAS whose log vanished writes a new log from the rebuild, leaving out the commit it is about to acknowledge', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const asked: RebuildOptions[] = [];
      const heads = quiet(log, {
        rebuild: async (options) => {
          asked.push(options!);
          return [{ name: 'a.pl', head: h('1') }, { name: 'z.pl', head: h('9') }];
        },
      });
      await heads.refresh(true);
      await rm(file);
      await heads.compareAndSwap('a.pl', h('1'), h('2'));
      expect(asked).toEqual([{ ignore: new Set([h('2')]) }]);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'z.pl', head: h('9') }]);
      const reread = quiet(new HeadLog(file, { durability: 'none' }));
      await reread.refresh(true);
      expect(reread.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'z.pl', head: h('9') }]);
      // A deletion's next (null) is not ignored.
      await rm(file);
      await heads.compareAndSwap('a.pl', h('1'), null);
      expect(asked[1]).toEqual({ ignore: new Set() });
      await reread.close();
      await heads.close();
    });
  });

  it('without a rebuild, a CAS on a vanished log writes the heads it holds', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }, { name: 'b.pl', head: h('5') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      await rm(file);
      await heads.compareAndSwap('a.pl', h('1'), h('2'));
      const fresh = quiet(new HeadLog(file, { durability: 'none' }));
      await fresh.refresh(true);
      expect(fresh.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'b.pl', head: h('5') }]);
      await fresh.close();
      await heads.close();
    });
  });

  it('outside the lock a vanished log or one without an epoch leaves the heads as they are', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      await writeFile(file, line({ name: 'a.pl', old: null, new: h('7') }));
      await heads.refresh(true);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('1') }]);
      await rm(file);
      await heads.refresh(true);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('1') }]);
      await heads.close();
    });
  });

  it('an unlocked read of a missing log or one without an epoch writes no log and asks no rebuild', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const rebuilds: RebuildOptions[] = [];
      const heads = quiet(log, { rebuild: async (options) => { rebuilds.push(options!); return [{ name: 'b.pl', head: h('2') }]; } });
      await heads.refresh(true);
      const noEpoch = line({ name: 'a.pl', old: null, new: h('7') });
      await writeFile(file, noEpoch);
      await heads.refresh(true);
      expect(await readFile(file, 'utf8')).toBe(noEpoch);
      await rm(file);
      await heads.refresh(true);
      await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(rebuilds).toEqual([]);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('1') }]);
      await heads.close();
    });
  });

  it('compareAndSwapAll decides every request in order and appends the changes in one write', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      const size = (await readFile(file)).length;
      const outcomes = await heads.compareAndSwapAll([
        { name: 'a.pl', expected: h('1'), next: h('2') },
        { name: 'a.pl', expected: h('1'), next: h('3') },
        { name: 'b.pl', expected: null, next: h('4') },
        { name: 'a.pl', expected: h('2'), next: h('2') },
      ]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true]);
      expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'NOT_AT_HEAD', fileName: 'a.pl', head: h('2'), expected: h('1') } });
      expect((await readFile(file, 'utf8')).slice(size)).toBe(line({ name: 'a.pl', old: h('1'), new: h('2') }) + line({ name: 'b.pl', old: null, new: h('4') }));
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'b.pl', head: h('4') }]);
      // Nothing to change: no line.
      expect(await heads.compareAndSwapAll([{ name: 'a.pl', expected: h('2'), next: h('2') }])).toEqual([{ ok: true, value: undefined }]);
      expect((await readFile(file, 'utf8')).slice(size)).toBe(line({ name: 'a.pl', old: h('1'), new: h('2') }) + line({ name: 'b.pl', old: null, new: h('4') }));
      await heads.close();
    });
  });

  it('with group commit, concurrent CASes are decided in submission order and share one append', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log, { groupCommit: true });
      const size = (await readFile(file)).length;
      const results = await Promise.allSettled([
        heads.compareAndSwap('a.pl', h('1'), h('2')),
        heads.compareAndSwap('a.pl', h('1'), h('3')),
        heads.compareAndSwap('c.pl', null, h('5')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'NOT_AT_HEAD', head: h('2'), expected: h('1') });
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'c.pl', head: h('5') }]);
      expect((await readFile(file, 'utf8')).slice(size)).toBe(line({ name: 'a.pl', old: h('1'), new: h('2') }) + line({ name: 'c.pl', old: null, new: h('5') }));
      await heads.close();
    });
  });
});

describe('SharedHeads when another writer got in under a lost lock', () => {
  it('a CAS whose line still applies takes in the other line, reports it but not its own, and ends at the log\'s end', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }, { name: 'b.pl', head: h('5') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      const seen: HeadChange[] = [];
      heads.watch((c) => seen.push(c));
      sneakIn(file, line({ name: 'b.pl', old: h('5'), new: h('6') }));
      await heads.compareAndSwap('a.pl', h('1'), h('2'));
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'b.pl', head: h('6') }]);
      expect(seen).toEqual([{ name: 'b.pl', old: h('5'), new: h('6') }]);
      expect(heads.logPosition).toEqual({ epoch: (await log.readEpoch())!, offset: (await readFile(file)).length });
      await heads.close();
    });
  });

  it('a CAS whose line another change from the same head beat fails with NOT_AT_HEAD naming the winner, and holds the winner', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      sneakIn(file, line({ name: 'a.pl', old: h('1'), new: h('3') }));
      await expect(heads.compareAndSwap('a.pl', h('1'), h('2'))).rejects.toMatchObject({ code: 'NOT_AT_HEAD', fileName: 'a.pl', head: h('3'), expected: h('1') });
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('3') }]);
      expect(heads.logPosition).toEqual({ epoch: (await log.readEpoch())!, offset: (await readFile(file)).length });
      await heads.close();
    });
  });

  it('a CAS whose log was replaced under it reads the new log and decides again', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      let replaced = 0;
      headLogTestHooks.beforeCheck = () => {
        if (replaced++ > 0) return;
        // A rebuild by another process lands between this CAS's read and its append.
        writeFileSyncLog(file, [{ name: 'a.pl', head: h('1') }, { name: 'n.pl', head: h('7') }]);
      };
      await heads.compareAndSwap('a.pl', h('1'), h('2'));
      expect(replaced).toBe(2);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'n.pl', head: h('7') }]);
      const fresh = quiet(new HeadLog(file, { durability: 'none' }));
      await fresh.refresh(true);
      expect(fresh.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'n.pl', head: h('7') }]);
      await fresh.close();
      await heads.close();
    });
  });

  it('a batch whose lines met other writers\' lines learns each line\'s outcome from the log', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }, { name: 'b.pl', head: h('5') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      const seen: HeadChange[] = [];
      heads.watch((c) => seen.push(c));
      sneakIn(file, line({ name: 'b.pl', old: h('5'), new: h('6') }));
      const outcomes = await heads.compareAndSwapAll([
        { name: 'a.pl', expected: h('1'), next: h('2') },
        { name: 'b.pl', expected: h('5'), next: h('7') },
        { name: 'c.pl', expected: h('8'), next: h('9') },
      ]);
      expect(outcomes[0]).toEqual({ ok: true, value: undefined });
      expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'NOT_AT_HEAD', fileName: 'b.pl', head: h('6'), expected: h('5') } });
      expect(outcomes[2]).toMatchObject({ ok: false, error: { code: 'NOT_AT_HEAD', fileName: 'c.pl', head: null, expected: h('8') } });
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'b.pl', head: h('6') }]);
      expect(seen).toEqual([{ name: 'b.pl', old: h('5'), new: h('6') }]);
      expect(heads.logPosition).toEqual({ epoch: (await log.readEpoch())!, offset: (await readFile(file)).length });
      await heads.close();
    });
  });

  it('a batch whose log was replaced under it reads the new log and decides again', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      let replaced = 0;
      headLogTestHooks.beforeCheck = () => {
        if (replaced++ > 0) return;
        writeFileSyncLog(file, [{ name: 'a.pl', head: h('3') }]);
      };
      const outcomes = await heads.compareAndSwapAll([{ name: 'a.pl', expected: h('1'), next: h('2') }, { name: 'b.pl', expected: null, next: h('4') }]);
      expect(replaced).toBe(2);
      expect(outcomes[0]).toMatchObject({ ok: false, error: { code: 'NOT_AT_HEAD', head: h('3'), expected: h('1') } });
      expect(outcomes[1]).toEqual({ ok: true, value: undefined });
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('3') }, { name: 'b.pl', head: h('4') }]);
      await heads.close();
    });
  });

  it('a CAS gives up with LOCK_TIMEOUT after five attempts that each found the log replaced', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      let replaced = 0;
      headLogTestHooks.beforeCheck = () => {
        replaced++;
        writeFileSyncLog(file, [{ name: 'a.pl', head: h('1') }]);
      };
      await expect(heads.compareAndSwap('a.pl', h('1'), h('2'))).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(replaced).toBe(5);
      replaced = 0;
      await expect(heads.compareAndSwapAll([{ name: 'a.pl', expected: h('1'), next: h('2') }])).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(replaced).toBe(5);
      await heads.close();
    });
  });
});

describe('SharedHeads reading other writers\' lines', () => {
  it('a rebuilt log (new epoch) is reported as the difference: changed, added, then removed heads', async () => {
    await withLog(async (log, writer) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }, { name: 'b.pl', head: h('2') }, { name: 'k.pl', head: h('6') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      const seen: HeadChange[] = [];
      const stop = heads.watch((c) => seen.push(c));
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('3') }, { name: 'c.pl', head: h('4') }, { name: 'k.pl', head: h('6') }]));
      await heads.refresh(true);
      expect(seen).toEqual([
        { name: 'a.pl', old: h('1'), new: h('3') },
        { name: 'c.pl', old: null, new: h('4') },
        { name: 'b.pl', old: h('2'), new: null },
      ]);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('3') }, { name: 'c.pl', head: h('4') }, { name: 'k.pl', head: h('6') }]);
      stop();
      await heads.close();
    });
  });

  it('the first read reports nothing; a tail reports each line; own changes are not reported; a failing listener does not stop the others', async () => {
    await withLog(async (log, writer) => {
      const at = await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      const seen: HeadChange[] = [];
      heads.watch(() => {
        throw new Error('listener failed');
      });
      const stop = heads.watch((c) => seen.push(c));
      await heads.refresh(true);
      expect(seen).toEqual([]);
      const next = await writer.withLock(() => writer.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }, { name: 'b.pl', old: null, new: h('3') }]));
      await heads.refresh(true);
      expect(seen).toEqual([{ name: 'a.pl', old: h('1'), new: h('2') }, { name: 'b.pl', old: null, new: h('3') }]);
      await heads.compareAndSwap('b.pl', h('3'), null);
      await heads.refresh(true);
      expect(seen).toHaveLength(2);
      await writer.withLock(async () => writer.append((await writer.readFrom(next))!, [{ name: 'a.pl', old: h('2'), new: null }]));
      await heads.refresh(true);
      expect(seen).toEqual([{ name: 'a.pl', old: h('1'), new: h('2') }, { name: 'b.pl', old: null, new: h('3') }, { name: 'a.pl', old: h('2'), new: null }]);
      expect(heads.size).toBe(0);
      stop();
      await heads.close();
    });
  });

  it('a tail line that does not fit the heads held makes it read the whole log again and count the void lines', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      const seen: HeadChange[] = [];
      heads.watch((c) => seen.push(c));
      await heads.refresh(true);
      // A line from a head nobody had (void by the replay rule), then a valid one.
      await appendFile(file, line({ name: 'a.pl', old: h('5'), new: h('6') }) + line({ name: 'a.pl', old: h('1'), new: h('2') }));
      await heads.refresh(true);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }]);
      expect(heads.skippedLines).toBe(1);
      expect(seen).toEqual([{ name: 'a.pl', old: h('1'), new: h('2') }]);
      expect(heads.logPosition).toEqual({ epoch: (await log.readEpoch())!, offset: (await readFile(file)).length });
      await heads.close();
    });
  });

  it('a whole read applies the replay rule and counts void lines and garbage', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      await appendFile(file, `${line({ name: 'a.pl', old: null, new: h('5') })}garbage\n${line({ name: 'a.pl', old: h('1'), new: h('2') })}`);
      const heads = quiet(log);
      await heads.refresh(true);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }]);
      expect(heads.skippedLines).toBe(2);
      await heads.close();
    });
  });

  it('a line of NUL bytes is read again under the lock (nulRereads), where it is counted as garbage', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      await appendFile(file, Buffer.concat([Buffer.alloc(5), Buffer.from(`\n${line({ name: 'a.pl', old: h('1'), new: h('2') })}`)]));
      await heads.refresh(true);
      expect(heads.nulRereads).toBe(1);
      expect(heads.skippedLines).toBe(1);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }]);
      expect(heads.logPosition).toEqual({ epoch: (await log.readEpoch())!, offset: (await readFile(file)).length });
      await heads.close();
    });
  });

  it('polling reports another writer\'s change without a rescan; unsubscribing the last listener stops it', async () => {
    await withLog(async (log, writer) => {
      const at = await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = new SharedHeads(log, { pollInterval: 0, watchFile: false });
      await heads.refresh(true);
      const change = await new Promise<HeadChange>((resolve) => {
        const stop = heads.watch((c) => {
          stop();
          resolve(c);
        });
        void writer.withLock(() => writer.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      });
      expect(change).toEqual({ name: 'a.pl', old: h('1'), new: h('2') });
      await heads.close();
    });
  });

  it('fs.watch on the log\'s folder reports another writer\'s change while polling is rare', async () => {
    await withLog(async (log, writer) => {
      const at = await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = new SharedHeads(log, { pollInterval: 3_600_000, watchFile: true });
      await heads.refresh(true);
      const change = await new Promise<HeadChange>((resolve) => {
        heads.watch(resolve);
        void writer.withLock(() => writer.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      });
      expect(change).toEqual({ name: 'a.pl', old: h('1'), new: h('2') });
      await heads.close();
    });
  });
});

describe('SharedHeads over a log without streaming reads (SWISH\'s)', () => {
  it('reads with readFrom, lets the last line per name win, and CASes one by one', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const port: HeadLogPort = {
        file: log.file,
        readFrom: (from) => log.readFrom(from),
        withLock: (work) => log.withLock(work),
        create: (entries) => log.create(entries),
        append: async (at, changes) => {
          const { alone: _alone, ...rest } = await log.append(at, changes);
          return rest;
        },
      };
      const heads = quiet(port, { groupCommit: true });
      await heads.refresh(true);
      const outcomes = await heads.compareAndSwapAll([
        { name: 'a.pl', expected: h('1'), next: h('2') },
        { name: 'b.pl', expected: h('9'), next: h('3') },
      ]);
      expect(outcomes[0]).toEqual({ ok: true, value: undefined });
      expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'NOT_AT_HEAD', fileName: 'b.pl', head: null, expected: h('9') } });
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }]);
      // A line that is void by the replay rule still applies on a log without it.
      await appendFile(file, line({ name: 'a.pl', old: h('7'), new: h('8') }));
      await heads.refresh(true);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('8') }]);
      expect(heads.skippedLines).toBe(0);
      await heads.close();
    });
  });
});

/** A port over `log` with only the parts named (SWISH's log has none of scan, strict, appendEach); counts appends. */
function portOf(log: HeadLog, parts: { scan?: boolean; strict?: boolean; appendEach?: boolean }) {
  const calls = { append: 0, appendEach: 0 };
  const port: HeadLogPort = {
    file: log.file,
    readFrom: (from) => log.readFrom(from),
    withLock: (work) => log.withLock(work),
    create: (entries) => log.create(entries),
    append: async (at, changes) => {
      calls.append++;
      const { alone: _alone, ...rest } = await log.append(at, changes);
      return rest;
    },
    ...(parts.scan ? { scan: (from, visit, options) => log.scan(from, visit, options) } : {}),
    // HeadLog's type says strict is true or absent; SharedHeads tests `=== true`, so a false one must count as absent.
    ...(parts.strict !== undefined ? { strict: parts.strict as true } : {}),
    ...(parts.appendEach ? { appendEach: (at, changes, headAt) => {
      calls.appendEach++;
      return log.appendEach(at, changes, headAt);
    } } : {}),
  };
  return { port, calls };
}

describe('SharedHeads batches only over a log with scan, the replay rule and appendEach', () => {
  it('a port lacking any one of them takes compareAndSwapAll and group commit one by one through append', async () => {
    const partial = [
      { appendEach: true },
      { scan: true, strict: false, appendEach: true },
      { scan: true, strict: true },
      { strict: true, appendEach: true },
    ];
    for (const parts of partial) {
      await withLog(async (log, writer) => {
        await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
        const { port, calls } = portOf(log, parts);
        const heads = quiet(port, { groupCommit: true });
        await heads.refresh(true);
        expect(await heads.compareAndSwapAll([
          { name: 'a.pl', expected: h('1'), next: h('2') },
          { name: 'b.pl', expected: null, next: h('3') },
        ]), JSON.stringify(parts)).toEqual([{ ok: true, value: undefined }, { ok: true, value: undefined }]);
        await heads.compareAndSwap('a.pl', h('2'), h('4'));
        expect(calls, JSON.stringify(parts)).toEqual({ append: 3, appendEach: 0 });
        expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('4') }, { name: 'b.pl', head: h('3') }]);
        expect(heads.nulRereads).toBe(0);
        await heads.close();
      });
    }
  });

  it('a port without streaming reads over a missing log: an unlocked read leaves the heads empty', async () => {
    await withLog(async (log) => {
      const { port } = portOf(log, {});
      const heads = quiet(port);
      await heads.refresh(true);
      expect(heads.entries()).toEqual([]);
      expect(heads.logPosition).toBeUndefined();
      await heads.close();
    });
  });

  it('a batch on a vanished log writes a new log from the rebuild, leaving out every commit it is about to acknowledge', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const asked: RebuildOptions[] = [];
      const heads = quiet(log, {
        rebuild: async (options) => {
          asked.push(options!);
          return [{ name: 'a.pl', head: h('1') }, { name: 'z.pl', head: h('9') }];
        },
      });
      await heads.refresh(true);
      await rm(file);
      expect(await heads.compareAndSwapAll([
        { name: 'a.pl', expected: h('1'), next: h('2') },
        { name: 'b.pl', expected: null, next: h('3') },
      ])).toEqual([{ ok: true, value: undefined }, { ok: true, value: undefined }]);
      expect(asked).toEqual([{ ignore: new Set([h('2'), h('3')]) }]);
      const reread = quiet(new HeadLog(file, { durability: 'none' }));
      await reread.refresh(true);
      expect(reread.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'z.pl', head: h('9') }, { name: 'b.pl', head: h('3') }]);
      await reread.close();
      await heads.close();
    });
  });
});

describe('SharedHeads watching: timers, listeners, errors', () => {
  it('one poll timer for every listener, stopped with the last one and by close; no watching after close', async () => {
    await withLog(async (log, writer) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
      const heads = quiet(log);
      await heads.refresh(true);
      const first: HeadChange[] = [];
      const second: HeadChange[] = [];
      const stopFirst = heads.watch((c) => first.push(c));
      const stopSecond = heads.watch((c) => second.push(c));
      expect(vi.getTimerCount()).toBe(1);
      stopFirst();
      expect(vi.getTimerCount()).toBe(1);
      vi.useRealTimers();
      await writer.withLock(async () => writer.append((await writer.readFrom())!, [{ name: 'a.pl', old: h('1'), new: h('2') }]));
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
      await heads.refresh(true);
      expect(first).toEqual([]);
      expect(second).toEqual([{ name: 'a.pl', old: h('1'), new: h('2') }]);
      stopSecond();
      expect(vi.getTimerCount()).toBe(0);
      heads.watch(() => undefined);
      expect(vi.getTimerCount()).toBe(1);
      await heads.close();
      expect(vi.getTimerCount()).toBe(0);
      heads.watch(() => undefined);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('a background read that fails is kept as lastBackgroundError', async () => {
    await withLog(async (log) => {
      const failure = new Error('read failed');
      const { port } = portOf(log, {});
      port.readFrom = () => Promise.reject(failure);
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
      const heads = new SharedHeads(port, { pollInterval: 1000, watchFile: false });
      heads.watch(() => undefined);
      vi.advanceTimersByTime(1000);
      await heads.close();
      expect(heads.lastBackgroundError).toBe(failure);
    });
  });

  it('no fs.watch on a missing folder: the error is kept and polling remains; a watcher error closes the watcher', async () => {
    const missing = new SharedHeads(new HeadLog(path.join('/nonexistent-gitty-folder', 'ref', 'head'), { durability: 'none' }), { pollInterval: 3_600_000, watchFile: true });
    const stop = missing.watch(() => undefined);
    expect(missing.lastBackgroundError).toMatchObject({ code: 'ENOENT' });
    stop();
    await missing.close();
    await withLog(async (log, writer) => {
      await writer.withLock(() => writer.create([]));
      const heads = new SharedHeads(log, { pollInterval: 3_600_000, watchFile: true });
      heads.watch(() => undefined);
      const inside = heads as unknown as { watcher: import('node:fs').FSWatcher | undefined };
      const watcher = inside.watcher!;
      const failure = new Error('watch failed');
      watcher.emit('error', failure);
      expect(heads.lastBackgroundError).toBe(failure);
      expect(inside.watcher).toBeUndefined();
      await heads.close();
    });
  });

  it('a tail with two lines for one name reports both, in order', async () => {
    await withLog(async (log, writer) => {
      const at = await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      const seen: HeadChange[] = [];
      heads.watch((c) => seen.push(c));
      await writer.withLock(() => writer.append(at, [{ name: 'a.pl', old: h('1'), new: h('2') }, { name: 'a.pl', old: h('2'), new: h('3') }]));
      await heads.refresh(true);
      expect(seen).toEqual([{ name: 'a.pl', old: h('1'), new: h('2') }, { name: 'a.pl', old: h('2'), new: h('3') }]);
      await heads.close();
    });
  });
});

describe('SharedHeads: the lock kept across a burst, empty batches, the poll pace', () => {
  it('a CAS and a batch keep the log\'s lock for the next step of a burst: released on the next turn of the event loop', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      await heads.compareAndSwap('a.pl', h('1'), h('2'));
      expect(existsSync(`${file}.lock`)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(existsSync(`${file}.lock`)).toBe(false);
      await heads.compareAndSwapAll([{ name: 'a.pl', expected: h('2'), next: h('3') }]);
      expect(existsSync(`${file}.lock`)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(existsSync(`${file}.lock`)).toBe(false);
      await heads.close();
    });
  });

  it('a batch that changes nothing appends nothing: no write, no flush (fsync durability)', async () => {
    await withLog(async (_log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const durable = new HeadLog(file, { durability: 'fsync' });
      const heads = quiet(durable);
      await heads.refresh(true);
      let flushes = 0;
      patch('fsyncSync', (original) => ((fd: number) => {
        flushes++;
        original(fd);
      }) as typeof original);
      expect(await heads.compareAndSwapAll([{ name: 'a.pl', expected: h('1'), next: h('1') }])).toEqual([{ ok: true, value: undefined }]);
      expect(flushes).toBe(0);
      undoPatches();
      await heads.close();
      durable.close();
    });
  });

  it('polls every pollInterval ms while watched, at least every 10 ms; without watchFile no fs.watch', async () => {
    for (const [pollInterval, pace] of [[1000, 1000], [0, 10]] as const) {
      await withLog(async (log, writer) => {
        await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
        const { port } = portOf(log, {});
        let reads = 0;
        port.readFrom = (from) => {
          reads++;
          return log.readFrom(from);
        };
        vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
        const heads = new SharedHeads(port, { pollInterval, watchFile: false });
        heads.watch(() => undefined);
        expect((heads as unknown as { watcher: unknown }).watcher).toBeUndefined();
        await vi.advanceTimersByTimeAsync(pace - 1);
        expect(reads, `${pollInterval}`).toBe(0);
        await vi.advanceTimersByTimeAsync(1);
        await heads.close();
        expect(reads, `${pollInterval}`).toBe(1);
        vi.useRealTimers();
      });
    }
  });
});

describe('SharedHeads: which of the lines read back after a lost lock are its own', () => {
  it('in a tail, only the line equal in name, old and new to its own change goes unreported', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }, { name: 'c.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      const seen: HeadChange[] = [];
      heads.watch((c) => seen.push(c));
      const others = [
        { name: 'c.pl', old: h('1'), new: h('2') },
        { name: 'a.pl', old: h('1'), new: h('7') },
        { name: 'a.pl', old: h('7'), new: h('2') },
        { name: 'a.pl', old: h('2'), new: h('1') },
      ];
      sneakIn(file, others.map(line).join(''));
      await heads.compareAndSwap('a.pl', h('1'), h('2'));
      expect(seen).toEqual(others);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'c.pl', head: h('2') }]);
      await heads.close();
    });
  });

  it('in a whole re-read (a misfit line), a difference equal in name and new head to its own change goes unreported', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      const seen: HeadChange[] = [];
      heads.watch((c) => seen.push(c));
      // A void line (b.pl has no head 9) makes the tail misfit; c.pl gets the same new head as ours.
      sneakIn(file, line({ name: 'b.pl', old: h('9'), new: h('8') }) + line({ name: 'c.pl', old: null, new: h('2') }));
      await heads.compareAndSwap('a.pl', h('1'), h('2'));
      expect(seen).toEqual([{ name: 'c.pl', old: null, new: h('2') }]);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('2') }, { name: 'c.pl', head: h('2') }]);
      await heads.close();
    });
  });

  it('in a whole re-read, a name whose head moved on past its own change is reported', async () => {
    await withLog(async (log, writer, file) => {
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }]));
      const heads = quiet(log);
      await heads.refresh(true);
      const seen: HeadChange[] = [];
      heads.watch((c) => seen.push(c));
      sneakIn(file, line({ name: 'b.pl', old: h('9'), new: h('8') }));
      headLogTestHooks.afterAppend = () => {
        headLogTestHooks.afterAppend = undefined;
        appendFileSync(file, line({ name: 'a.pl', old: h('2'), new: h('3') }));
      };
      try {
        await heads.compareAndSwap('a.pl', h('1'), h('2'));
      } finally {
        headLogTestHooks.afterAppend = undefined;
      }
      expect(seen).toEqual([{ name: 'a.pl', old: h('1'), new: h('3') }]);
      expect(heads.entries()).toEqual([{ name: 'a.pl', head: h('3') }]);
      await heads.close();
    });
  });
});

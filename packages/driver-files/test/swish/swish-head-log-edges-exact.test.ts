// SwishHeadLog (src/swish/head-log.ts) beyond swish-head-log-exact.test.ts: the epoch line's
// exact form, blank lines, the Olds kept across epochs and reader positions, appends to an empty
// file, failed and partial writes (the partial line cut off), SWISH lines of other names and of
// several changed names around gitty's write, the re-check before a put-back, which flushes each
// durability makes, descriptors closed, a failed rename, and initialize's two existence checks.
import { afterEach, describe, expect, it } from 'vitest';
import fs, { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { SwishHeadLog, swishHeadLine } from '@gitty/driver-files';
import { headLogTestHooks } from '../../src/test-hooks.js';
import { patch, recordHandleSyncs, restores, undoPatches } from '../support/patch-fs.js';

const A = '1'.repeat(40);
const B = '2'.repeat(40);
const C = '3'.repeat(40);
const D = '4'.repeat(40);
const len = (text: string) => Buffer.byteLength(text);
const head = (name: string, old: string | null, next: string) => swishHeadLine({ name, old, new: next });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  headLogTestHooks.beforeWrite = undefined;
  headLogTestHooks.afterWrite = undefined;
  undoPatches();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A log file `<tmp>/ref/head` holding `text` (not written when undefined) and a SwishHeadLog on it. */
async function logWith(text: string | undefined, options: ConstructorParameters<typeof SwishHeadLog>[1] = { durability: 'none' }) {
  const { dir, remove } = await tempDir('gitty-swish-edges-');
  cleanups.push(remove);
  const file = path.join(dir, 'ref', 'head');
  mkdirSync(path.dirname(file));
  if (text !== undefined) writeFileSync(file, text);
  return { file, dir, log: new SwishHeadLog(file, options) };
}

describe('SwishHeadLog reading: the epoch line and blank lines', () => {
  it('a bare atom head, and a compound named - or like a hash, are no head change', async () => {
    const { parseSwishHeadLine } = await import('@gitty/driver-files');
    expect(parseSwishHeadLine('head.')).toBe('not a head/3 term');
    expect(parseSwishHeadLine(`head(a,-(x),'${A}').`)).toBe('old or new is not a hash (or - for none)');
    expect(parseSwishHeadLine(`head(a,-,'${A}'(x)).`)).toBe('old or new is not a hash (or - for none)');
  });

  it('a log that cannot be opened for another reason than missing fails the read with that error', async () => {
    const { log } = await logWith(`epoch(5).\n\n${head('a.pl', null, A)}`);
    const eio = Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' });
    patch('openSync', (original) => ((...args: Parameters<typeof original>) => {
      if (args[0] === log.file) throw eio;
      return original(...args);
    }) as typeof original);
    await expect(log.readFrom()).rejects.toBe(eio);
  });

  it('only a whole first line epoch(digits). (surrounding blanks allowed) is an epoch', async () => {
    const line = head('a.pl', null, A);
    const cases: [string, string][] = [
      ['epoch(5).\n', '5'],
      ['  epoch(6).  \n', '6'],
      ['epoch(5).x\n', ''],
      ['xepoch(5).\n', ''],
    ];
    for (const [first, epoch] of cases) {
      const { log } = await logWith(first + line);
      const read = (await log.readFrom())!;
      expect(read.epoch, first).toBe(epoch);
      expect(read.events, first).toEqual([{ name: 'a.pl', old: null, new: A }]);
      expect(read.skipped, first).toBe(epoch === '' ? 1 : 0);
    }
  });

  it('a log without a newline in its first 4096 bytes, or none at all, has no epoch', async () => {
    const long = `epoch(${'7'.repeat(5000)}).\n${head('a.pl', null, A)}`;
    const first = await logWith(long);
    expect(await first.log.readFrom()).toMatchObject({ epoch: '', offset: len(long), skipped: 1, events: [{ name: 'a.pl', old: null, new: A }] });
    const second = await logWith('epoch(5)..');
    expect(await second.log.readFrom()).toEqual({ epoch: '', offset: 0, reset: true, skipped: 0, events: [] });
  });

  it('a line of blanks is no malformed line', async () => {
    const text = `epoch(5).\n\n   \n${head('a.pl', null, A)}\t\n`;
    const { log } = await logWith(text);
    expect(await log.readFrom()).toEqual({ epoch: '5', offset: len(text), reset: true, skipped: 0, events: [{ name: 'a.pl', old: null, new: A }] });
    expect(await log.malformedLines()).toEqual([]);
  });
});

describe('SwishHeadLog reading: the Olds behind the tail check', () => {
  it('a new epoch forgets the old epoch\'s Olds: a tail returning to a commit only the old epoch moved away from stays a tail', async () => {
    const { file, log } = await logWith(`epoch(1).\n\n${head('x', null, A)}${head('x', A, B)}`);
    const whole = (await log.readFrom())!;
    const second = `epoch(2).\n\n${head('x', null, C)}`;
    writeFileSync(file, second);
    const reset = (await log.readFrom(whole))!;
    expect(reset).toMatchObject({ epoch: '2', reset: true, events: [{ name: 'x', old: null, new: C }] });
    appendFileSync(file, head('x', C, A));
    expect(await log.readFrom(reset)).toEqual({ epoch: '2', offset: len(second + head('x', C, A)), reset: false, skipped: 0, events: [{ name: 'x', old: C, new: A }] });
  });

  it('a reader position handed to a fresh log instance: the Olds come from the whole log, and a returning head reads it whole', async () => {
    const start = `epoch(1).\n\n${head('x', null, A)}${head('x', A, B)}`;
    const text = start + head('x', B, A);
    const { log } = await logWith(text);
    const read = (await log.readFrom({ epoch: '1', offset: len(start) }))!;
    expect(read.reset).toBe(true);
    expect(read.events.slice(0, 3)).toEqual([{ name: 'x', old: null, new: A }, { name: 'x', old: A, new: B }, { name: 'x', old: B, new: A }]);
  });

  it('Olds of an epoch the instance read before do not count for a position in a newer epoch', async () => {
    const { file, log } = await logWith(`epoch(1).\n\n${head('x', null, A)}${head('x', A, B)}`);
    await log.readFrom();
    const start = `epoch(2).\n\n${head('x', null, C)}`;
    writeFileSync(file, start + head('x', C, A));
    expect(await log.readFrom({ epoch: '2', offset: len(start) })).toEqual({
      epoch: '2', offset: len(start + head('x', C, A)), reset: false, skipped: 0, events: [{ name: 'x', old: C, new: A }],
    });
  });
});

describe('SwishHeadLog append: writes that fail or land beside SWISH\'s', () => {
  it('appends to an empty file without a leading newline', async () => {
    const { file, log } = await logWith('');
    expect(await log.withLock(() => log.append({ epoch: '', offset: 0 }, [{ name: 'a.pl', old: null, new: A }]))).toEqual({ epoch: '', offset: len(head('a.pl', null, A)) });
    expect(readFileSync(file, 'utf8')).toBe(head('a.pl', null, A));
  });

  it('a write that throws passes its error on (EIO stays EIO)', async () => {
    const text = `epoch(5).\n\n${head('a.pl', null, A)}`;
    const { file, log } = await logWith(text);
    const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    let armed = false;
    headLogTestHooks.beforeWrite = () => (armed = true);
    patch('writeSync', (original) => ((...args: Parameters<typeof original>) => {
      if (armed) throw eio;
      return original(...args);
    }) as typeof original);
    await expect(log.withLock(() => log.append({ epoch: '5', offset: len(text) }, [{ name: 'a.pl', old: A, new: B }]))).rejects.toBe(eio);
    undoPatches();
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a partial write is cut off again and fails with STORAGE_FULL, in an empty file and after lines', async () => {
    for (const text of ['', `epoch(5).\n\n${head('a.pl', null, A)}`]) {
      const { file, log } = await logWith(text);
      let armed = false;
      headLogTestHooks.beforeWrite = () => (armed = true);
      patch('writeSync', (original) => ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null) => {
        const short = armed;
        armed = false;
        return original(fd, buffer, offset, short ? Math.min(length, 7) : length, position);
      }) as unknown as typeof fs.writeSync);
      await expect(log.withLock(() => log.append({ epoch: text === '' ? '' : '5', offset: len(text) }, [{ name: 'a.pl', old: text === '' ? null : A, new: B }]))).rejects.toMatchObject({
        code: 'STORAGE_FULL', message: `No room to write ${file}`,
      });
      undoPatches();
      expect(readFileSync(file, 'utf8'), text).toBe(text);
    }
  });

  it('a partial write another appender wrote after is left in place (cutting it off would cut theirs)', async () => {
    const text = `epoch(5).\n\n${head('a.pl', null, A)}`;
    const { file, log } = await logWith(text);
    const theirs = `\n${head('b.pl', null, C)}`;
    // Armed right before the append's own write call.
    let armed = false;
    headLogTestHooks.beforeWrite = () => (armed = true);
    patch('writeSync', (original) => ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null) => {
      if (!armed) return original(fd, buffer, offset, length, position);
      armed = false;
      const written = original(fd, buffer, offset, Math.min(length, 7), position);
      appendFileSync(file, theirs);
      return written;
    }) as unknown as typeof fs.writeSync);
    await expect(log.withLock(() => log.append({ epoch: '5', offset: len(text) }, [{ name: 'a.pl', old: A, new: B }]))).rejects.toMatchObject({ code: 'STORAGE_FULL' });
    undoPatches();
    expect(readFileSync(file, 'utf8')).toBe(text + head('a.pl', A, B).slice(0, 7) + theirs);
  });

  it('a SWISH line of another name landing before gitty\'s write: the append succeeds, and its position stays before that line', async () => {
    const text = `epoch(5).\n\n${head('a.pl', null, A)}${head('b.pl', null, A)}`;
    const { file, log } = await logWith(text);
    headLogTestHooks.beforeWrite = () => appendFileSync(file, head('b.pl', A, C));
    const at = { epoch: '5', offset: len(text) };
    // Before the fix it answered len(text) + our line's length: inside the file, past SWISH's line, which a reader resuming there never read.
    expect(await log.withLock(() => log.append(at, [{ name: 'a.pl', old: A, new: B }]))).toEqual(at);
    expect(await log.readFrom(at)).toMatchObject({ reset: false, events: [{ name: 'b.pl', old: A, new: C }, { name: 'a.pl', old: A, new: B }] });
    expect(readFileSync(file, 'utf8')).toBe(text + head('b.pl', A, C) + head('a.pl', A, B));
  });

  it('a SWISH line of another name landing right after gitty\'s: the position is past gitty\'s line, where the next read finds SWISH\'s', async () => {
    const text = `epoch(5).\n\n${head('a.pl', null, A)}${head('b.pl', null, A)}`;
    const { file, log } = await logWith(text);
    headLogTestHooks.afterWrite = () => appendFileSync(file, head('b.pl', A, C));
    const at = { epoch: '5', offset: len(text) };
    const next = await log.withLock(() => log.append(at, [{ name: 'a.pl', old: A, new: B }]));
    expect(next).toEqual({ epoch: '5', offset: len(text + head('a.pl', A, B)) });
    expect(await log.readFrom(next)).toMatchObject({ reset: false, events: [{ name: 'b.pl', old: A, new: C }] });
  });

  it('of two changed names, only the one SWISH moved is put back, and NOT_AT_HEAD names it with its own expected head', async () => {
    const text = `epoch(5).\n\n${head('a.pl', null, A)}${head('b.pl', null, B)}`;
    const { file, log } = await logWith(text);
    headLogTestHooks.beforeWrite = () => appendFileSync(file, head('b.pl', B, D));
    const ours = head('a.pl', A, C) + head('b.pl', B, C);
    await expect(log.withLock(() => log.append({ epoch: '5', offset: len(text) }, [{ name: 'a.pl', old: A, new: C }, { name: 'b.pl', old: B, new: C }]))).rejects.toMatchObject({
      code: 'NOT_AT_HEAD', fileName: 'b.pl', head: D, expected: B,
    });
    expect(readFileSync(file, 'utf8')).toBe(text + head('b.pl', B, D) + ours + head('b.pl', C, D));
  });

  it('both changed names moved by SWISH: both put back, line after line', async () => {
    const text = `epoch(5).\n\n${head('a.pl', null, A)}${head('b.pl', null, B)}`;
    const { file, log } = await logWith(text);
    headLogTestHooks.beforeWrite = () => appendFileSync(file, head('a.pl', A, D) + head('b.pl', B, D));
    const ours = head('a.pl', A, C) + head('b.pl', B, C);
    await expect(log.withLock(() => log.append({ epoch: '5', offset: len(text) }, [{ name: 'a.pl', old: A, new: C }, { name: 'b.pl', old: B, new: C }]))).rejects.toMatchObject({
      code: 'NOT_AT_HEAD', fileName: 'a.pl', head: D, expected: A,
    });
    expect(readFileSync(file, 'utf8')).toBe(text + head('a.pl', A, D) + head('b.pl', B, D) + ours + head('a.pl', C, D) + head('b.pl', C, D));
  });

  it('a SWISH line moving the name again right before the put-back is written: no put-back (it would undo that line)', async () => {
    const text = `epoch(5).\n\n${head('a.pl', null, A)}`;
    const { file, log } = await logWith(text);
    headLogTestHooks.beforeWrite = () => appendFileSync(file, head('a.pl', A, B));
    let stats = 0;
    headLogTestHooks.afterWrite = () => {
      // fstat calls from here: the put-back's `end`, then its re-check; SWISH appends in between.
      patch('fstatSync', (original) => ((...args: Parameters<typeof original>) => {
        if (++stats === 2) appendFileSync(file, head('a.pl', B, D));
        return original(...args);
      }) as typeof original);
    };
    await expect(log.withLock(() => log.append({ epoch: '5', offset: len(text) }, [{ name: 'a.pl', old: A, new: C }]))).rejects.toMatchObject({
      code: 'NOT_AT_HEAD', fileName: 'a.pl', head: B, expected: A,
    });
    expect(stats).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(text + head('a.pl', A, B) + head('a.pl', A, C) + head('a.pl', B, D));
  });
});

/** Every flush from now on: fsyncSync of a file descriptor, and FileHandle.sync. */
async function recordFlushes(dir: string): Promise<string[]> {
  const events: string[] = [];
  patch('fsyncSync', (original) => ((fd: number) => {
    events.push('fsyncSync');
    original(fd);
  }) as typeof original);
  await recordHandleSyncs(dir, events);
  return events;
}

describe('SwishHeadLog flushes by durability', () => {
  it('fsync (the default) flushes a new log and its folder, each append, and a put-back; none flushes nothing', async () => {
    for (const options of [{}, { durability: 'fsync' as const }, { durability: 'none' as const }]) {
      const { file, dir, log } = await logWith(undefined, options);
      const events = await recordFlushes(dir);
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: A }]));
      events.push('created');
      const next = await log.withLock(() => log.append(at, [{ name: 'a.pl', old: A, new: B }]));
      events.push('appended');
      headLogTestHooks.beforeWrite = () => appendFileSync(file, head('a.pl', B, D));
      await expect(log.withLock(() => log.append(next, [{ name: 'a.pl', old: B, new: C }]))).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
      events.push('put back');
      // SWISH moved the name before and after gitty's line: nothing is put back, nothing flushed.
      headLogTestHooks.beforeWrite = () => appendFileSync(file, head('a.pl', D, A));
      headLogTestHooks.afterWrite = () => appendFileSync(file, head('a.pl', A, B));
      const last = (await log.readFrom())!;
      await expect(log.withLock(() => log.append(last, [{ name: 'a.pl', old: D, new: C }]))).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
      headLogTestHooks.beforeWrite = undefined;
      headLogTestHooks.afterWrite = undefined;
      expect(events, JSON.stringify(options)).toEqual(options.durability === 'none'
        ? ['created', 'appended', 'put back']
        : ['FileHandle.sync', 'FileHandle.sync', 'created', 'fsyncSync', 'appended', 'fsyncSync', 'put back']);
      undoPatches();
    }
  });
});

describe('SwishHeadLog resources and creation', () => {
  it('every descriptor a read, an inspect, an append and a create open is closed again', async () => {
    const { log } = await logWith(`epoch(5).\n\n${head('a.pl', null, A)}`);
    const open = new Set<number>();
    patch('openSync', (original) => ((...args: Parameters<typeof original>) => {
      const fd = original(...args);
      open.add(fd);
      return fd;
    }) as typeof original);
    patch('closeSync', (original) => ((fd: number) => {
      open.delete(fd);
      original(fd);
    }) as typeof original);
    // FileHandles (create's temp file): `close` is an own property of each, so wrap it per handle.
    const handles = { opened: 0, closed: 0 };
    const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const originalOpen = promises.open!;
    promises.open = async (...args: unknown[]) => {
      const handle = (await originalOpen(...args)) as { close: () => Promise<void> };
      handles.opened++;
      const close = handle.close.bind(handle);
      handle.close = () => {
        handles.closed++;
        return close();
      };
      return handle;
    };
    syncBuiltinESMExports();
    restores.push(() => {
      promises.open = originalOpen;
      syncBuiltinESMExports();
    });
    const read = (await log.readFrom())!;
    await log.inspect();
    await log.withLock(() => log.append(read, [{ name: 'a.pl', old: A, new: B }]));
    await log.withLock(() => log.create([{ name: 'a.pl', head: B }]));
    expect([...open]).toEqual([]);
    expect(handles).toEqual({ opened: 1, closed: 1 });
  });

  it('a create whose rename fails removes its temp file and fails', async () => {
    const { file, log } = await logWith(undefined);
    mkdirSync(file);
    writeFileSync(path.join(file, 'keep'), 'x');
    await expect(log.withLock(() => log.create([{ name: 'a.pl', head: A }]))).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect(readdirSync(path.dirname(file))).toEqual(['head']);
  });

  it('initialize on an existing log neither waits for the lock nor rebuilds', async () => {
    const { file, log } = await logWith(`epoch(5).\n\n${head('a.pl', null, A)}`, { durability: 'none', lock: { timeoutMs: 0 } });
    const lockPath = `${file}.lock`;
    mkdirSync(lockPath);
    writeFileSync(path.join(lockPath, 'owner'), JSON.stringify({ host: 'another-host', ns: '', pid: 1, token: 'theirs' }));
    const now = new Date();
    utimesSync(lockPath, now, now);
    let rebuilds = 0;
    expect(await log.initialize(async () => {
      rebuilds++;
      return [];
    })).toBe(false);
    expect(rebuilds).toBe(0);
  });

  it('initialize checks again under the lock: a log another process wrote meanwhile stays, no rebuild', async () => {
    const { file, log } = await logWith(undefined);
    const text = `epoch(5).\n\n${head('a.pl', null, A)}`;
    const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const originalStat = promises.stat!;
    let stats = 0;
    promises.stat = async (...args: unknown[]) => {
      const result = originalStat(...args);
      // After the first look found no log, another process writes one.
      if (++stats === 1) await result.catch(() => writeFileSync(file, text));
      return result;
    };
    syncBuiltinESMExports();
    restores.push(() => {
      promises.stat = originalStat;
      syncBuiltinESMExports();
    });
    let rebuilds = 0;
    expect(await log.initialize(async () => {
      rebuilds++;
      return [];
    })).toBe(false);
    expect(rebuilds).toBe(0);
    expect(stats).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(existsSync(file)).toBe(true);
  });
});


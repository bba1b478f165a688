// Exact tests of compactHeadLog (compact-log.ts) on hand-written head logs in temp dirs: the new
// log byte for byte, the report, the retired log, lines appended between the scan and the lock
// (copied as they are, an incomplete one left behind), the log replaced or taken back meanwhile,
// chunked snapshot and tail copies, flushes by durability, link and write failures. The log is
// given as `{ file, withLock }` over a real FileLock: only compact-log.ts is under test.
import { afterEach, describe, expect, it } from 'vitest';
import fs, { appendFileSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { patch, recordHandleSyncs, restores, undoPatches } from './support/patch-fs.js';
import path from 'node:path';
import { isGittyError } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock, type HeadLog } from '@gitty/driver-files';
import { compactHeadLog, compactionTestHooks } from '../src/compact-log.js';
import { stagingFolder, vetoPendingCompaction } from '../src/compaction-fence.js';
import { COMPACTED_HEADER_BYTES } from '../src/log-header.js';
import { CHUNK_BYTES } from '../src/log-lines.js';

const h = (n: number): string => n.toString(16).padStart(40, '0');
const line = (name: string, old: string | null, next: string | null) => `${JSON.stringify({ name, old, new: next })}\n`;
const snapshotLine = (name: string, head: string) => line(name, null, head);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const key of Object.keys(compactionTestHooks) as (keyof typeof compactionTestHooks)[]) compactionTestHooks[key] = undefined;
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});


/** A log at `<dir>/ref/head` holding `body` after an epoch line of epoch `e0`. */
async function logWith(body: string, epochLine = `${JSON.stringify({ epoch: 'e0', created: 1 })}\n`) {
  const { dir, remove } = await tempDir('gitty-compact-exact-');
  cleanups.push(remove);
  const folder = path.join(dir, 'ref');
  mkdirSync(folder);
  const file = path.join(folder, 'head');
  writeFileSync(file, epochLine + body);
  const lock = new FileLock(file);
  const log = { file, withLock: <T>(work: () => Promise<T>) => lock.withLock(work) } as unknown as HeadLog;
  const others = () => readdirSync(folder).filter((n) => n !== 'head').sort();
  return { file, folder, log, others, epochLine };
}

/** The files under `folder` this process holds open (Linux: /proc/self/fd): none once a compaction ends. */
function openUnder(folder: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // closed since the listing
    }
    if (target.startsWith(`${folder}${path.sep}`)) open.push(target);
  }
  return open;
}

function headerOf(file: string): { epoch: string; created: number; compacted: { epoch: string; offset: number; end: number; start: number }[] } {
  const text = readFileSync(file, 'utf8');
  expect(text.indexOf('\n')).toBe(COMPACTED_HEADER_BYTES - 1);
  return JSON.parse(text.slice(0, COMPACTED_HEADER_BYTES)) as ReturnType<typeof headerOf>;
}

describe('compactHeadLog: the new log', () => {
  it('one creation line per live head in replay order, under a new epoch with its link; the old log kept as head.retired-e0', async () => {
    const body = [
      line('a', null, h(1)),
      line('b', null, h(2)),
      line('a', h(1), h(3)),
      line('c', null, h(4)),
      line('b', h(9), h(5)), // void: b is h(2)
      'not json\n',
      line('c', h(4), null), // c deleted
      line('d', null, h(6)),
    ].join('');
    const { file, log, others } = await logWith(body);
    const before = readFileSync(file);
    const report = await compactHeadLog(log, { durability: 'none' });
    const snapshot = snapshotLine('a', h(3)) + snapshotLine('b', h(2)) + snapshotLine('d', h(6));
    const start = COMPACTED_HEADER_BYTES + Buffer.byteLength(snapshot);
    expect(report).toEqual({
      epoch: expect.stringMatching(/^[0-9a-f]{16}$/), previousEpoch: 'e0', bytesBefore: before.length, bytesAfter: start, heads: 3, lines: 8,
    });
    const header = headerOf(file);
    expect(header.epoch).toBe(report!.epoch);
    expect(header.compacted).toEqual([{ epoch: 'e0', offset: before.length, end: before.length, start }]);
    expect(readFileSync(file, 'utf8').slice(COMPACTED_HEADER_BYTES)).toBe(snapshot);
    expect(statSync(file).size).toBe(report!.bytesAfter);
    expect(others()).toEqual(['head.retired-e0']);
    expect(readFileSync(`${file}.retired-e0`)).toEqual(before);
  });

  it('a second compaction links both epochs, newest first, and copies nothing when nothing was written', async () => {
    const { file, log } = await logWith(line('a', null, h(1)) + line('a', h(1), h(2)));
    const first = await compactHeadLog(log, { durability: 'none' });
    const size = statSync(file).size;
    const second = await compactHeadLog(log, { durability: 'none' });
    expect(second).toEqual({ epoch: expect.stringMatching(/^[0-9a-f]{16}$/), previousEpoch: first!.epoch, bytesBefore: size, bytesAfter: size, heads: 1, lines: 1 });
    expect(headerOf(file).compacted).toEqual([
      { epoch: first!.epoch, offset: size, end: size, start: size },
      { epoch: 'e0', offset: first!.bytesBefore, end: first!.bytesBefore, start: size },
    ]);
    expect(existsSync(`${file}.retired-${first!.epoch}`)).toBe(true);
  });

  it('a log of no heads compacts to its header alone', async () => {
    const { file, log } = await logWith(line('a', null, h(1)) + line('a', h(1), null));
    const report = await compactHeadLog(log, { durability: 'none' });
    expect(report).toMatchObject({ heads: 0, lines: 2, bytesAfter: COMPACTED_HEADER_BYTES });
    expect(statSync(file).size).toBe(COMPACTED_HEADER_BYTES);
  });

  it('stops its scan at a line of NUL bytes (not arrived yet) and copies it under the lock as it is', async () => {
    const nul = `${'\0'.repeat(20)}\n`;
    const { file, log } = await logWith(line('a', null, h(1)) + nul + line('b', null, h(2)));
    const before = readFileSync(file);
    const report = await compactHeadLog(log, { durability: 'none' });
    const snapshot = snapshotLine('a', h(1));
    const start = COMPACTED_HEADER_BYTES + snapshot.length;
    const scannedTo = before.length - nul.length - line('b', null, h(2)).length;
    expect(report).toMatchObject({ heads: 1, lines: 1, bytesAfter: start + before.length - scannedTo });
    expect(headerOf(file).compacted[0]).toEqual({ epoch: 'e0', offset: scannedTo, end: before.length, start });
    expect(readFileSync(file, 'latin1').slice(COMPACTED_HEADER_BYTES)).toBe(snapshot + nul + line('b', null, h(2)));
  });

  it('snapshots larger than a chunk are written whole and in order', async () => {
    const count = Math.ceil((CHUNK_BYTES * 2.5) / 60);
    const parts: string[] = [];
    for (let n = 0; n < count; n++) parts.push(line(`file-${n}`, null, h(n + 1)));
    const { file, log } = await logWith(parts.join(''));
    const report = await compactHeadLog(log, { durability: 'none' });
    expect(report).toMatchObject({ heads: count, lines: count });
    expect(readFileSync(file, 'utf8').slice(COMPACTED_HEADER_BYTES)).toBe(parts.join(''));
  });
});

describe('compactHeadLog: lines written meanwhile', () => {
  it('lines appended after the scan are copied as they are (they apply to the snapshot), an incomplete last one is left behind', async () => {
    const { file, log } = await logWith(line('a', null, h(1)));
    const scanned = statSync(file).size;
    const late = line('a', h(1), h(2)) + line('b', null, h(3));
    compactionTestHooks.afterSnapshot = () => appendFileSync(file, `${late}{"name":"c","old":nu`);
    const report = await compactHeadLog(log, { durability: 'none' });
    const snapshot = snapshotLine('a', h(1));
    const start = COMPACTED_HEADER_BYTES + snapshot.length;
    expect(report).toMatchObject({ heads: 1, lines: 1, bytesBefore: scanned + late.length + 20, bytesAfter: start + late.length });
    expect(headerOf(file).compacted[0]).toEqual({ epoch: 'e0', offset: scanned, end: scanned + late.length, start });
    expect(readFileSync(file, 'utf8').slice(COMPACTED_HEADER_BYTES)).toBe(snapshot + late);
  });

  it('a tail longer than a chunk is copied whole, chunk after chunk', async () => {
    const { file, log } = await logWith(line('a', null, h(1)));
    const parts: string[] = [];
    for (let n = 0, length = 0; length < CHUNK_BYTES * 2.2; n++) {
      parts.push(line(`t-${n}`, null, h(n + 2)));
      length += parts[n]!.length;
    }
    const late = parts.join('');
    compactionTestHooks.afterSnapshot = () => appendFileSync(file, late);
    const report = await compactHeadLog(log, { durability: 'none' });
    expect(readFileSync(file, 'utf8').slice(COMPACTED_HEADER_BYTES)).toBe(snapshotLine('a', h(1)) + late);
    expect(report!.bytesAfter).toBe(statSync(file).size);
  });

  it('gives up, log untouched and nothing left behind, when the log was replaced (another epoch), shrank, or its last scanned line was taken back', async () => {
    const cases: [string, (file: string, epochLine: string) => void][] = [
      ['replaced', (file) => writeFileSync(file, `${JSON.stringify({ epoch: 'e1', created: 2 })}\n${line('a', null, h(1))}`)],
      ['shrank', (file, epochLine) => truncateSync(file, Buffer.byteLength(epochLine) + 3)],
      ['taken back', (file, epochLine) => {
        // The same length, other bytes: a writer took its line back and another wrote one.
        const first = line('a', null, h(1));
        truncateSync(file, Buffer.byteLength(epochLine) + first.length);
        appendFileSync(file, line('b', null, h(7)));
      }],
      ['removed', (file) => fs.unlinkSync(file)],
      // No header left to read an epoch from: a give-up, not a TypeError.
      ['emptied', (file) => truncateSync(file, 0)],
    ];
    for (const [what, change] of cases) {
      const { file, folder, log, others, epochLine } = await logWith(line('a', null, h(1)) + line('b', null, h(2)));
      let after: Buffer | undefined;
      compactionTestHooks.afterSnapshot = () => {
        change(file, epochLine);
        after = existsSync(file) ? readFileSync(file) : undefined;
      };
      expect(await compactHeadLog(log, { durability: 'none' }), what).toBeUndefined();
      expect(existsSync(file) ? readFileSync(file) : undefined, what).toEqual(after);
      expect(others(), what).toEqual([]);
      expect(existsSync(stagingFolder(file)), what).toBe(false);
      // The temp file, the scan's and the tail copy's descriptors are all closed.
      expect(openUnder(folder), what).toEqual([]);
    }
  });

  it('gives up when another compactor staged meanwhile (the staging folder exists again after the veto): nothing staged, temp removed', async () => {
    const { file, folder, log, others } = await logWith(line('a', null, h(1)));
    const before = readFileSync(file);
    const staging = stagingFolder(file);
    let refused = 0;
    patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === staging) {
        refused++;
        throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${staging}'`), { code: 'EEXIST' });
      }
      return (original as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.mkdirSync);
    expect(await compactHeadLog(log, { durability: 'none' })).toBeUndefined();
    expect(refused).toBe(2);
    expect(readFileSync(file)).toEqual(before);
    expect(others()).toEqual([]);
    expect(openUnder(folder)).toEqual([]);
  });

  it('gives up when the log was replaced by another epoch of the same length, lines and last line', async () => {
    const body = line('a', null, h(1)) + line('b', null, h(2));
    const { file, log, others, epochLine } = await logWith(body);
    const replacement = `${JSON.stringify({ epoch: 'e9', created: 1 })}\n${body}`;
    expect(Buffer.byteLength(replacement)).toBe(Buffer.byteLength(epochLine + body));
    compactionTestHooks.afterSnapshot = () => writeFileSync(file, replacement);
    expect(await compactHeadLog(log, { durability: 'none' })).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(replacement);
    expect(others()).toEqual([]);
    expect(existsSync(stagingFolder(file))).toBe(false);
  });

  it('nothing to compact: no log, or a log without an epoch line', async () => {
    const { file, log, others } = await logWith('', 'no epoch here\n');
    expect(await compactHeadLog(log, { durability: 'none' })).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe('no epoch here\n');
    fs.unlinkSync(file);
    expect(await compactHeadLog(log, { durability: 'none' })).toBeUndefined();
    expect(others()).toEqual([]);
  });

  it('a switch vetoed after the link gives up; the retired link stays, nothing else', async () => {
    const { file, log, others } = await logWith(line('a', null, h(1)));
    const before = readFileSync(file);
    compactionTestHooks.afterLink = () => expect(vetoPendingCompaction(file)).toBe(true);
    expect(await compactHeadLog(log, { durability: 'none' })).toBeUndefined();
    expect(readFileSync(file)).toEqual(before);
    expect(others()).toEqual(['head.retired-e0']);
    expect(openUnder(path.dirname(file))).toEqual([]);
  });
});

describe('compactHeadLog: flushes and failures', () => {
  it('flushes the new log before the switch with fsync (the default), not with none', async () => {
    for (const [options, expected] of [[{ durability: 'fsync' as const }, 1], [{}, 1], [{ durability: 'none' as const }, 0]] as const) {
      const { log } = await logWith(line('a', null, h(1)));
      let syncs = 0;
      let syncedBeforeSwitch = false;
      patch('fsyncSync', (original) => ((fd: number) => {
        syncs++;
        original(fd);
      }) as typeof fs.fsyncSync);
      compactionTestHooks.afterSync = () => (syncedBeforeSwitch = syncs === expected);
      expect(await compactHeadLog(log, options)).toBeDefined();
      expect(syncs, JSON.stringify(options)).toBe(expected);
      expect(syncedBeforeSwitch).toBe(true);
      restores.pop()!();
    }
  });

  it('flushes the log\'s folder after the switch with fsync (the default), not with none', async () => {
    for (const [options, expected] of [[{ durability: 'fsync' as const }, ['switched', 'FileHandle.sync']], [{}, ['switched', 'FileHandle.sync']], [{ durability: 'none' as const }, ['switched']]] as const) {
      const { log, folder } = await logWith(line('a', null, h(1)));
      const events: string[] = [];
      await recordHandleSyncs(folder, events);
      compactionTestHooks.afterRename = () => events.push('switched');
      expect(await compactHeadLog(log, options)).toBeDefined();
      undoPatches();
      expect(events, JSON.stringify(options)).toEqual(expected);
    }
  });

  it('a retired log already there (a compaction crashed after that step) or no hard links (EPERM, ENOTSUP, EOPNOTSUPP) is no failure', async () => {
    for (const code of ['EEXIST', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP']) {
      const { file, log, others } = await logWith(line('a', null, h(1)));
      patch('linkSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
        if (String(to) === `${file}.retired-e0`) {
          if (code === 'EEXIST') original(from, to);
          throw Object.assign(new Error(`${code}: link`), { code });
        }
        return original(from, to);
      }) as typeof fs.linkSync);
      expect(await compactHeadLog(log, { durability: 'none' }), code).toMatchObject({ previousEpoch: 'e0', heads: 1 });
      expect(others(), code).toEqual(code === 'EEXIST' ? ['head.retired-e0'] : []);
      restores.pop()!();
    }
  });

  it('another link failure fails the compaction (no room: STORAGE_FULL naming the staged file), the old log stays, nothing is left', async () => {
    const { file, log, others } = await logWith(line('a', null, h(1)));
    const before = readFileSync(file);
    patch('linkSync', () => (() => {
      throw Object.assign(new Error('ENOSPC: link'), { code: 'ENOSPC' });
    }) as typeof fs.linkSync);
    let error: unknown;
    try {
      await compactHeadLog(log, { durability: 'none' });
    } catch (err) {
      error = err;
    }
    expect(isGittyError(error, 'STORAGE_FULL')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^No room to write ${stagingFolder(file).replace(/[/.]/g, '\\$&')}/\\.tmp-[^/]+ \\(ENOSPC\\)$`));
    expect(readFileSync(file)).toEqual(before);
    expect(others()).toEqual([]);
  });

  it('no room for the snapshot: STORAGE_FULL naming the temp file, which is removed; nothing staged', async () => {
    const { file, folder, log, others } = await logWith(line('a', null, h(1)));
    patch('writeSync', () => (() => {
      throw Object.assign(new Error('ENOSPC: write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    let error: unknown;
    try {
      await compactHeadLog(log, { durability: 'none' });
    } catch (err) {
      error = err;
    }
    expect(isGittyError(error, 'STORAGE_FULL')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^No room to write ${folder.replace(/[/.]/g, '\\$&')}/\\.tmp-[^/]+ \\(ENOSPC\\)$`));
    expect(others()).toEqual([]);
    expect(openUnder(folder)).toEqual([]);
    expect(existsSync(stagingFolder(file))).toBe(false);
  });

  it('a temp file name taken (EEXIST on the exclusive open) fails without removing the file it did not make', async () => {
    const { folder, log } = await logWith(line('a', null, h(1)));
    let made = '';
    patch('openSync', (original) => ((target: fs.PathLike, flags?: fs.OpenMode, ...rest: unknown[]) => {
      if (flags === 'wx' && path.basename(String(target)).startsWith('.tmp-')) {
        made = String(target);
        writeFileSync(made, 'someone else\'s');
      }
      return (original as (...a: unknown[]) => number)(target, flags, ...rest);
    }) as typeof fs.openSync);
    let code: string | undefined;
    try {
      await compactHeadLog(log, { durability: 'none' });
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
    expect(code).toBe('EEXIST');
    // The finally removes the temp name: a name it did not make. (It never was ours to keep.)
    expect(readdirSync(folder).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(made).not.toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { appendFile, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { HeadLog } from '@gitty/driver-files';
import { headLogTestHooks } from '../src/test-hooks.js';
import { openFiles, withStoreDir } from './support.js';

const h = (digit: string) => digit.repeat(40);

async function withLog(use: (log: HeadLog, file: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-log-');
  try {
    const file = path.join(dir, 'ref', 'head');
    await use(new HeadLog(file, { durability: 'none' }), file);
  } finally {
    await remove();
  }
}

describe('head log', () => {
  it('is JSON lines: an epoch line, then one {"name","old","new"} line per change (a deletion also says who wrote it)', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      const a = await store.create('a.txt', '1');
      const b = await store.update('a.txt', '2', { previous: a.commit });
      await store.delete('a.txt');
      const lines = (await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n');
      expect(lines.pop()).toBe('');
      expect(Object.keys(JSON.parse(lines[0]!) as object)).toContain('epoch');
      expect(lines.slice(1, 3)).toEqual([
        JSON.stringify({ name: 'a.txt', old: null, new: a.commit }),
        JSON.stringify({ name: 'a.txt', old: a.commit, new: b.commit }),
      ]);
      expect(lines[3]).toMatch(new RegExp(`^${JSON.stringify({ name: 'a.txt', old: b.commit, new: null }).slice(0, -1).replace(/[{}[\]]/g, '\\$&')},"by":"[^"]+-${process.pid}-[0-9a-f]{12}-[0-9]+"}$`));
      expect(lines).toHaveLength(4);
    });
  });

  it('readFrom a remembered position returns only the new changes; a new epoch or a shrunk file starts over', async () => {
    await withLog(async (log, file) => {
      expect(await log.readFrom()).toBeUndefined();
      expect(await log.readEpoch()).toBeUndefined();
      const start = await log.withLock(() => log.create([{ name: 'x', head: h('1') }]));
      const first = (await log.readFrom())!;
      expect(first).toMatchObject({ epoch: start.epoch, offset: start.offset, reset: true, events: [{ name: 'x', old: null, new: h('1') }] });
      const end = await log.withLock(() => log.append(first, [{ name: 'x', old: h('1'), new: h('2') }, { name: 'y', old: null, new: h('3') }]));
      const next = (await log.readFrom(first))!;
      expect(next).toMatchObject({ reset: false, offset: end.offset, events: [{ name: 'x', old: h('1'), new: h('2') }, { name: 'y', old: null, new: h('3') }] });
      expect(await log.readFrom(next)).toMatchObject({ reset: false, events: [], offset: next.offset });

      // Compaction/rebuild: a whole new log with another epoch.
      const rebuilt = await log.withLock(() => log.create([{ name: 'z', head: h('4') }]));
      expect(rebuilt.epoch).not.toBe(start.epoch);
      expect(await log.readEpoch()).toBe(rebuilt.epoch);
      expect(await log.readFrom(next)).toMatchObject({ epoch: rebuilt.epoch, reset: true, events: [{ name: 'z', old: null, new: h('4') }] });

      // Same epoch but shorter than the remembered offset (the file was cut): start over.
      const far = { epoch: rebuilt.epoch, offset: rebuilt.offset + 500 };
      expect(await log.readFrom(far)).toMatchObject({ reset: true, events: [{ name: 'z' }] });
      await truncate(file, 0);
      expect(await log.readFrom(far)).toMatchObject({ reset: true, events: [] });
    });
  });

  it('skips garbage lines, leaves an incomplete last line for later, and the next append ends it as garbage', async () => {
    await withLog(async (log, file) => {
      await log.withLock(() => log.create([]));
      await appendFile(file, `not json\n${JSON.stringify({ name: 'bad', old: null, new: 'nothex' })}\n`);
      await appendFile(file, `${JSON.stringify({ name: 'ok', old: null, new: h('a') })}\n`);
      await appendFile(file, '{"name":"torn","old":nu');
      const read = (await log.readFrom())!;
      expect(read.events).toEqual([{ name: 'ok', old: null, new: h('a') }]);
      expect(read.skipped).toBe(2);
      const size = (await readFile(file)).length;
      expect(read.offset).toBe(size - '{"name":"torn","old":nu'.length);

      const after = await log.withLock(() => log.append(read, [{ name: 'ok', old: h('a'), new: h('b') }]));
      expect(after.offset).toBe((await readFile(file)).length);
      const text = await readFile(file, 'utf8');
      expect(text.endsWith(`{"name":"torn","old":nu #torn\n${JSON.stringify({ name: 'ok', old: h('a'), new: h('b') })}\n`)).toBe(true);
      expect((await log.readFrom(read))!).toMatchObject({ skipped: 1, events: [{ name: 'ok', old: h('a'), new: h('b') }] });
    });
  });

  it('append verifies where its line landed when another writer got in between its check and its write', async () => {
    await withLog(async (log, file) => {
      const line = (name: string, old: string | null, next: string) => `${JSON.stringify({ name, old, new: next })}\n`;
      const sneakIn = (text: string) => {
        headLogTestHooks.beforeWrite = () => {
          headLogTestHooks.beforeWrite = undefined;
          appendFileSync(file, text);
        };
      };
      try {
        let at = await log.withLock(() => log.create([{ name: 'x', head: h('1') }, { name: 'y', head: h('5') }]));
        const heads = new Map([['x', h('1')], ['y', h('5')]]);
        const headAt = (name: string) => heads.get(name) ?? null;
        // Another change from the same head got in first: ours is void, NOT_AT_HEAD names the winner.
        sneakIn(line('x', h('1'), h('2')));
        await expect(log.append(at, [{ name: 'x', old: h('1'), new: h('3') }], headAt)).rejects.toMatchObject({ code: 'NOT_AT_HEAD', head: h('2') });
        let read = (await log.readFrom())!;
        expect(read.events.filter((e) => e.name === 'x').at(-1)).toEqual({ name: 'x', old: h('1'), new: h('2') });
        at = { epoch: read.epoch, offset: read.offset };
        heads.set('x', h('2'));
        // A line on another name, or a void one on ours, does not make ours void.
        sneakIn(line('y', h('5'), h('6')) + line('x', h('9'), h('8')));
        const done = await log.append(at, [{ name: 'x', old: h('2'), new: h('4') }], headAt);
        expect(done).toMatchObject({ alone: false, offset: (await readFile(file)).length });
        read = (await log.readFrom())!;
        expect(read.events.filter((e) => e.name === 'x').at(-1)).toEqual({ name: 'x', old: h('2'), new: h('4') });
        expect(read.events.filter((e) => e.name === 'y').at(-1)).toEqual({ name: 'y', old: h('5'), new: h('6') });
        // Without the caller's heads they are replayed from the log: the same verdicts.
        at = { epoch: read.epoch, offset: read.offset };
        sneakIn(line('x', h('7'), h('6')));
        expect(await log.append(at, [{ name: 'x', old: h('4'), new: h('3') }])).toMatchObject({ alone: false });
        read = (await log.readFrom())!;
        at = { epoch: read.epoch, offset: read.offset };
        sneakIn(line('x', h('3'), h('2')));
        await expect(log.append(at, [{ name: 'x', old: h('3'), new: h('1') }])).rejects.toMatchObject({ code: 'NOT_AT_HEAD', head: h('2') });
        // Nobody in between: no read-back needed.
        read = (await log.readFrom())!;
        expect(await log.append({ epoch: read.epoch, offset: read.offset }, [{ name: 'z', old: null, new: h('1') }])).toMatchObject({ alone: true });
      } finally {
        headLogTestHooks.beforeWrite = undefined;
      }
    });
  });

  it('a failed append that lacks only its newline never comes into force when the next append follows it', async () => {
    await withLog(async (log, file) => {
      const start = await log.withLock(() => log.create([]));
      // A writer told "failed" (disk full after all but the newline): the line is complete JSON.
      await appendFile(file, JSON.stringify({ name: 'ghost', old: null, new: h('9') }));
      await log.withLock(() => log.append(start, [{ name: 'real', old: null, new: h('1') }]));
      const read = (await log.readFrom())!;
      expect(read.events).toEqual([{ name: 'real', old: null, new: h('1') }]);
      expect(read.skipped).toBe(1);
    });
  });

  it('a driver survives a torn last line: heads stay right and the next update appends after it', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      const a = await store.create('a.txt', '1');
      await appendFile(path.join(dir, 'ref', 'head'), '{"name":"a.txt","old":"' + a.commit.slice(0, 20));
      const other = await open();
      expect(await other.head('a.txt')).toBe(a.commit);
      const b = await other.update('a.txt', '2', { previous: a.commit });
      await store.rescan();
      expect(await store.head('a.txt')).toBe(b.commit);
      const third = await open();
      expect(await third.head('a.txt')).toBe(b.commit);
      expect(await third.driver.stats!()).toMatchObject({ headLogSkippedLines: 1, heads: 1 });
      expect((await third.fsck()).ok).toBe(true);
    });
  });

  it('without a log, opening rebuilds heads from the commits (newest time per name) with progress, and writes a log', async () => {
    await withStoreDir(async (dir) => {
      const first = await openFiles(dir);
      const { openStore } = await import('@gitty/core');
      const store = await openStore(first);
      let a = await store.create('a.txt', 'a0', { time: 1000 });
      a = await store.update('a.txt', 'a1', { previous: a.commit, time: 2000 });
      const b = await store.create('b.txt', 'b0', { time: 1500 });
      await store.close();
      await unlink(path.join(dir, 'ref', 'head'));
      await writeFile(path.join(dir, 'objects', 'garbage'), 'not an object');

      const progress: { phase: string; done: number; total?: number }[] = [];
      const reopened = await openStore(await openFiles(dir, {}, { onProgress: (p) => progress.push(p) }));
      try {
        expect(await reopened.head('a.txt')).toBe(a.commit);
        expect(await reopened.head('b.txt')).toBe(b.commit);
        expect(progress.at(-1)).toEqual({ phase: 'rebuild-heads', done: 6, total: 6 });
        const lines = (await readFile(path.join(dir, 'ref', 'head'), 'utf8')).trim().split('\n');
        expect(lines).toHaveLength(3);
      } finally {
        await reopened.close();
      }
    });
  });
});

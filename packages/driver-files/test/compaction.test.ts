import { describe, expect, it } from 'vitest';
import fs, { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { readFile, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type HeadChange } from '@gitty/core';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { HeadLog, compactHeadLog, retiredLogFile, type HeadLogPosition } from '@gitty/driver-files';
import { COMPACTED_HEADER_BYTES } from '../src/log-header.js';
import { compactionTestHooks } from '../src/compact-log.js';
import { CommandChild } from './command-child.js';
import { openFiles } from './support.js';

const compactingWriter = fileURLToPath(new URL('./children/compacting-writer.ts', import.meta.url));
const stalledWriter = fileURLToPath(new URL('./children/stalled-writer.ts', import.meta.url));
const h = (n: number) => n.toString(16).padStart(40, '0');

async function withLog(use: (log: HeadLog, file: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-compact-');
  try {
    const file = path.join(dir, 'ref', 'head');
    await use(new HeadLog(file, { durability: 'none' }), file);
  } finally {
    await remove();
  }
}

/** Every change after `from` as a reader sees it, and where it ends. */
async function read(log: HeadLog, from?: HeadLogPosition): Promise<{ reset: boolean; events: HeadChange[]; at: HeadLogPosition }> {
  const events: HeadChange[] = [];
  const scan = (await log.scan(from, (change) => events.push(change)))!;
  return { reset: scan.reset, events, at: { epoch: scan.epoch, offset: scan.offset } };
}

describe('head log compaction', () => {
  it('writes one line per live head (void lines and deletions gone) under a new epoch, the old log retired', async () => {
    await withLog(async (log, file) => {
      let at = await log.withLock(() => log.create([]));
      at = await log.withLock(() => log.append(at, [{ name: 'a', old: null, new: h(1) }, { name: 'b', old: null, new: h(2) }]));
      at = await log.withLock(() => log.append(at, [{ name: 'a', old: h(1), new: h(3) }, { name: 'b', old: h(2), new: null }]));
      at = await log.withLock(() => log.append(at, [{ name: 'c', old: null, new: h(4) }]));
      const before = (await readFile(file)).length;
      const report = (await compactHeadLog(log, { durability: 'none' }))!;
      expect(report).toMatchObject({ previousEpoch: at.epoch, heads: 2, lines: 5, bytesBefore: before });
      const lines = (await readFile(file, 'utf8')).split('\n');
      expect(lines[0]!.length).toBe(COMPACTED_HEADER_BYTES - 1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ epoch: report.epoch, compacted: [{ epoch: at.epoch, offset: before, end: before }] });
      expect(lines.slice(1)).toEqual([
        JSON.stringify({ name: 'a', old: null, new: h(3) }),
        JSON.stringify({ name: 'c', old: null, new: h(4) }),
        '',
      ]);
      expect(report.bytesAfter).toBe((await readFile(file)).length);
      // The old epoch is kept for readers still in it.
      expect((await readFile(retiredLogFile(file, at.epoch))).length).toBe(before);
      expect(await read(log)).toMatchObject({ reset: true, events: [{ name: 'a', new: h(3) }, { name: 'c', new: h(4) }] });
    });
  });

  it('carries a reader from any place of the old epochs over two compactions to exactly the lines it has not read', async () => {
    await withLog(async (log, file) => {
      let at = await log.withLock(() => log.create([]));
      const places: HeadLogPosition[] = [at];
      const written: HeadChange[] = [];
      let head: string | null = null;
      let n = 0;
      const next = () => {
        const change = { name: 'f', old: head, new: h(++n) };
        head = change.new;
        written.push(change);
        return change;
      };
      const change = async () => {
        at = (await read(log, at)).at; // a writer catches up first (over a compaction too)
        at = await log.withLock(() => log.append(at, [next()]));
        places.push(at);
      };
      // A line another writer appends while the compaction runs (after its scan, before its lock):
      // copied to the new log as it is.
      const sneak = () => {
        const line = `${JSON.stringify(next())}\n`;
        appendFileSync(file, line);
        places.push({ epoch: places.at(-1)!.epoch, offset: places.at(-1)!.offset + Buffer.byteLength(line) });
      };
      for (let i = 0; i < 3; i++) await change();
      compactionTestHooks.afterSnapshot = sneak;
      try {
        await compactHeadLog(log, { durability: 'none' });
      } finally {
        compactionTestHooks.afterSnapshot = undefined;
      }
      for (let i = 0; i < 2; i++) await change();
      await compactHeadLog(log, { durability: 'none' });
      await change();
      at = (await read(log, at)).at;
      for (const [i, place] of places.entries()) {
        const seen = await read(log, place);
        expect(seen.reset).toBe(false);
        expect(seen.events).toEqual(written.slice(i));
        expect(seen.at).toEqual(at);
      }
      expect(places).toHaveLength(8);
    });
  });

  it('a reader whose old epoch is gone (or that is past what was copied) reads the whole new log instead', async () => {
    await withLog(async (log, file) => {
      let at = await log.withLock(() => log.create([]));
      const start = at;
      at = await log.withLock(() => log.append(at, [{ name: 'f', old: null, new: h(1) }]));
      const report = (await compactHeadLog(log, { durability: 'none' }))!;
      expect((await read(log, start)).reset).toBe(false);
      expect((await read(log, { epoch: at.epoch, offset: at.offset + 10 })).reset).toBe(true);
      await unlink(retiredLogFile(file, report.previousEpoch));
      expect(await read(log, start)).toMatchObject({ reset: true, events: [{ name: 'f', old: null, new: h(1) }] });
      // In the copied part (here: at its end) no retired log is needed.
      expect((await read(log, at)).reset).toBe(false);
    });
  });

  it('gives up, the log untouched, when the line its scan ended with was taken back meanwhile (a writer whose flush failed)', async () => {
    await withLog(async (log, file) => {
      let at = await log.withLock(() => log.create([]));
      at = await log.withLock(() => log.append(at, [{ name: 'f', old: null, new: h(1) }]));
      const before = at.offset;
      at = await log.withLock(() => log.append(at, [{ name: 'f', old: h(1), new: h(2) }]));
      // After the scan: the last line is cut off again and another writer's line takes its place.
      compactionTestHooks.afterSnapshot = () => {
        truncateSync(file, before);
        appendFileSync(file, `${JSON.stringify({ name: 'f', old: h(1), new: h(3) })}\n`);
      };
      try {
        expect(await compactHeadLog(log, { durability: 'none' })).toBeUndefined();
      } finally {
        compactionTestHooks.afterSnapshot = undefined;
      }
      expect(await read(log)).toMatchObject({ reset: true, at: { epoch: at.epoch }, events: [{ new: h(1) }, { new: h(3) }] });
      expect((await readdir(path.dirname(file))).filter((n) => n !== 'head')).toEqual([]);
    });
  });

  it('on a file system without hard links it compacts without keeping the old log (readers behind read the whole log)', async () => {
    await withLog(async (log, file) => {
      let at = await log.withLock(() => log.create([]));
      const start = at;
      at = await log.withLock(() => log.append(at, [{ name: 'f', old: null, new: h(1) }]));
      const original = fs.linkSync;
      fs.linkSync = () => {
        throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
      };
      syncBuiltinESMExports();
      let report: Awaited<ReturnType<typeof compactHeadLog>>;
      try {
        report = await compactHeadLog(log, { durability: 'none' });
      } finally {
        fs.linkSync = original;
        syncBuiltinESMExports();
      }
      expect(report?.heads).toBe(1);
      expect(existsSync(retiredLogFile(file, at.epoch))).toBe(false);
      expect(await read(log, start)).toMatchObject({ reset: true, events: [{ new: h(1) }] });
      expect(await read(log, at)).toMatchObject({ reset: false, events: [] });
    });
  });

  it('a header keeps the last 8 compactions; a reader further behind follows through the retired logs\' own headers, or reads the whole log once they are gone', async () => {
    await withLog(async (log, file) => {
      let at = await log.withLock(() => log.create([]));
      const places: HeadLogPosition[] = [];
      for (let n = 1; n <= 20; n++) {
        at = (await read(log, at)).at;
        at = await log.withLock(() => log.append(at, [{ name: 'f', old: n === 1 ? null : h(n - 1), new: h(n) }]));
        places.push(at);
        await compactHeadLog(log, { durability: 'none' });
      }
      const header = JSON.parse((await readFile(file, 'utf8')).split('\n')[0]!) as { compacted: { epoch: string }[] };
      expect(header.compacted).toHaveLength(8);
      // 8 behind: this header; 19 behind: back through two retired headers. Every change, in order.
      for (const place of [12, 1, 0]) {
        const behind = await read(log, places[place]);
        expect(behind.reset).toBe(false);
        expect(behind.events.map((e) => e.new)).toEqual(Array.from({ length: 19 - place }, (_, i) => h(place + 2 + i)));
      }
      // A retired log on the way gone (older than the keep period): the whole log.
      await unlink(retiredLogFile(file, header.compacted[7]!.epoch));
      expect(await read(log, places[12])).toMatchObject({ reset: false });
      expect(await read(log, places[11])).toMatchObject({ reset: true });
      expect(await read(log, places[0])).toMatchObject({ reset: true, events: [{ name: 'f', old: null, new: h(20) }] });
    });
  });

  it('a reader on a poll interval crossing two compactions done by another process reports every change, in order', async () => {
    const { dir, remove } = await tempDir('gitty-compact-');
    const writer = new CommandChild(compactingWriter, [dir]);
    try {
      expect(await writer.next()).toBe('ready');
      const v1 = (await writer.ask('update f.txt one')).slice(3);
      const reader = await openStore(await openFiles(dir, { pollInterval: 60_000, watchLog: false }));
      const seen: HeadChange[] = [];
      reader.driver.watch!((change) => seen.push(change));
      try {
        const v2 = (await writer.ask('update f.txt two')).slice(3);
        expect(await writer.ask('compact')).toMatch(/^compacted [0-9a-f]{16}$/);
        const v3 = (await writer.ask('update f.txt three')).slice(3);
        const g = (await writer.ask('update g.txt gee')).slice(3);
        expect(await writer.ask('compact')).toMatch(/^compacted [0-9a-f]{16}$/);
        const v4 = (await writer.ask('update f.txt four')).slice(3);
        // The poll (what the reader's timer runs), once, after both compactions.
        await reader.rescan();
        expect(seen).toEqual([
          { name: 'f.txt', old: v1, new: v2, origin: 'remote' },
          { name: 'f.txt', old: v2, new: v3, origin: 'remote' },
          { name: 'g.txt', old: null, new: g, origin: 'remote' },
          { name: 'f.txt', old: v3, new: v4, origin: 'remote' },
        ].map(({ origin: _o, ...change }) => expect.objectContaining(change)));
        expect(await reader.head('f.txt')).toBe(v4);
      } finally {
        await reader.close();
      }
      await writer.ask('quit').catch(() => undefined);
      expect(await writer.exit()).toBe(0);
    } finally {
      writer.kill();
      await remove();
    }
  }, 60_000);

  it('a writer that lost the lock mid-append (SIGSTOP past lockStale) while another process compacted retries on the new log: acknowledged once, its stray line counts for nobody', async () => {
    const { dir, remove } = await tempDir('gitty-compact-');
    const file = path.join(dir, 'ref', 'head');
    const child = new CommandChild(stalledWriter, [dir, 'race.txt', 'beforeWrite', 'SIGSTOP']);
    try {
      const seed = await openStore(await openFiles(dir));
      const base = await seed.create('race.txt', 'base\n');
      let other = (await seed.create('other.txt', '0')).commit;
      for (let i = 1; i < 5; i++) other = (await seed.update('other.txt', String(i), { previous: other })).commit;
      await seed.close();
      expect(await child.next()).toBe(`ready ${base.commit}`);
      child.process.stdin!.write('go\n');
      // Stopped inside the lock, its log file open, between the end check and the write.
      await waitFor(() => readFileSync(`/proc/${child.process.pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] === 'T', 30_000);
      const log = new HeadLog(file, { durability: 'none', lock: { staleMs: 2000, timeoutMs: 60_000 } });
      const report = (await compactHeadLog(log, { durability: 'none' }))!;
      child.process.kill('SIGCONT');
      const answer = await child.next();
      expect(answer).toMatch(/^ok [0-9a-f]{40}$/);
      const commit = answer.slice(3);

      // Its first line went to the old file after the compaction's copied range: nobody reads it.
      const retired = await readFile(retiredLogFile(file, report.previousEpoch), 'utf8');
      expect(retired.split('\n').filter((l) => l.includes(commit))).toHaveLength(1);
      const current = await readFile(file, 'utf8');
      expect(current.split('\n').filter((l) => l.includes(commit))).toHaveLength(1);
      const fresh = await openStore(await openFiles(dir));
      try {
        expect(await fresh.head('race.txt')).toBe(commit);
        expect(await fresh.head('other.txt')).toBe(other);
        const history: string[] = [];
        for await (const c of fresh.walk(commit)) history.push(c.commit);
        expect(history).toEqual([commit, base.commit]);
        expect((await fresh.fsck()).errors).toEqual([]);
      } finally {
        await fresh.close();
      }
      expect(await child.exit()).toBe(0);
    } finally {
      child.process.kill('SIGCONT');
      child.kill();
      await remove();
    }
  }, 90_000);

  it('is run by gc (the driver\'s prune), leaves the store fsck-clean and is skipped when nothing was written since', async () => {
    const { dir, remove } = await tempDir('gitty-compact-');
    try {
      const driver = await openFiles(dir);
      const store = await openStore(driver);
      let head = (await store.create('a.txt', '0')).commit;
      for (let i = 1; i <= 20; i++) head = (await store.update('a.txt', String(i), { previous: head })).commit;
      await store.gc();
      expect((await driver.stats()).headLogCompactions).toBe(1);
      expect((await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(2);
      await store.gc();
      expect((await driver.stats()).headLogCompactions).toBe(1);
      expect((await store.fsck()).ok).toBe(true);
      expect(await store.head('a.txt')).toBe(head);
      expect((await readdir(path.join(dir, 'ref'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
      await store.close();
      const again = await openStore(await openFiles(dir));
      expect(await again.head('a.txt')).toBe(head);
      await again.close();
    } finally {
      await remove();
    }
  });

  it('is triggered by size after a write (compactAt, compactRatio), in the background; close waits for it', async () => {
    const { dir, remove } = await tempDir('gitty-compact-');
    try {
      const driver = await openFiles(dir, { compactAt: 2000, compactRatio: 2 });
      const store = await openStore(driver);
      let head = (await store.create('a.txt', '0')).commit;
      for (let i = 1; i <= 60; i++) head = (await store.update('a.txt', String(i), { previous: head })).commit;
      await driver.compaction!.idle();
      const compactions = (await driver.stats()).headLogCompactions!;
      // ~100 bytes a line: a log of 2000 bytes at least twice its compacted size, several times over.
      expect(compactions).toBeGreaterThanOrEqual(2);
      expect(compactions).toBeLessThan(20);
      await store.close();
      expect(existsSync(path.join(dir, 'ref', 'head.compact.lock'))).toBe(false);
      const again = await openStore(await openFiles(dir));
      expect(await again.head('a.txt')).toBe(head);
      expect((await again.fsck()).ok).toBe(true);
      await again.close();
    } finally {
      await remove();
    }
  });

  it('is triggered by size after an import too (batched head updates)', async () => {
    const { dir, remove } = await tempDir('gitty-compact-');
    try {
      const driver = await openFiles(dir, { compactAt: 2000, compactRatio: 2 });
      const store = await openStore(driver);
      const report = await store.import(Array.from({ length: 60 }, (_, i) => ({ name: `f${i}.txt`, data: `file ${i}` })));
      await driver.compaction!.idle();
      expect((await driver.stats()).headLogCompactions).toBe(1);
      await store.close();
      const again = await openStore(await openFiles(dir));
      for (const [name, head] of Object.entries(report.heads)) expect(await again.head(name)).toBe(head);
      await again.close();
    } finally {
      await remove();
    }
  });

  it('a failure to look at the log after a write is kept in lastError, never thrown at the acknowledged write', async () => {
    const { dir, remove } = await tempDir('gitty-compact-');
    try {
      const driver = await openFiles(dir, { compactAt: 1 });
      const writable = fs as unknown as Record<string, unknown>;
      const original = writable.statSync;
      writable.statSync = () => {
        throw Object.assign(new Error('i/o error'), { code: 'EIO' });
      };
      syncBuiltinESMExports();
      try {
        expect(() => driver.compaction!.afterWrite()).not.toThrow();
      } finally {
        writable.statSync = original;
        syncBuiltinESMExports();
      }
      expect(driver.compaction!.lastError).toMatchObject({ code: 'EIO' });
      await driver.close();
    } finally {
      await remove();
    }
  });

  it('rejects bad compactAt / compactRatio options', async () => {
    const { dir, remove } = await tempDir('gitty-compact-');
    try {
      await expect(openFiles(dir, { compactAt: -1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await expect(openFiles(dir, { compactAt: 'big' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await expect(openFiles(dir, { compactRatio: 1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await (await openFiles(dir, { compactAt: false, compactRatio: 3 })).close();
    } finally {
      await remove();
    }
  });
});

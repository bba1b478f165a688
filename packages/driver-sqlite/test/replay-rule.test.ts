import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDriverContext, encodeCommit, openStore, type FileEntry, type HeadChange, type Store } from '@gitty/core';
import { HeadLog, LooseObjects, createDriver as createFilesDriver, storeLayout } from '@gitty/driver-files';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import path from 'node:path';
import { createDriver } from '../src/factory.js';
import { IndexCatchUp } from '../src/catch-up.js';
import { IndexDb } from '../src/index-db.js';
import { LooseObjectsDriver } from '../src/loose-driver.js';
import { INDEX_FILE } from '../src/schema.js';
import { HeadWatch } from '../src/head-watch.js';
import type { HeadLogAccess } from '../src/head-log-port.js';

// The head log's replay rule (driver-files' README): a line applies only when its `old` is the
// head at its place. A writer that stalls past `lockStale` loses the lock and can still append
// a change from the head the winner already moved: that line is void for every reader, so the
// sqlite index must not make it the head. And a line holding NUL bytes (NFS showing a line's
// place before its bytes) is read again under the lock, never skipped for good.

const openSqlite = async (dir: string): Promise<Store> =>
  openStore(await createDriver({ dir, durability: 'none', throttleMs: 0 }, defaultDriverContext()));
const openFiles = async (dir: string): Promise<Store> =>
  openStore(await createFilesDriver({ dir, durability: 'none', pollInterval: 0, watchLog: false }, defaultDriverContext()));

async function listing(store: Store): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for await (const entry of store.files() as AsyncIterable<FileEntry>) out.push([entry.name, entry.head]);
  return out;
}

/** A commit of `name` from `previous` that no CAS made the head: the loser of a lost lock. */
async function losersCommit(store: Store, name: string, previous: string, text: string): Promise<string> {
  const data = await store.save(text);
  return store.save(encodeCommit({ name, data, previous, time: Date.now() / 1000 }), 'commit');
}

const line = (name: string, old: string | null, next: string | null) => `${JSON.stringify({ name, old, new: next })}\n`;

describe('the sqlite index follows the head log\'s replay rule', () => {
  it('leaves a void line (a second change from the same old head) out, in a tail and in a rebuild, as the files driver does', async () => {
    const temp = await tempDir('gitty-sqlite-replay-');
    const sqlite = await openSqlite(temp.dir);
    let files: Store | undefined;
    try {
      const one = await sqlite.create('a.txt', 'one\n');
      const two = await sqlite.update('a.txt', 'two\n', { previous: one.commit });
      const lost = await losersCommit(sqlite, 'a.txt', one.commit, 'lost\n');
      const b = await sqlite.create('b.txt', 'bee\n');
      const b2 = await losersCommit(sqlite, 'b.txt', b.commit, 'bee two\n');
      // The stalled writer's line lands after the winner's; a valid change follows it.
      await appendFile(storeLayout(temp.dir).headLog, line('a.txt', one.commit, lost) + line('b.txt', b.commit, b2));
      await sqlite.rescan();
      files = await openFiles(temp.dir);
      expect(await files.head('a.txt')).toBe(two.commit);
      expect(await sqlite.head('a.txt')).toBe(two.commit);
      expect(await sqlite.head('b.txt')).toBe(b2);
      expect((await sqlite.get('a.txt')).text).toBe('two\n');
      expect(await listing(sqlite)).toEqual(await listing(files));
      expect((await sqlite.search('lost')).length).toBe(0);
      // A CAS compares with the head the log's rule gives.
      await expect(sqlite.update('a.txt', 'stale\n', { previous: lost })).rejects.toMatchObject({ code: 'NOT_AT_HEAD', head: two.commit });
      await sqlite.reindex();
      expect(await sqlite.head('a.txt')).toBe(two.commit);
      expect(await listing(sqlite)).toEqual(await listing(files));
      const three = await sqlite.update('a.txt', 'three\n', { previous: two.commit });
      await files.rescan();
      expect(await files.head('a.txt')).toBe(three.commit);
    } finally {
      await files?.close();
      await sqlite.close();
      await temp.remove();
    }
  });

  it('corrects an index that went wrong (one an older version built applying a void line) at the next line that does not fit it', async () => {
    const temp = await tempDir('gitty-sqlite-replay-drift-');
    const sqlite = await openSqlite(temp.dir);
    let files: Store | undefined;
    try {
      const one = await sqlite.create('a.txt', 'one\n');
      const two = await sqlite.update('a.txt', 'two\n', { previous: one.commit });
      const lost = await losersCommit(sqlite, 'a.txt', one.commit, 'lost\n');
      await sqlite.create('b.txt', 'bee\n');
      // What applying a void line last-wins left in an index: its head, not the log's.
      const index = IndexDb.open(path.join(temp.dir, INDEX_FILE));
      index.db.prepare('UPDATE heads SET head = ? WHERE name = ?').run(lost, 'a.txt');
      index.close();
      files = await openFiles(temp.dir);
      const three = await files.update('a.txt', 'three\n', { previous: two.commit });
      await sqlite.rescan();
      expect(await sqlite.head('a.txt')).toBe(three.commit);
      expect((await sqlite.get('a.txt')).text).toBe('three\n');
      expect(await listing(sqlite)).toEqual(await listing(files));
      const four = await sqlite.update('a.txt', 'four\n', { previous: three.commit });
      await files.rescan();
      expect(await files.head('a.txt')).toBe(four.commit);
    } finally {
      await files?.close();
      await sqlite.close();
      await temp.remove();
    }
  });

  it('leaves out a void line appended while a rebuild loads objects (the rebuild reads the new lines before it commits)', async () => {
    const temp = await tempDir('gitty-sqlite-replay-rebuild-');
    const sqlite = await openSqlite(temp.dir);
    let one: string;
    let two: string;
    let lost: string;
    try {
      one = (await sqlite.create('a.txt', 'one\n')).commit;
      two = (await sqlite.update('a.txt', 'two\n', { previous: one })).commit;
      lost = await losersCommit(sqlite, 'a.txt', one, 'lost\n');
    } finally {
      await sqlite.close();
    }
    const layout = storeLayout(temp.dir);
    const context = defaultDriverContext();
    const objects = new LooseObjectsDriver(new LooseObjects({ root: layout.objects, compression: context.compression, maxObjectSize: context.maxObjectSize }));
    const index = IndexDb.open(path.join(temp.dir, INDEX_FILE));
    try {
      let hooked = false;
      const load = async (hash: string) => {
        // The first object load happens after the rebuild read the log: the stalled writer's line lands now.
        if (!hooked) {
          hooked = true;
          await appendFile(layout.headLog, line('a.txt', one, lost));
        }
        return objects.loadObject(hash);
      };
      await new IndexCatchUp(index, new HeadLog(layout.headLog, { durability: 'none' }), load).rebuild();
      expect(hooked).toBe(true);
      expect(index.getHead('a.txt')).toBe(two);
      expect(index.position()?.offset).toBe((await readFile(layout.headLog)).length);
    } finally {
      index.close();
      await objects.close();
      await temp.remove();
    }
  });

  it('reads a line holding NUL bytes again under the lock instead of skipping it for good', async () => {
    const temp = await tempDir('gitty-sqlite-nul-');
    const writer = await openFiles(temp.dir);
    try {
      const a = await writer.create('a.txt', 'one\n');
      const b = await writer.create('b.txt', 'bee\n');
      const a2 = await writer.update('a.txt', 'two\n', { previous: a.commit });
      const b2 = await writer.update('b.txt', 'bee two\n', { previous: b.commit });
      const file = storeLayout(temp.dir).headLog;
      const lineA = line('a.txt', a.commit, a2.commit);
      const lineB = line('b.txt', b.commit, b2.commit);
      // The log as it was before the two updates' lines.
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.slice(0, text.indexOf(lineA)));

      const reader = await openSqlite(temp.dir);
      try {
        expect(await reader.head('a.txt')).toBe(a.commit);
        const log = new HeadLog(file, { durability: 'none' });
        let rescan: Promise<unknown> = Promise.resolve();
        await log.withLock(async () => {
          // A writer appended both lines; the reader sees the first one's place as NUL bytes.
          const start = (await readFile(file)).length;
          await appendFile(file, Buffer.concat([Buffer.alloc(Buffer.byteLength(lineA)), Buffer.from(lineB)]));
          let settled = false;
          rescan = reader.rescan().then(() => (settled = true));
          await waitFor(async () => settled || ((await reader.driver.stats?.()) ?? {}).headLogNulRereads! > 0, 30_000);
          // The bytes arrive before the writer releases the lock.
          const fd = openSync(file, 'r+');
          writeSync(fd, lineA, start);
          closeSync(fd);
        });
        await rescan;
        expect(await reader.head('a.txt')).toBe(a2.commit);
        expect(await reader.head('b.txt')).toBe(b2.commit);
        expect((await reader.get('a.txt')).text).toBe('two\n');
        expect(await listing(reader)).toEqual(await listing(writer));
        expect(((await reader.driver.stats?.()) ?? {}).headLogNulRereads).toBe(1);
      } finally {
        await reader.close();
      }
    } finally {
      await writer.close();
      await temp.remove();
    }
  });
});

describe('a line of NUL bytes that never gets its bytes (garbage, e.g. left by a crash on NFS)', () => {
  it('is passed under the lock, and reindex() and a fresh index get past it', async () => {
    const temp = await tempDir('gitty-sqlite-nul-garbage-');
    const sqlite = await openSqlite(temp.dir);
    try {
      const a = await sqlite.create('a.txt', 'one\n');
      await appendFile(storeLayout(temp.dir).headLog, Buffer.concat([Buffer.alloc(40), Buffer.from('\n')]));
      await sqlite.rescan();
      const b = await sqlite.create('b.txt', 'bee\n');
      expect(((await sqlite.driver.stats?.()) ?? {}).headLogNulRereads).toBe(1);
      // The shared index is past the line: a rebuild that stops before it must not spin.
      await sqlite.reindex();
      expect(await listing(sqlite)).toEqual([['a.txt', a.commit], ['b.txt', b.commit]]);
    } finally {
      await sqlite.close();
    }
    const reopened = await openSqlite(temp.dir);
    try {
      expect((await reopened.head('b.txt'))).toBeDefined();
    } finally {
      await reopened.close();
      await temp.remove();
    }
  }, 30_000);
});

describe('watch (HeadWatch) follows the replay rule and waits for NUL lines', () => {
  it('does not report a void line, and reports a line read as NUL bytes once its bytes arrived', async () => {
    const temp = await tempDir('gitty-sqlite-watch-rule-');
    const writer = await openFiles(temp.dir);
    const file = storeLayout(temp.dir).headLog;
    const log = new HeadLog(file, { durability: 'none' });
    // The log as the watch sees it, telling when a read waits for the lock.
    let lockWanted = false;
    const seen: HeadLogAccess = {
      file, strict: log.strict,
      readFrom: (from) => log.readFrom(from),
      scan: (from, visit, options) => log.scan(from, visit, options),
      append: (at, changes) => log.append(at, changes),
      withLock: (work) => {
        lockWanted = true;
        return log.withLock(work);
      },
    };
    const watch = new HeadWatch(seen, 60_000);
    const reported: HeadChange[] = [];
    try {
      const one = await writer.create('a.txt', 'one\n');
      watch.add((change) => reported.push(change), (await log.readFrom())!);
      const two = await writer.update('a.txt', 'two\n', { previous: one.commit });
      await watch.poll();
      const lost = await losersCommit(writer, 'a.txt', one.commit, 'lost\n');
      const b = await writer.create('b.txt', 'bee\n');
      await appendFile(file, line('a.txt', one.commit, lost));
      const c = await writer.create('c.txt', 'sea\n');
      await watch.poll();
      expect(reported).toEqual([
        { name: 'a.txt', old: one.commit, new: two.commit },
        { name: 'b.txt', old: null, new: b.commit },
        { name: 'c.txt', old: null, new: c.commit },
      ]);
      // Two more changes; the watch sees the first one's place as NUL bytes.
      const three = await losersCommit(writer, 'a.txt', two.commit, 'three\n');
      const b2 = await losersCommit(writer, 'b.txt', b.commit, 'bee two\n');
      const lineA = line('a.txt', two.commit, three);
      let polled: Promise<void> = Promise.resolve();
      await log.withLock(async () => {
        const start = (await readFile(file)).length;
        await appendFile(file, Buffer.concat([Buffer.alloc(Buffer.byteLength(lineA)), Buffer.from(line('b.txt', b.commit, b2))]));
        let settled = false;
        polled = watch.poll().then(() => void (settled = true));
        await waitFor(() => settled || lockWanted, 30_000);
        const fd = openSync(file, 'r+');
        writeSync(fd, lineA, start);
        closeSync(fd);
      });
      await polled;
      expect(reported.slice(3)).toEqual([
        { name: 'a.txt', old: two.commit, new: three },
        { name: 'b.txt', old: b.commit, new: b2 },
      ]);
    } finally {
      watch.stop();
      await writer.close();
      await temp.remove();
    }
  });
});

// The index is a cache of the head log and the objects: when index.sqlite is truncated or
// deleted under a running process (the chaos campaign's `sqlite-index` nemesis), that process
// must rebuild it and answer correctly, not fail every call with SQLITE_NOTADB until restarted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultDriverContext, openStore, type FileEntry, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';
import { INDEX_FILE } from '../src/schema.js';
import { isDamage } from '../src/index-db.js';

async function collect(files: AsyncIterable<FileEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of files) out.push(`${entry.name}@${entry.head}`);
  return out;
}

describe('an index damaged under an open driver', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let store: Store;
  let index: string;

  beforeEach(async () => {
    temp = await tempDir('gitty-sqlite-damage-');
    index = join(temp.dir, INDEX_FILE);
    store = await openStore(await createDriver({ dir: temp.dir, throttleMs: 0, durability: 'none' }, defaultDriverContext()));
    for (let i = 0; i < 40; i++) await store.create(`file${i}.pl`, `alpha ${i} ${'x'.repeat(2000)}`);
    // Move the pages from the WAL into the main file, so that truncating it destroys them.
    const other = new Database(index);
    other.pragma('wal_checkpoint(TRUNCATE)');
    other.close();
  });
  afterEach(async () => {
    await store.close();
    await temp.remove();
  });

  async function expectHealthy(): Promise<void> {
    const first = await store.head('file0.pl');
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(await collect(store.files())).toHaveLength(40);
    expect((await store.search('alpha')).length).toBe(40);
    const next = await store.update('file0.pl', 'changed', { previous: first! });
    expect(await store.head('file0.pl')).toBe(next.commit);
    expect((await store.history('file0.pl')).history.map((c) => c.commit)).toEqual([next.commit, first]);
    // Exactly one log line for that update: the retry after the rebuild did not append it twice.
    const lines = readFileSync(join(temp.dir, 'ref', 'head'), 'utf8').split('\n').filter((line) => line.includes(next.commit));
    expect(lines).toHaveLength(1);
    const created = await store.create('after.pl', 'after');
    expect(await store.head('after.pl')).toBe(created.commit);
    expect(await collect(store.files())).toHaveLength(41);
  }

  it('rebuilds after index.sqlite is truncated to 0 bytes', async () => {
    truncateSync(index, 0);
    await expectHealthy();
  });

  it('rebuilds after index.sqlite is truncated to half its size', async () => {
    truncateSync(index, Math.floor(statSync(index).size / 2));
    await expectHealthy();
  });

  it('rebuilds after index.sqlite and its -wal/-shm are deleted', async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(index + suffix, { force: true });
    await expectHealthy();
    // A new file at the path, which another process would see too.
    expect(statSync(index).size).toBeGreaterThan(0);
  });

  it('rebuilds when the first call after the damage is an update', async () => {
    truncateSync(index, Math.floor(statSync(index).size / 3));
    const head = await store.head('file1.pl').catch(() => undefined);
    // Whatever a read said, the update is compared against the head log's truth.
    const truth = (await store.history('file1.pl')).history[0]!.commit;
    expect(head === undefined || head === truth).toBe(true);
    const next = await store.update('file1.pl', 'one', { previous: truth });
    expect(await store.head('file1.pl')).toBe(next.commit);
  });

  // The chaos mixed row (5 minutes): raw SQLITE_CORRUPT, SQLITE_ERROR and SQLITE_SCHEMA reached
  // callers. A reindex (gitty reindex, the row's maintenance) was the call not guarded.
  it.each([
    ['truncated to half its size', () => truncateSync(index, Math.floor(statSync(index).size / 2))],
    ['deleted with its -wal/-shm', () => { for (const suffix of ['', '-wal', '-shm']) rmSync(index + suffix, { force: true }); }],
  ])('a reindex right after the index is %s rebuilds it instead of failing with a raw SQLite error', async (_what, damage) => {
    damage();
    await store.driver.reindex!();
    await expectHealthy();
  });

  it('an index another process replaced with an empty database (no tables) is rebuilt, not "no such table"', async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(index + suffix, { force: true });
    const empty = new Database(index);
    empty.pragma('journal_mode = WAL');
    empty.prepare('CREATE TABLE unrelated (x)').run();
    empty.close();
    await expectHealthy();
  });

  it('counts as damage (rebuild and retry) what a replaced file gives: SQLITE_SCHEMA, a missing table or column; not other errors', () => {
    const sqlite = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(isDamage(sqlite('SQLITE_SCHEMA', 'database schema has changed'))).toBe(true);
    expect(isDamage(sqlite('SQLITE_ERROR', 'no such table: heads'))).toBe(true);
    expect(isDamage(sqlite('SQLITE_ERROR', 'no such column: text'))).toBe(true);
    expect(isDamage(sqlite('SQLITE_CORRUPT_INDEX', 'database disk image is malformed'))).toBe(true);
    expect(isDamage(sqlite('SQLITE_ERROR', 'near "x": syntax error'))).toBe(false);
    expect(isDamage(sqlite('SQLITE_BUSY', 'database is locked'))).toBe(false);
    expect(isDamage(sqlite('SQLITE_FULL', 'database or disk is full'))).toBe(false);
    expect(isDamage(null)).toBe(false);
    expect(isDamage(new Error('no such table: heads'))).toBe(false);
  });
});

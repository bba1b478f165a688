import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultDriverContext, openStore, type FileEntry, type Progress, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';
import { removeIndexFiles } from '../src/index-db.js';
import { INDEX_FILE } from '../src/schema.js';
import { populate } from './support/random-store.js';

async function open(dir: string, progress: Progress[] = []): Promise<Store> {
  return openStore(await createDriver({ dir }, defaultDriverContext({ onProgress: (p) => progress.push(p) })));
}

async function collect(files: AsyncIterable<FileEntry>): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for await (const entry of files) out.push(entry);
  return out;
}

/** Everything a reader can ask the index: listings, a filtered page, search, history, heads. */
async function answers(store: Store): Promise<unknown> {
  const all = await collect(store.files());
  const someName = all[Math.floor(all.length / 2)]!.name;
  return {
    all,
    page: await collect(store.files({ order: 'time', tag: 'draft', limit: 7, offset: 2 })),
    byAuthor: await collect(store.files({ author: 'bob', ext: 'pl' })),
    search: await store.search('alp'),
    short: await store.search('ß'),
    history: await store.history(someName, { depth: 10 }),
    heads: await Promise.all(all.map((entry) => store.head(entry.name))),
  };
}

describe('a missing, damaged or stale index', () => {
  let template: { dir: string; remove: () => Promise<void> };
  let temp: { dir: string; remove: () => Promise<void> };
  let before: unknown;

  // One populated store, copied for each test (each test damages its copy's index).
  beforeAll(async () => {
    template = await tempDir('gitty-sqlite-template-');
    const store = await open(template.dir);
    await populate([store], 150, 7);
    before = await answers(store);
    await store.close();
  });
  afterAll(async () => template?.remove());
  beforeEach(async () => {
    temp = await tempDir('gitty-sqlite-rebuild-');
    cpSync(template.dir, temp.dir, { recursive: true });
  });
  afterEach(async () => temp.remove());

  async function reopenExpectingRebuild(): Promise<void> {
    const progress: Progress[] = [];
    const store = await open(temp.dir, progress);
    try {
      expect(progress.some((p) => p.phase === 'sqlite-reindex' && p.done === p.total && (p.total ?? 0) > 100)).toBe(true);
      expect(await answers(store)).toEqual(before);
    } finally {
      await store.close();
    }
  }

  it('is rebuilt from the objects and the head log when deleted, with identical answers', async () => {
    removeIndexFiles(join(temp.dir, INDEX_FILE));
    await reopenExpectingRebuild();
  });

  it('is rebuilt when the file holds garbage bytes', async () => {
    removeIndexFiles(join(temp.dir, INDEX_FILE));
    writeFileSync(join(temp.dir, INDEX_FILE), Buffer.alloc(64 * 1024, 'garbage! '));
    await reopenExpectingRebuild();
  });

  it('is rebuilt when it was built against another epoch of the head log', async () => {
    const db = new Database(join(temp.dir, INDEX_FILE));
    db.prepare("UPDATE meta SET value = 'another epoch' WHERE key = 'epoch'").run();
    db.prepare("UPDATE heads SET head = 'stale'").run();
    db.close();
    await reopenExpectingRebuild();
  });

  it('opens without a rebuild when it is current', async () => {
    const progress: Progress[] = [];
    const store = await open(temp.dir, progress);
    try {
      expect(progress.filter((p) => p.phase === 'sqlite-reindex')).toEqual([]);
      expect(await answers(store)).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it('reindex() rebuilds in place with identical answers', async () => {
    const store = await open(temp.dir);
    try {
      const progress: Progress[] = [];
      await store.reindex({ onProgress: (p) => progress.push(p) });
      expect(progress.at(-1)).toMatchObject({ phase: 'sqlite-reindex', done: progress.at(-1)?.total });
      expect(await answers(store)).toEqual(before);
    } finally {
      await store.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultDriverContext, openStore } from '@gitty/core';
import { HeadLog, createDriver as createFilesDriver, storeLayout } from '@gitty/driver-files';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';
import { INDEX_FILE } from '../src/schema.js';
import { writeBulkIndex, writeBulkObjects, type BulkStore } from './support/bulk-store.js';
import { spyOnFileAccess } from './support/fs-spy.js';

const FILES = 100_000;

describe(`a store of ${FILES.toLocaleString('en')} files with its index in place`, () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let bulk: BulkStore;

  beforeAll(async () => {
    temp = await tempDir('gitty-sqlite-100k-');
    // The files driver lays out the store and starts its head log (the epoch line) …
    await (await createFilesDriver({ dir: temp.dir }, defaultDriverContext())).close();
    // … then the objects, the log lines and the index are written in bulk, as a long-lived
    // store would have them (the Store API would take minutes for 100k files).
    bulk = await writeBulkObjects(temp.dir, { files: FILES });
    const log = storeLayout(temp.dir).headLog;
    appendFileSync(log, bulk.changes.map((change) => JSON.stringify(change) + '\n').join(''));
    const { epoch, offset } = (await new HeadLog(log).readFrom())!;
    writeBulkIndex(join(temp.dir, INDEX_FILE), bulk, { epoch, offset });
  }, 120_000);
  // Removing 100k files can take more than the default hook time with another file beside this one.
  afterAll(async () => temp?.remove(), 180_000);

  it('opens without opening or listing a single object file, and serves the first get', async () => {
    const spy = spyOnFileAccess();
    const started = performance.now();
    let openedAt: number;
    const store = await openStore(await createDriver({ dir: temp.dir }, defaultDriverContext()));
    try {
      openedAt = performance.now();
      // The journal folder is looked at once (a crashed files-driver writer's journal is sealed at open); no object file is.
      const objectsPaths = spy.paths.filter((path) => path.includes(`${sep}objects`) && !path.endsWith(`${sep}objects${sep}journal`));
      spy.stop();
      expect(objectsPaths).toEqual([]);
      const last = bulk.files.at(-1)!;
      const version = await store.get(last.commit.name);
      const firstGet = performance.now();
      expect(version.text).toBe(last.text);
      expect(version.commit).toEqual(last.commit);
      console.log(`open of ${FILES} files: ${(openedAt - started).toFixed(1)} ms; open + first get: ${(firstGet - started).toFixed(1)} ms`);
      const exams = [];
      for await (const entry of store.files({ tag: 'exam', order: 'time', limit: 3 })) exams.push(entry.name);
      expect(exams).toEqual(['file099995.pl', 'file099990.md', 'file099985.pl']);
    } finally {
      spy.stop();
      await store.close();
    }
  });
});

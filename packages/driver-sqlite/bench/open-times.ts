// Open times of one store through three drivers: sqlite (index in place), files with its head
// log, and files without a log (a scan of every commit). Workload: N files × V versions written
// in bulk (see test/support/bulk-store.ts). Measures open + the first get, median of 3 runs.
// Run: npx tsx --conditions=gitty-source bench/open-times.ts [10000x1 100000x1 10000x10]
import { appendFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultDriverContext, openStore, type Driver } from '@gitty/core';
import { HeadLog, createDriver as createFilesDriver, storeLayout } from '@gitty/driver-files';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver as createSqliteDriver } from '../src/factory.js';
import { INDEX_FILE } from '../src/schema.js';
import { writeBulkIndex, writeBulkObjects } from '../test/support/bulk-store.js';

async function timeOpen(open: () => Promise<Driver>, name: string, before?: () => void): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    before?.();
    const started = performance.now();
    const store = await openStore(await open());
    await store.get(name);
    runs.push(performance.now() - started);
    await store.close();
  }
  return runs.sort((a, b) => a - b)[1]!;
}

const workloads = process.argv.slice(2).length ? process.argv.slice(2) : ['10000x1', '100000x1', '10000x10'];
console.log('| files × versions | sqlite (ms) | files + log (ms) | files, no log: scan (ms) | scan / sqlite |');
console.log('| --- | --- | --- | --- | --- |');
for (const workload of workloads) {
  const [files, versions] = workload.split('x').map(Number) as [number, number];
  const temp = await tempDir('gitty-bench-open-');
  try {
    const context = defaultDriverContext();
    await (await createFilesDriver({ dir: temp.dir }, context)).close();
    const bulk = await writeBulkObjects(temp.dir, { files, versions });
    const log = storeLayout(temp.dir).headLog;
    appendFileSync(log, bulk.changes.map((change) => JSON.stringify(change) + '\n').join(''));
    const { epoch, offset } = (await new HeadLog(log).readFrom())!;
    writeBulkIndex(join(temp.dir, INDEX_FILE), bulk, { epoch, offset });
    const name = bulk.files.at(-1)!.commit.name;

    const sqlite = await timeOpen(() => createSqliteDriver({ dir: temp.dir }, context), name);
    const withLog = await timeOpen(() => createFilesDriver({ dir: temp.dir }, context), name);
    // Without a log the files driver scans every commit (and writes a new log): hide the log each run.
    renameSync(log, `${log}.kept`);
    const scan = await timeOpen(() => createFilesDriver({ dir: temp.dir }, context), name, () => rmSync(log, { force: true }));
    console.log(`| ${files} × ${versions} | ${sqlite.toFixed(1)} | ${withLog.toFixed(1)} | ${scan.toFixed(0)} | ${(scan / sqlite).toFixed(0)}× |`);
  } finally {
    await temp.remove();
  }
}

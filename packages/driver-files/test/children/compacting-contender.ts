// A contender (see contender.ts) whose store compacts its head log often: by size (a tiny
// compactAt) and, every 25 operations, as gc does. It watches the store and prints, when the
// parent writes a line to stdin, its view of every head and every head it learnt of (its own
// acknowledged commits and the changes the watch reported).
import { createInterface } from 'node:readline';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver, type FilesDriver } from '@gitty/driver-files';
import { contend } from './contend.js';

const [dir, id, opsArg, namesArg] = process.argv.slice(2) as [string, string, string, string];
const driver = (await createDriver({ dir, durability: 'none', pollInterval: 20, compactAt: process.env.NO_COMPACT ? false : 4096, compactRatio: 1.5 }, defaultDriverContext())) as FilesDriver;
const store = await openStore(driver);
const learnt = new Set<string>();
driver.watch((change) => {
  if (change.new) learnt.add(change.new);
});
// Start together: a change made before this process opened the store is no news to it.
process.stdout.write('ready\n');
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
await lines.next();
await contend(store, id, Number(opsArg), Number(namesArg), {
  acknowledged: (commit) => learnt.add(commit),
  afterOp: async (op) => {
    if (op % 25 === 24 && !process.env.NO_COMPACT) await driver.compaction!.compact();
  },
});
process.stdout.write('finished\n');
if (!(await lines.next()).done) {
  await store.rescan();
  const heads: Record<string, string> = {};
  for await (const { name, head } of store.driver.heads()) heads[name] = head;
  const stats = await driver.stats();
  process.stdout.write(JSON.stringify({ heads, learnt: [...learnt], compactions: stats.headLogCompactions, error: String(driver.compaction!.lastError ?? '') }) + '\n');
}
input.close();
process.stdin.destroy();
await store.close();

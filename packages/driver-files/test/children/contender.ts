// A child process that creates/updates a shared set of names, retrying on lost races. It prints
// "ready" once its store is open and starts when the parent writes a line to stdin (so all
// contenders race from the first operation, whatever their start-up took), then one JSON line
// per acknowledged commit, "finished" when done, and — when the parent writes another line —
// its view of every head after a rescan.
import { createInterface } from 'node:readline';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';
import { contend } from './contend.js';

const [dir, id, opsArg, namesArg] = process.argv.slice(2) as [string, string, string, string];
const store = await openStore(await createDriver({ dir, durability: 'none', pollInterval: 20 }, defaultDriverContext()));
process.stdout.write('ready\n');
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
await lines.next();
await contend(store, id, Number(opsArg), Number(namesArg));
process.stdout.write('finished\n');
if (!(await lines.next()).done) {
  await store.rescan();
  const heads: Record<string, string> = {};
  for await (const { name, head } of store.driver.heads()) heads[name] = head;
  process.stdout.write(JSON.stringify({ heads }) + '\n');
}
input.close();
// The stdin pipe would keep this process alive after the report.
process.stdin.destroy();
await store.close();

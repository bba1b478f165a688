// A child process that creates/updates a shared set of names, retrying on lost races. It prints
// one JSON line per acknowledged commit, "finished" when done, and — when the parent writes a
// line to stdin — its view of every head after a rescan.
import { createInterface } from 'node:readline';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';
import { contend } from './contend.js';

const [dir, id, opsArg, namesArg] = process.argv.slice(2) as [string, string, string, string];
const store = await openStore(await createDriver({ dir, durability: 'none', pollInterval: 20 }, defaultDriverContext()));
await contend(store, id, Number(opsArg), Number(namesArg));
process.stdout.write('finished\n');
const input = createInterface({ input: process.stdin });
for await (const _line of input) {
  await store.rescan();
  const heads: Record<string, string> = {};
  for await (const { name, head } of store.driver.heads()) heads[name] = head;
  process.stdout.write(JSON.stringify({ heads }) + '\n');
  break;
}
input.close();
// The stdin pipe would keep this process alive after the report.
process.stdin.destroy();
await store.close();

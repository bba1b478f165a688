// A repacking process: repacks (and now and then unpacks) in a loop and reads every head's
// version, until the file `stop` appears in the store folder; prints "repacks <n>" at the end.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openStore, registerDriver } from '@gitty/core';
import { createDriver } from '../../src/index.js';

const [dir] = process.argv.slice(2);
registerDriver('packs', createDriver);
const store = await openStore({ driver: 'packs', dir: dir! });
let repacks = 0;
while (!existsSync(path.join(dir!, 'stop'))) {
  const report = await store.repack({ minFiles: 1, smallPack: repacks % 3 === 2 ? 0 : 10 * 1024 * 1024 });
  if (report.pack) repacks++;
  if (repacks % 7 === 6) await store.unpack();
  await store.rescan();
  for await (const entry of store.files()) {
    const version = await store.get(entry.head);
    if (!version.text.startsWith(entry.name)) throw new Error(`head of ${entry.name} reads wrong`);
  }
  await new Promise((r) => setTimeout(r, 20));
}
await store.close();
process.stdout.write(`repacks ${repacks}\n`);

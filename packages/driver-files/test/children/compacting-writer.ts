// A child that changes heads and compacts the head log on command, so a reader in the parent
// (another process) crosses compactions. Commands on stdin, one per line:
//   update <name> <text>   → "ok <commit>"      (create when the name has no head)
//   delete <name>          → "ok"
//   compact                → "compacted <epoch>"  (the driver's compaction, as gc runs it)
//   quit
import { createInterface } from 'node:readline';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver, type FilesDriver } from '@gitty/driver-files';

const [dir] = process.argv.slice(2) as [string];
const driver = (await createDriver({ dir, durability: 'none', pollInterval: 0, compactAt: false }, defaultDriverContext())) as FilesDriver;
const store = await openStore(driver);
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, name, ...rest] = line.split(' ');
  if (command === 'update') {
    const head = await store.head(name!);
    const commit = head ? await store.update(name!, rest.join(' '), { previous: head }) : await store.create(name!, rest.join(' '));
    process.stdout.write(`ok ${commit.commit}\n`);
  } else if (command === 'delete') {
    await store.delete(name!);
    process.stdout.write('ok\n');
  } else if (command === 'compact') {
    const report = await driver.compaction!.compact();
    process.stdout.write(`compacted ${report?.epoch}\n`);
  } else {
    break;
  }
}
process.stdin.destroy();
await store.close();

// Updates the given names in turn (CAS from the head it reads, retried on NOT_AT_HEAD) and
// prints every acknowledged commit as a JSON line: the rival of a bulk import in another process.
// Usage: updater.ts <files|packs> <dir> <updates> <name>...
import { isGittyError, openStore, registerDriver } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { createDriver } from '../../src/index.js';

const [driver, dir, countArg, ...names] = process.argv.slice(2);
registerDriver('packs', createDriver);
registerDriver('files', createFilesDriver);
const store = await openStore({ driver: driver!, dir: dir!, durability: 'none' });
process.stdout.write('ready\n');
for (let i = 0; i < Number(countArg); i++) {
  const name = names[i % names.length]!;
  for (;;) {
    await store.rescan();
    const head = await store.head(name);
    try {
      const commit = head ? await store.update(name, `update ${i} by ${process.pid}\n`, { previous: head }) : await store.create(name, `create ${i} by ${process.pid}\n`);
      process.stdout.write(`${JSON.stringify({ name, commit: commit.commit })}\n`);
      break;
    } catch (err) {
      if (!isGittyError(err, 'NOT_AT_HEAD') && !isGittyError(err, 'FILE_EXISTS')) throw err;
    }
  }
}
await store.close();

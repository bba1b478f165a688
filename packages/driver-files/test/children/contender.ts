// A child process that creates/updates a shared set of names, retrying on lost races. It prints
// one JSON line per acknowledged commit, "finished" when done, and — when the parent writes a
// line to stdin — its view of every head after a rescan.
import { createInterface } from 'node:readline';
import { defaultDriverContext, isGittyError, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, id, opsArg, namesArg] = process.argv.slice(2) as [string, string, string, string];
const store = await openStore(await createDriver({ dir, durability: 'none', pollInterval: 20 }, defaultDriverContext()));
const names = Array.from({ length: Number(namesArg) }, (_, i) => `file-${i}.txt`);
let seed = Number(id) * 7919 + 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

for (let op = 0; op < Number(opsArg); op++) {
  const name = names[Math.floor(random() * names.length)]!;
  for (;;) {
    try {
      const head = await store.head(name);
      const data = `${name} by ${id} op ${op}\n`;
      const commit = head ? await store.update(name, data, { previous: head }) : await store.create(name, data);
      process.stdout.write(JSON.stringify({ name, commit: commit.commit }) + '\n');
      break;
    } catch (err) {
      if (!isGittyError(err, 'NOT_AT_HEAD') && !isGittyError(err, 'FILE_EXISTS')) throw err;
      await store.rescan();
    }
  }
}
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

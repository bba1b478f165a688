// A child that writes in a loop (fsync durability) and prints "done <name> <commit>" after each
// acknowledged update, so the parent can SIGKILL it at any moment and check what survived.
// It starts writing when the parent sends a line on stdin, so the parent can start the next
// writer (tsx start-up) while it checks the store after the previous kill.
import { once } from 'node:events';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, round] = process.argv.slice(2) as [string, string];
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
// lockStale at its minimum: a writer killed inside the lock delays the next one by at most 2 s.
const store = await openStore(await createDriver({ dir, durability: 'fsync', lockStale: 2000 }, defaultDriverContext()));
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const name = `crash-${i % 5}.txt`;
  const head = await store.head(name);
  const data = `round ${round} write ${i}\n`.repeat(1 + (i % 40));
  const commit = head ? await store.update(name, data, { previous: head }) : await store.create(name, data);
  process.stdout.write(`done ${name} ${commit.commit}\n`);
}

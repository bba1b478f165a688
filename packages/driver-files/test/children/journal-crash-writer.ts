// A child that writes with the object journal on (`journal: true`) from several concurrent
// writers, each on its own name, and prints one JSON line {"name","commit","data"} per
// acknowledged version, so the parent can SIGKILL it at any moment and check what survived.
// Concurrent writers make one journal append and flush cover several records. It opens the
// store only when the parent sends a line on stdin: the parent starts it early (tsx start-up)
// and must be able to damage the previous writer's journal before anyone opens the store.
import { once } from 'node:events';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, durability, round, writersArg] = process.argv.slice(2) as [string, 'fsync' | 'none', string, string];
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
// lockStale at its minimum: a writer killed inside the head log's lock delays the next one by at most 2 s.
const store = await openStore(await createDriver({ dir, durability, journal: true, lockStale: 2000, pollInterval: 20 }, defaultDriverContext()));
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: Number(writersArg) }, async (_, w) => {
  const name = `journal-${w}.txt`;
  for (let i = 0; ; i++) {
    const head = await store.head(name);
    // Sizes from a line to a few KiB, so records and groups differ in length.
    const data = `round ${round} writer ${w} write ${i}\n`.repeat(1 + ((i * 7 + w) % 120));
    const commit = head ? await store.update(name, data, { previous: head }) : await store.create(name, data);
    process.stdout.write(`${JSON.stringify({ name, commit: commit.commit, data })}\n`);
  }
}));

// A child writing with the object journal on, from several concurrent writers (each its own
// name), printing one JSON line {"name","commit","data"} per acknowledged version, then
// "finished". It keeps its journal open (not sealed: default seal size and age) until the parent
// sends "close", so the parent can read every version from the live journal first.
import { once } from 'node:events';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, durability, writersArg, opsArg] = process.argv.slice(2) as [string, 'fsync' | 'none', string, string];
const store = await openStore(await createDriver({ dir, durability, journal: true, pollInterval: 20 }, defaultDriverContext()));
await Promise.all(Array.from({ length: Number(writersArg) }, async (_, w) => {
  const name = `live-${w}.txt`;
  for (let i = 0; i < Number(opsArg); i++) {
    const head = await store.head(name);
    const data = `writer ${w} version ${i}\n`.repeat(1 + ((i * 5 + w) % 90));
    const commit = head ? await store.update(name, data, { previous: head }) : await store.create(name, data);
    process.stdout.write(`${JSON.stringify({ name, commit: commit.commit, data })}\n`);
  }
}));
process.stdout.write('finished\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
process.stdin.destroy();
await store.close();
process.stdout.write('closed\n');

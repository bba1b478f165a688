// Writes `count` versions over 40 names with the object journal on and exits without closing the
// store: its journal is left unsealed, as a crashed writer leaves it. Prints each name's head (JSON).
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, countText] = process.argv.slice(2) as [string, string];
const store = await openStore(await createDriver({ dir, journal: true, durability: 'none' }, defaultDriverContext()));
const heads: Record<string, string> = {};
for (let i = 0; i < Number(countText); i++) {
  const name = `n${i % 40}.txt`;
  const text = `version ${i} of ${name}\n`.repeat(1 + (i % 7));
  const previous = heads[name];
  heads[name] = (previous ? await store.update(name, text, { previous }) : await store.create(name, text)).commit;
}
process.stdout.write(JSON.stringify(heads));
process.exit(0);

// A child process running concurrent writers with the object journal on (durability fsync) that
// update a shared set of names by compare-and-swap, with another such process doing the same.
// A refused update retries from the head the refusal names, after reading that version: it is
// often the other process's, still only in that process's journal. Prints one JSON line
// {"name","commit","previous"} per acknowledged commit, "finished" when done, then closes (which
// seals its journal).
import { defaultDriverContext, isGittyError, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, id, writersArg, opsArg, namesArg] = process.argv.slice(2) as [string, string, string, string, string];
const store = await openStore(await createDriver({ dir, durability: 'fsync', journal: true, lockStale: 2000, pollInterval: 20 }, defaultDriverContext()));
const ops = Number(opsArg);
const names = Array.from({ length: Number(namesArg) }, (_, i) => `shared-${i}.txt`);

await Promise.all(Array.from({ length: Number(writersArg) }, async (_, w) => {
  for (let op = 0; op < ops; op++) {
    const name = names[(w + op) % names.length]!;
    let head = (await store.head(name)) ?? null;
    for (;;) {
      const data = `${name} by ${id}/${w} op ${op}\n`.repeat(1 + (op % 30));
      try {
        const commit = head ? await store.update(name, data, { previous: head }) : await store.create(name, data);
        process.stdout.write(`${JSON.stringify({ name, commit: commit.commit, previous: head })}\n`);
        break;
      } catch (err) {
        if (!isGittyError(err, 'NOT_AT_HEAD') && !isGittyError(err, 'FILE_EXISTS')) throw err;
        head = (err as { head?: string | null }).head ?? null;
        if (head) {
          const current = await store.get(head);
          if (current.commit.name !== name) throw new Error(`head ${head} of ${name} reads as a version of ${current.commit.name}`);
        }
      }
    }
  }
}));
process.stdout.write('finished\n');
await store.close();

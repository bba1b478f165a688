// A child process running many concurrent writers on one store with durability fsync (group
// commit). Each writer updates names (its own — `own` — or a shared set — `shared`), retrying
// lost races from the head the refusal names, and prints one JSON line per acknowledged commit
// ({"name","commit","previous"}). With ops 0 the writers never stop: the parent SIGKILLs the
// process while its flushes are in progress. Prints "finished" when every writer is done.
import { defaultDriverContext, isGittyError, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, id, writersArg, opsArg, mode, namesArg] = process.argv.slice(2) as [string, string, string, string, 'own' | 'shared', string];
// lockStale at its minimum: a process killed inside the lock delays the next one by at most 2 s.
const store = await openStore(await createDriver({ dir, durability: 'fsync', lockStale: 2000, pollInterval: 20 }, defaultDriverContext()));
const ops = Number(opsArg);
const names = Array.from({ length: Number(namesArg) }, (_, i) => `shared-${i}.txt`);

await Promise.all(Array.from({ length: Number(writersArg) }, async (_, w) => {
  for (let op = 0; ops === 0 || op < ops; op++) {
    const name = mode === 'own' ? `writer-${w}.txt` : names[(w + op) % names.length]!;
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
      }
    }
  }
}));
process.stdout.write('finished\n');
await store.close();

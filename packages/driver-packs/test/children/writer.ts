// A writer process: `ops` creates/updates over `names` shared file names, retrying on
// NOT_AT_HEAD; prints each successful commit as a JSON line, then "done".
import { isGittyError, openStore, registerDriver } from '@gitty/core';
import { createDriver } from '../../src/index.js';

const [dir, id, opsArg, namesArg] = process.argv.slice(2);
const ops = Number(opsArg);
const names = Number(namesArg);
registerDriver('packs', createDriver);
const store = await openStore({ driver: 'packs', dir: dir! });
for (let i = 0; i < ops; i++) {
  const name = `shared-${(i * 7 + Number(id)) % names}.txt`;
  for (;;) {
    try {
      const head = await store.head(name);
      const text = `${name} by writer ${id}, op ${i}\n${'some text that repeats\n'.repeat(20)}`;
      const commit = head ? await store.update(name, text, { previous: head }) : await store.create(name, text);
      // A read back through whatever mix of loose objects and packs exists now.
      if ((await store.get(commit.commit)).text !== text) throw new Error(`read back of ${commit.commit} differs`);
      process.stdout.write(`${JSON.stringify({ name, commit: commit.commit })}\n`);
      break;
    } catch (err) {
      if (isGittyError(err, 'NOT_AT_HEAD') || isGittyError(err, 'FILE_EXISTS')) continue;
      throw err;
    }
  }
}
await store.close();
process.stdout.write('done\n');

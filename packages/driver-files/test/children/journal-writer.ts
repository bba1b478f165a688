// A child that writes versions with the object journal on (durability from argv, default fsync)
// when the parent asks, so the parent can fill the disk, free it, read the store from outside,
// or SIGKILL it between steps. Commands on stdin, one a line:
//   write <first> <count>  create/update f<i % 6>.txt with incompressible data of varying sizes,
//                          one JSON line per call ({"ack":name,"commit":…,"sha":…} or
//                          {"fail":code,"message":…}), then {"done":"write"}
//   close                  close the store, print {"done":"close"} and exit
import { createHash, randomBytes } from 'node:crypto';
import readline from 'node:readline';
import { defaultDriverContext, isGittyError, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, durability = 'fsync'] = process.argv.slice(2) as [string, string?];
const print = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
const store = await openStore(await createDriver({ dir, durability, journal: true, lockStale: 2000 }, defaultDriverContext()));
print({ ready: process.pid });

for await (const line of readline.createInterface({ input: process.stdin })) {
  const [command, firstArg, countArg] = line.trim().split(' ');
  if (command === 'close') {
    await store.close();
    print({ done: 'close' });
    process.exit(0);
  }
  if (command !== 'write') continue;
  const first = Number(firstArg);
  for (let i = first; i < first + Number(countArg); i++) {
    const name = `f${i % 6}.txt`;
    const data = randomBytes(500 + ((i * 7919) % 12_000)).toString('base64');
    try {
      const head = await store.head(name);
      const commit = head ? await store.update(name, data, { previous: head }) : await store.create(name, data);
      print({ ack: name, commit: commit.commit, sha: createHash('sha1').update(data).digest('hex') });
    } catch (err) {
      print({ fail: isGittyError(err) ? err.code : `untyped ${(err as NodeJS.ErrnoException).code}`, message: String(err) });
    }
  }
  print({ done: 'write' });
}

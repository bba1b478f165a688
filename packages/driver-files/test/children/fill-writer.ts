// A child that creates/updates a few files with incompressible data of growing sizes (fsync
// durability) while the disk is full or its file size is limited (RLIMIT_FSIZE), and prints
// one JSON line per call: {"ack":name,"commit":…,"sha":…} or {"fail":code,"message":…}.
import { createHash, randomBytes } from 'node:crypto';
import { defaultDriverContext, isGittyError, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir, opsArg, first] = process.argv.slice(2) as [string, string, string];
const print = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
let store;
try {
  store = await openStore(await createDriver({ dir, durability: 'fsync', lockStale: 2000 }, defaultDriverContext()));
} catch (err) {
  print({ fail: isGittyError(err) ? err.code : `untyped ${(err as NodeJS.ErrnoException).code}`, message: String(err) });
  process.exit(0);
}
for (let i = Number(first); i < Number(first) + Number(opsArg); i++) {
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
await store.close().catch(() => undefined);

// A child that updates one file and, inside the head log's lock, signals itself at a chosen
// point of the append (SIGSTOP: a stall longer than lockStale; SIGKILL: a holder that dies).
// Prints "ready <head>", waits for a line on stdin, then prints "ok <commit>" or "error <code>".
import { once } from 'node:events';
import { defaultDriverContext, isGittyError, openStore } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';
import { headLogTestHooks } from '../../src/test-hooks.js';

const [dir, name, point, signal] = process.argv.slice(2) as [string, string, 'beforeCheck' | 'beforeWrite', NodeJS.Signals];
const store = await openStore(await createDriver({ dir, durability: 'fsync', lockStale: 2000, pollInterval: 0 }, defaultDriverContext()));
const head = (await store.head(name))!;
process.stdout.write(`ready ${head}\n`);
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
headLogTestHooks[point] = () => {
  headLogTestHooks[point] = undefined;
  process.kill(process.pid, signal);
};
try {
  const commit = await store.update(name, `written by the stalled child ${process.pid}\n`, { previous: head });
  process.stdout.write(`ok ${commit.commit}\n`);
} catch (err) {
  process.stdout.write(`error ${isGittyError(err) ? err.code : String(err)}\n`);
}
process.stdin.destroy();
await store.close();

// One contender of the suite's cross-process CAS race (groups/cross-process.ts), run as a child
// process. Argument: JSON { module, exportName, location, name, rounds, id }. Opens the store
// through the driver author's module, prints "ready", waits for "go" on stdin, then adds
// `rounds` versions to `name`, each by compare-and-swap, retrying from the head a refusal
// names. Prints one JSON line: the commits it was told were written, and how often it lost.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { isGittyError, openStore, type Driver } from '@gitty/core';

interface ChildTask {
  module: string;
  exportName?: string;
  location: unknown;
  name: string;
  rounds: number;
  id: string;
}

const task = JSON.parse(process.argv[2] ?? '{}') as ChildTask;
const href = task.module.startsWith('file:') ? task.module : pathToFileURL(task.module).href;
const open = (await import(href) as Record<string, unknown>)[task.exportName ?? 'openDriver'];
if (typeof open !== 'function') throw new Error(`${task.module} exports no function "${task.exportName ?? 'openDriver'}"`);
const store = await openStore((await open(task.location)) as Driver);

const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.on('line', (line) => line.trim() === 'go' && resolve()));
process.stdout.write('ready\n');
await go;
lines.close();

const acknowledged: string[] = [];
let conflicts = 0;
try {
  for (let round = 0; round < task.rounds; round++) {
    let previous = await store.head(task.name);
    for (;;) {
      if (!previous) throw new Error(`${task.name} has no head in ${task.id}`);
      try {
        const commit = await store.update(task.name, `${task.id} round ${round}\n`, { previous });
        acknowledged.push(commit.commit);
        break;
      } catch (err) {
        if (!isGittyError(err, 'NOT_AT_HEAD') || err.head === null) throw err;
        conflicts++;
        previous = err.head;
      }
    }
  }
} finally {
  await store.close();
}
process.stdout.write(`${JSON.stringify({ acknowledged, conflicts })}\n`);

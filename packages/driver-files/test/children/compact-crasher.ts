// A child that compacts the head log and kills itself (SIGKILL) at one step of the compaction
// (see compactionTestHooks). For the steps inside the lock it first stops itself (SIGSTOP)
// once the snapshot is written, so the parent can write meanwhile: those lines must reach the
// new log through the tail copy. Prints "ready", then "stopped" before stopping.
import { defaultDriverContext } from '@gitty/core';
import { createDriver, type FilesDriver } from '@gitty/driver-files';
import { compactionTestHooks } from '../../src/compact-log.js';

type Step = keyof typeof compactionTestHooks;
const [dir, step] = process.argv.slice(2) as [string, Step];
const driver = (await createDriver({ dir, durability: 'fsync', lockStale: 2000, compactAt: false }, defaultDriverContext())) as FilesDriver;
const kill = () => process.kill(process.pid, 'SIGKILL');
if (step !== 'afterScan' && step !== 'afterSnapshot') {
  compactionTestHooks.afterSnapshot = () => {
    process.stdout.write('stopped\n');
    process.kill(process.pid, 'SIGSTOP');
  };
}
compactionTestHooks[step] = kill;
process.stdout.write('ready\n');
await driver.compaction!.compact();
process.stdout.write('survived\n');
await driver.close();

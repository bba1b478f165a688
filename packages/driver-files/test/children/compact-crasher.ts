// A child that compacts the head log and kills itself (SIGKILL) at one step of the compaction
// (see compactionTestHooks). For the steps inside the lock it first stops itself (SIGSTOP)
// once the snapshot is written, so the parent can write meanwhile: those lines must reach the
// new log through the tail copy. Prints "ready", then "stopped" before stopping.
// With "stall" as a third argument it stops itself (SIGSTOP) at the step instead, for longer
// than lockStale, so the parent takes its lock over and writes; then the compaction goes on.
import { defaultDriverContext } from '@gitty/core';
import { createDriver, type FilesDriver } from '@gitty/driver-files';
import { compactionTestHooks } from '../../src/compact-log.js';

type Step = keyof typeof compactionTestHooks;
const [dir, step, mode] = process.argv.slice(2) as [string, Step, 'stall' | undefined];
const driver = (await createDriver({ dir, durability: 'fsync', lockStale: 2000, compactAt: false }, defaultDriverContext())) as FilesDriver;
const kill = () => process.kill(process.pid, 'SIGKILL');
const stop = () => {
  process.stdout.write('stopped\n');
  process.kill(process.pid, 'SIGSTOP');
};
if (mode === 'stall') {
  compactionTestHooks[step] = () => {
    compactionTestHooks[step] = undefined;
    stop();
  };
} else if (step !== 'afterScan' && step !== 'afterSnapshot') {
  compactionTestHooks.afterSnapshot = stop;
}
if (mode !== 'stall') compactionTestHooks[step] = kill;
process.stdout.write('ready\n');
const report = await driver.compaction!.compact();
process.stdout.write(`survived ${report ? 'switched' : 'gave up'}\n`);
await driver.close();

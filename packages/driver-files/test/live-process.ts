// A real process of this host, for tests of what a lock or temp file names as its owner.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** A process of this host that stays alive until killed. */
export async function liveProcess(): Promise<{ pid: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  await once(child, 'spawn');
  return {
    pid: child.pid!,
    // Idempotent: the exit promise is made once, before any kill.
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

import { spawnSync } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { run, tempDir } from '@gitty/driver-test/harness';

/** True when this process may mount a tmpfs (root, with `mount`): full-disk tests then fill a real file system. */
export function canMount(): boolean {
  return process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
}

/** A small tmpfs mounted for one test: fill it up (leaving a few blocks), give the room back, unmount. */
export interface SmallTmpfs {
  /** The mount point. */
  mount: string;
  /** Fill the file system with a filler file, then free 40 KiB: some small writes fit, then none do. */
  fill(): void;
  /** Remove the filler. */
  relieve(): Promise<void>;
  /** Unmount and remove the mount point. */
  dispose(): Promise<void>;
}

/** Mount a tmpfs of `size` (e.g. `2m`) under a fresh temp folder named by `prefix`. */
export async function mountSmallTmpfs(prefix: string, size: string): Promise<SmallTmpfs> {
  const { dir: mount, remove } = await tempDir(prefix);
  const result = await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount]);
  if (result.code !== 0) throw new Error(`mount failed: ${result.stderr}`);
  const filler = path.join(mount, 'filler');
  return {
    mount,
    fill: () => {
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        // ENOSPC: full
      } finally {
        closeSync(fd);
      }
      spawnSync('truncate', ['-s', String(Math.max(0, statSync(filler).size - 40 * 1024)), filler]);
    },
    relieve: () => rm(filler, { force: true }),
    dispose: async () => {
      await run('umount', ['-l', mount]);
      await remove();
    },
  };
}

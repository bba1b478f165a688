import { execFileSync } from 'node:child_process';
import { mkdir, rmdir } from 'node:fs/promises';
import { statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A real, small tmpfs mounted on `<parent>/disk` (needs root); `unmount` undoes it. */
export async function mountSmallDisk(parent: string, bytes: number): Promise<{ dir: string; unmount: () => Promise<void> } | undefined> {
  if (process.getuid?.() !== 0 || process.env.GITTY_TEST_NO_MOUNT) return undefined;
  const dir = path.join(parent, 'disk');
  await mkdir(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    await rmdir(dir);
    return undefined; // root without CAP_SYS_ADMIN (a container): the caller falls back
  }
  return {
    dir,
    unmount: async () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      await rmdir(dir);
    },
  };
}

/** Fill the file system holding `dir` with `file` until only about `leave` bytes are free. */
export function fillDisk(dir: string, file: string, leave: number): void {
  const { bavail, bsize } = statfsSync(dir);
  const size = Math.max(0, bavail * bsize - leave);
  writeFileSync(file, Buffer.alloc(size, 1));
}

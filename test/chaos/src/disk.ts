import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { run } from '@gitty/driver-test/harness';

/**
 * Where the stores live, and how the nemesis makes it run out of space. As root: a small tmpfs
 * mounted for the run, filled with a ballast file (every process sees ENOSPC). Otherwise:
 * `RLIMIT_FSIZE` lowered on the running client processes with `prlimit --pid` (their writes past
 * the limit fail with EFBIG; Node ignores SIGXFSZ).
 */
export class Disk {
  private mounted = false;
  private ballast: string | undefined;
  private readonly limited = new Set<number>();

  private constructor(readonly dir: string) {}

  /** Prepare `dir`, mounting a tmpfs of `sizeMiB` there when running as root. */
  static async create(dir: string, sizeMiB: number): Promise<Disk> {
    mkdirSync(dir, { recursive: true });
    const disk = new Disk(dir);
    if (process.getuid?.() === 0) {
      const result = await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir]);
      disk.mounted = result.code === 0;
    }
    return disk;
  }

  /** `tmpfs` or `rlimit`: how {@link fill} makes the disk full. */
  get method(): 'tmpfs' | 'rlimit' {
    return this.mounted ? 'tmpfs' : 'rlimit';
  }

  /** Run out of space: fill the tmpfs, or limit file sizes of `pids` to a few bytes. */
  async fill(pids: number[]): Promise<void> {
    if (this.mounted) {
      this.ballast = path.join(this.dir, 'ballast');
      const fd = openSync(this.ballast, 'w');
      const chunk = Buffer.alloc(1 << 20);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        // ENOSPC: full. Fill the last partial block too.
        try {
          for (;;) writeSync(fd, chunk.subarray(0, 512));
        } catch {
          // full to the byte
        }
      } finally {
        closeSync(fd);
      }
      return;
    }
    for (const pid of pids) {
      const result = await run('prlimit', ['--pid', String(pid), '--fsize=64:unlimited']);
      if (result.code === 0) this.limited.add(pid);
    }
  }

  /** Space returns. */
  async release(): Promise<void> {
    if (this.ballast) rmSync(this.ballast, { force: true });
    this.ballast = undefined;
    for (const pid of this.limited) await run('prlimit', ['--pid', String(pid), '--fsize=unlimited:unlimited']);
    this.limited.clear();
  }

  /** Release, then unmount (lazily if a process still holds a file there). */
  async dispose(): Promise<void> {
    await this.release();
    if (this.mounted) {
      const result = await run('umount', [this.dir]);
      if (result.code !== 0) await run('umount', ['-l', this.dir]);
      this.mounted = false;
    }
  }
}

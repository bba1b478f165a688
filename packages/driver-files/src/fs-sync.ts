import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, mkdir } from 'node:fs/promises';
import path from 'node:path';

/** How hard writes are made durable: `fsync` flushes file and folder before a write returns. */
export type Durability = 'fsync' | 'none';

/**
 * fsync a folder, so a new name in it survives a power loss. Some platforms (Windows) and
 * file systems cannot open or sync folders; that only weakens durability, so it is ignored.
 */
export async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (err) {
    if (!isFolderSyncUnsupported(err)) throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Make sure `folder` exists; with `fsync`, a folder that had to be created is made durable in
 * its parent too.
 */
export async function ensureFolder(folder: string, durability: Durability): Promise<void> {
  const created = await mkdir(folder, { recursive: true });
  if (created !== undefined && durability === 'fsync') await syncFolder(path.dirname(folder));
}

/** True for the errors of platforms and file systems that cannot open or sync a folder (ignored: that only weakens durability). */
export function isFolderSyncUnsupported(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EBADF' || code === 'EACCES';
}

/** True for the errno codes that mean "no such file or folder". */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** {@link syncFolder}, synchronously (for the synchronous write path of loose objects). */
export function fsyncFolderSync(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch (err) {
    if (!isFolderSyncUnsupported(err)) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Open `file` for reading; undefined when it (or a folder on its path) does not exist. The caller closes it. */
export function openIfExists(file: string): number | undefined {
  try {
    return openSync(file, 'r');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

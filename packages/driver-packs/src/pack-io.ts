import { open, type FileHandle } from 'node:fs/promises';
import { StorageFullError, isGittyError } from '@gitty/core';

/** errno codes that mean "no room": the disk, a quota, or the file size limit. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** `err` as a typed STORAGE_FULL naming `file` when it means no room; otherwise `err` itself. */
export function asStorageError(err: unknown, file: string): unknown {
  if (isGittyError(err)) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && NO_ROOM.has(code) ? new StorageFullError(file, { cause: err }) : err;
}

/**
 * Write all of `bytes` at `position` (`null`: at the end, for O_APPEND files), looping over short
 * writes: a write that stores nothing means the disk is full, and ENOSPC/EDQUOT/EFBIG become
 * STORAGE_FULL. Never returns having written less than everything.
 */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number | null, file: string): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    let written: number;
    try {
      ({ bytesWritten: written } = await handle.write(bytes, done, bytes.length - done, position === null ? null : position + done));
    } catch (err) {
      throw asStorageError(err, file);
    }
    if (written <= 0) throw new StorageFullError(file);
    done += written;
  }
}

/** Write `bytes` to a new file `file` and fsync it. */
export async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx', 0o444);
  try {
    await writeFully(handle, bytes, 0, file);
    await handle.sync();
  } catch (err) {
    throw asStorageError(err, file);
  } finally {
    await handle.close();
  }
}

/** fsync a folder so the renames in it are durable. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

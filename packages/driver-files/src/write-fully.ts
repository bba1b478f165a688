import { writeSync } from 'node:fs';
import { StorageFullError, isGittyError } from '@gitty/core';

/** errno codes that mean "no room": the disk, a quota, or the file size limit (RLIMIT_FSIZE). */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** `err` as a typed STORAGE_FULL naming `file` when it means no room; otherwise `err` itself. */
export function asStorageError(err: unknown, file: string): unknown {
  if (isGittyError(err)) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && NO_ROOM.has(code) ? new StorageFullError(file, { cause: err }) : err;
}

/**
 * Write all of `bytes` to `fd` at `position` (`null`: the current/append position), looping over
 * short writes. A write that stores nothing, and ENOSPC/EDQUOT/EFBIG, throw STORAGE_FULL naming
 * `file`: it never returns having written less than everything (`writeSync` alone may).
 */
export function writeFullySync(fd: number, bytes: Uint8Array, position: number | null, file: string): void {
  let done = 0;
  while (done < bytes.length) {
    let written: number;
    try {
      written = writeSync(fd, bytes, done, bytes.length - done, position === null ? null : position + done);
    } catch (err) {
      throw asStorageError(err, file);
    }
    if (written <= 0) throw new StorageFullError(file);
    done += written;
  }
}

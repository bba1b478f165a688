import { CorruptObjectError } from '@gitty/core';
import { PackFile } from './pack-reader.js';

/**
 * Read a freshly written pack back before anything it replaces is removed: its idx must match
 * it, its sha1 trailer must cover its bytes, and every one of `hashes` must resolve (through its
 * deltas) to bytes that hash to it. Throws CORRUPT_OBJECT naming the pack otherwise.
 */
export async function verifyWrittenPack(packPath: string, hashes: Iterable<string>, maxObjectSize: number): Promise<void> {
  const pack = await PackFile.open(packPath, maxObjectSize);
  try {
    if (!(await pack.checksumMatches())) throw new CorruptObjectError(undefined, packPath, 'the written pack does not match its checksum');
    for (const hash of hashes) {
      if ((await pack.read(hash)) === undefined) throw new CorruptObjectError(hash, packPath, 'the written pack lacks this object');
    }
  } finally {
    await pack.close();
  }
}

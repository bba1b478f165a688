// The conformance suite's corruptObject hook for packs stores: damages every stored copy of an
// object, loose or packed, so a read from either must notice.
import { existsSync } from 'node:fs';
import { chmod, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { corruptLooseObject } from '@gitty/driver-test/harness';
import { parseEntryHeader } from '../../src/pack-format.js';
import { PackIndex } from '../../src/pack-index.js';

/** Where a packs store keeps its objects. */
export interface PacksLocation {
  dir: string;
  autoRepack?: number;
}

/**
 * Flip one byte in the middle of the compressed payload of the entry at `offset` (zlib's checksum,
 * the declared size or the object's hash must catch it). The pack's trailer is left as it was:
 * readers check it only against the idx, as git does on open.
 */
async function flipEntryByte(packPath: string, offset: number, end: number): Promise<void> {
  const { mode } = await stat(packPath);
  await chmod(packPath, 0o644); // packs are written read-only
  const handle = await open(packPath, 'r+');
  try {
    const head = Buffer.alloc(Math.min(64, end - offset));
    await handle.read(head, 0, head.length, offset);
    const { dataOffset } = parseEntryHeader(head, offset, packPath);
    const at = dataOffset + Math.floor((end - dataOffset) / 2);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0x5a;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
    await chmod(packPath, mode & 0o777);
  }
}

/** Damage the loose copy of `hash` and its entry in every pack that holds it; throws when there is none. */
export async function corruptPacksObject(location: unknown, hash: string): Promise<void> {
  const objects = path.join((location as PacksLocation).dir, 'objects');
  let damaged = 0;
  if (existsSync(path.join(objects, hash.slice(0, 2), hash.slice(2)))) {
    await corruptLooseObject(objects, hash);
    damaged++;
  }
  const packDir = path.join(objects, 'pack');
  const idxFiles = existsSync(packDir) ? (await readdir(packDir)).filter((f) => /^pack-[0-9a-f]{40}\.idx$/.test(f)) : [];
  for (const idxFile of idxFiles) {
    const idxPath = path.join(packDir, idxFile);
    const index = new PackIndex(await readFile(idxPath), idxPath);
    const i = index.find(hash);
    if (i < 0) continue;
    const packPath = idxPath.replace(/\.idx$/, '.pack');
    const offset = index.offsetAt(i);
    // The entry ends where the next one (by offset) starts, or at the trailer.
    let end = (await stat(packPath)).size - 20;
    for (let k = 0; k < index.count; k++) {
      const other = index.offsetAt(k);
      if (other > offset && other < end) end = other;
    }
    await flipEntryByte(packPath, offset, end);
    damaged++;
  }
  if (damaged === 0) throw new Error(`corruptPacksObject: ${hash} is neither loose nor packed`);
}

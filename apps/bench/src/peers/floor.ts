import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

/** An object to write: its type word and bytes. */
export interface RawObject {
  type: string;
  body: Uint8Array;
}

/**
 * The floor: the least any loose-object store must do per object — frame, hash, deflate, write a
 * temp file in the object's folder and rename it into place (optionally fsyncing the file) —
 * in a bare loop with nothing else (no head, no lock, no existence check).
 */
export class LooseObjectFloor {
  private readonly folders = new Set<string>();

  constructor(
    /** The `objects` folder to write into. */
    readonly objectsDir: string,
    readonly fsync = false,
  ) {}

  /** Write one object; resolves with its hash. */
  async write(object: RawObject): Promise<string> {
    const header = Buffer.from(`${object.type} ${object.body.length}\0`);
    const framed = Buffer.concat([header, object.body]);
    const hash = createHash('sha1').update(framed).digest('hex');
    const compressed = deflateSync(framed);
    const folder = path.join(this.objectsDir, hash.slice(0, 2));
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    const temp = path.join(folder, `tmp-${randomBytes(6).toString('hex')}`);
    if (this.fsync) {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(compressed);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      await writeFile(temp, compressed, { flag: 'wx' });
    }
    await rename(temp, path.join(folder, hash.slice(2)));
    return hash;
  }
}

/**
 * Write many objects with `concurrency` writes in flight: for untimed preparation (peer
 * repositories, big stores for `open`), where the order does not matter.
 */
export async function writeAllObjects(floor: LooseObjectFloor, objects: Iterable<RawObject>, concurrency = 16): Promise<void> {
  const iterator = objects[Symbol.iterator]();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await floor.write(next.value);
  }));
}

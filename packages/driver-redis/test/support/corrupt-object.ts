// The conformance suite's corruptObject hook for redis nodes: damages every copy of an object a
// fresh node could read. A replicated store heals a single bad copy by design (a new node takes
// the stream's copy, or a peer's), so the integrity test damages them all: the copy in the
// stream's objects entry (or the large-object key), and the first node's inner store. A fresh
// node must then refuse each copy it is offered and report CORRUPT_OBJECT.
import { deflateSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { MemoryDriver } from '@gitty/core';
import { corruptLooseObject } from '@gitty/driver-test/harness';
import type { RedisDriver } from '../../src/index.js';

/** Where a conformance fixture lives: enough for a child process to open a node on it (JSON). */
export interface RedisLocation {
  url: string;
  storeId: string;
  /** The inner store kind every node of the fixture uses. */
  inner: 'memory' | 'files';
}

/** A valid encoding of other content: only re-hashing catches it. */
export function otherObjectBytes(): Buffer {
  const other = Buffer.from('replaced behind the node\'s back\n');
  return deflateSync(Buffer.concat([Buffer.from(`blob ${other.length}\0`), other]));
}

/**
 * Replace the bytes of `hash` in the store's Redis stream (inline `o:` fields; Redis cannot edit
 * an entry, so the stream is rewritten with the same ids in one MULTI) and in its object key.
 */
export async function corruptInRedis(url: string, node: RedisDriver, hash: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const bad = otherObjectBytes();
    const entries = await redis.xrangeBuffer(node.keys.stream, '-', '+');
    const field = Buffer.from(`o:${hash}`);
    if (entries.some(([, fields]) => fields.some((f, i) => i % 2 === 0 && f.equals(field)))) {
      const rewrite = redis.multi().del(node.keys.stream);
      for (const [id, fields] of entries) {
        const replaced = fields.map((f, i) => (i % 2 === 1 && fields[i - 1]!.equals(field) ? bad : f));
        rewrite.xadd(node.keys.stream, id.toString(), ...replaced);
      }
      await rewrite.exec();
    }
    const objectKey = node.keys.objectKey(hash);
    if ((await redis.exists(objectKey)) === 1) await redis.set(objectKey, bad, 'KEEPTTL');
  } finally {
    redis.disconnect();
  }
}

/** Replace the bytes of `hash` in a node's inner store: the loose file of a files store, the entry of a memory store. */
export async function corruptInner(node: RedisDriver, hash: string, looseObjectsRoot: string | undefined): Promise<void> {
  if (looseObjectsRoot !== undefined) {
    await corruptLooseObject(looseObjectsRoot, hash);
    return;
  }
  if (!(node.inner instanceof MemoryDriver)) throw new Error(`no way to damage objects in ${node.inner.name}`);
  const entry = node.inner.backing.objects.get(hash);
  if (entry) entry.data = Buffer.from('replaced behind the node\'s back\n');
}

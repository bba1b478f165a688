import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBacking, MemoryDriver, createMemoryDriver, defaultDriverContext } from '@gitty/core';
import { runDriverSuite } from '../src/index.js';

/** Other (valid) content under the hash: only re-hashing on load notices. */
async function corruptMemoryObject(location: unknown, hash: string): Promise<void> {
  const stored = (location as MemoryBacking).objects.get(hash);
  if (!stored) throw new Error(`no object ${hash} to corrupt`);
  stored.data = new TextEncoder().encode('something else entirely');
}

// The reference driver, directly and (by default) wrapped in PassThroughDriver. Drivers on a
// shared MemoryBacking model processes sharing one store.
runDriverSuite({
  name: 'memory',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: async () => {
    const backing = new MemoryBacking();
    return { driver: new MemoryDriver(backing), openAnother: async () => new MemoryDriver(backing), location: backing };
  },
  corruptObject: corruptMemoryObject,
});

// The same through the factory a config reaches, with pako, and without openAnother.
runDriverSuite({
  name: 'memory via createDriver (pako, single driver)',
  test: { describe, it, expect },
  wrapped: false,
  scale: 0.5,
  factory: async () => {
    const driver = await createMemoryDriver({}, defaultDriverContext({ compression: (await import('@gitty/core')).pakoCompression }));
    if (!(driver instanceof MemoryDriver)) throw new Error('createMemoryDriver did not return a MemoryDriver');
    return { driver, location: driver.backing };
  },
  corruptObject: corruptMemoryObject,
});

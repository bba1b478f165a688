import { hashObject, openStore, type Store } from '@gitty/core';
import { registerBuiltinDrivers } from '../src/drivers.js';

/**
 * Open a files store in this process, for writing what the CLI must cope with but the Store API
 * would not write itself (commits with odd metadata, objects with colliding hash prefixes).
 */
export async function openFilesStore(dir: string): Promise<Store> {
  registerBuiltinDrivers();
  return openStore({ driver: 'files', dir, durability: 'none' });
}

/**
 * Write a commit object exactly as `fields` say, through the driver (no validation), and
 * return its hash. The bytes are plain `JSON.stringify` output, as another program might write.
 */
export async function writeRawCommit(store: Store, fields: Record<string, unknown>): Promise<string> {
  const bytes = new TextEncoder().encode(`${JSON.stringify(fields)}\n`);
  const hash = hashObject('commit', bytes);
  await store.driver.storeObject(hash, 'commit', bytes);
  return hash;
}

/**
 * Two different payloads whose git object hashes (as `type`) share their first `digits` hex
 * digits: a birthday search over `make(0), make(1), …`, a few hundred hashes for 4 digits.
 */
export function collidingPayloads(type: string, make: (i: number) => Uint8Array, digits = 4): [Uint8Array, Uint8Array] {
  const seen = new Map<string, Uint8Array>();
  for (let i = 0; ; i++) {
    const payload = make(i);
    const prefix = hashObject(type, payload).slice(0, digits);
    const earlier = seen.get(prefix);
    if (earlier) return [earlier, payload];
    seen.set(prefix, payload);
  }
}

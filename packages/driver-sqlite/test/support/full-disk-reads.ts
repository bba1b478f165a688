// What a store opened on a full disk answers: shared by full-disk.test.ts (tmpfs, in process)
// and children/full-disk-reads.ts (a child whose file size is limited).
import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '@gitty/core';
import { createDriver } from '../../src/factory.js';
import { defaultDriverContext } from '@gitty/core';

/** What a store answered; `write` and `create` are the error codes of two writes (or 'ok'). */
export interface FullDiskReport {
  heads: Record<string, string | null>;
  texts: Record<string, string>;
  histories: Record<string, number>;
  files: string[];
  hits: string[];
  update: string;
  create: string;
  headsAfterWrites: Record<string, string | null>;
  fsckErrors: unknown[];
  stats: Record<string, number>;
}

/** The sqlite store at `dir`, opened through the driver factory (as `openStore` does). */
export async function openSqlite(dir: string): Promise<Store> {
  return openStore(await createDriver({ dir, throttleMs: 0, durability: 'none' }, defaultDriverContext()));
}

async function codeOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return 'ok';
  } catch (err) {
    return String((err as { code?: unknown }).code ?? err);
  }
}

async function headsOf(store: Store, names: readonly string[]): Promise<Record<string, string | null>> {
  const heads: Record<string, string | null> = {};
  for (const name of names) heads[name] = (await store.head(name)) ?? null;
  return heads;
}

/** Open `dir`, read everything, try two writes too big for the room left, fsck, close. */
export async function readWhileFull(dir: string, names: readonly string[]): Promise<FullDiskReport> {
  const store = await openSqlite(dir);
  try {
    const heads = await headsOf(store, names);
    const texts: Record<string, string> = {};
    const histories: Record<string, number> = {};
    for (const name of names) {
      if (heads[name] === null) continue;
      texts[name] = (await store.get(name)).text;
      histories[name] = (await store.history(name, { depth: 50 })).history.length;
    }
    const files: string[] = [];
    for await (const entry of store.files()) files.push(entry.name);
    const hits = (await store.search('needle')).map((hit) => hit.name);
    // Random bytes do not compress: each write needs more room than is left.
    const big = randomBytes(256 * 1024).toString('base64');
    const first = names[0]!;
    const update = await codeOf(() => store.update(first, big, { previous: heads[first]! }));
    const create = await codeOf(() => store.create('new-while-full.txt', big));
    const headsAfterWrites = await headsOf(store, [...names, 'new-while-full.txt']);
    const fsckErrors = (await store.fsck()).errors;
    const stats = await store.driverStats();
    return { heads, texts, histories, files, hits, update, create, headsAfterWrites, fsckErrors, stats };
  } finally {
    await store.close();
  }
}

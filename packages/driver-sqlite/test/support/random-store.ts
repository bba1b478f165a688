import { carryOverMeta, encodeCommit, hashObject, type FileQuery, type Meta, type Store } from '@gitty/core';

/** A small deterministic PRNG (mulberry32), so a failing population can be reproduced from its seed. */
import { seededRandom as prng } from '@gitty/driver-test/harness';

export { prng };

/** Words the contents are made of: mixed case, accents, a ligature, an astral symbol, quotes. */
export const WORDS = [
  'alpha', 'Beta', 'GAMMA', 'delta', 'Straße', 'İstanbul', 'ÉCOLE', 'naïve', 'ﬁle', '😀smile', 'x"y', 'foo_bar',
  'member(X, Y)', ':- module', 'Ⅻ', 'kelvin', 'K', '0x1F', 'a.b.c', 'Ω', 'ǅ', '\uFEFFbom',
];
export const NAME_PARTS = ['a', 'b', 'ab', 'Z', 'é', 'ｚ', '😀', 'x y', 'n1', 'N2'];
export const EXTS = ['pl', 'md', 'txt', '', 'swinb'];
export const AUTHORS = ['alice', 'bob', 'Carol'];
export const TAGS = ['draft', 'exam', 'public', 'Draft'];

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

/** A random file name with one of {@link EXTS}. */
export function randomName(rand: () => number, i: number): string {
  const ext = pick(rand, EXTS);
  const base = `${pick(rand, NAME_PARTS)}${pick(rand, NAME_PARTS)}${i}`;
  return ext ? `${base}.${ext}` : base;
}

/** Random content: a few words, sometimes empty. */
export function randomText(rand: () => number): string {
  const n = Math.floor(rand() * 8);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(pick(rand, WORDS));
  return words.join(rand() < 0.5 ? ' ' : '\n');
}

/** Random metadata: author (sometimes absent or not a string), tags (sometimes with non-strings), a coarse time. */
export function randomMeta(rand: () => number): Meta {
  const meta: Meta = { time: 1_700_000_000 + Math.floor(rand() * 50) + (rand() < 0.3 ? 0.5 : 0) };
  const a = rand();
  if (a < 0.7) meta.author = pick(rand, AUTHORS);
  else if (a < 0.8) meta.author = 42;
  if (rand() < 0.7) {
    const tags: Meta[string] = TAGS.filter(() => rand() < 0.4);
    if (rand() < 0.1) tags.push(7);
    meta.tags = tags;
  }
  return meta;
}

/**
 * Add a version as the Store does (blob, commit with carried-over metadata, head by CAS), but
 * below its write-time type check: stores written before that check, or by other programs, hold
 * non-string authors and tags, and listings and search must treat them exactly as the scan does.
 */
async function writeVersion(store: Store, name: string, text: string, meta: Meta, previous?: string): Promise<void> {
  const data = new TextEncoder().encode(text);
  const blob = hashObject('blob', data);
  await store.driver.storeObject(blob, 'blob', data);
  const stored: Meta = { ...carryOverMeta(previous ? await store.commit(previous) : undefined, meta), name, data: blob, time: meta.time ?? 0 };
  if (previous) stored.previous = previous;
  const body = encodeCommit(stored);
  const commit = hashObject('commit', body);
  await store.driver.storeObject(commit, 'commit', body);
  await store.driver.updateHead(name, previous ?? null, commit);
}

/** Apply the same random population (creates, then some updates and deletes) to every store. */
export async function populate(stores: Store[], count: number, seed: number): Promise<void> {
  const rand = prng(seed);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = randomName(rand, i);
    const text = randomText(rand);
    const meta = randomMeta(rand);
    for (const store of stores) await writeVersion(store, name, text, meta);
    names.push(name);
  }
  for (let i = 0; i < count / 10; i++) {
    const name = pick(rand, names);
    const text = randomText(rand);
    const meta = randomMeta(rand);
    const r = rand();
    for (const store of stores) {
      const head = await store.head(name);
      if (!head) continue;
      if (r < 0.2) await store.delete(name, { previous: head });
      else await writeVersion(store, name, text, meta, head);
    }
  }
}

/** A random query over the vocabularies above. */
export function randomQuery(rand: () => number): FileQuery {
  const query: FileQuery = {};
  if (rand() < 0.3) query.ext = pick(rand, EXTS);
  if (rand() < 0.3) query.tag = pick(rand, TAGS);
  if (rand() < 0.3) query.author = pick(rand, AUTHORS);
  if (rand() < 0.3) query.since = 1_700_000_000 + Math.floor(rand() * 50);
  if (rand() < 0.3) query.until = 1_700_000_000 + Math.floor(rand() * 50) + 0.5;
  if (rand() < 0.3) query.namePrefix = pick(rand, NAME_PARTS).slice(0, 1 + Math.floor(rand() * 2));
  if (rand() < 0.5) query.order = rand() < 0.5 ? 'name' : 'time';
  if (rand() < 0.4) query.limit = Math.floor(rand() * 30);
  if (rand() < 0.4) query.offset = Math.floor(rand() * 50);
  return query;
}

/** A random search text: part of a word, in random case. */
export function randomNeedle(rand: () => number): string {
  const word = pick(rand, WORDS);
  const start = Math.floor(rand() * word.length);
  const piece = word.slice(start, start + 1 + Math.floor(rand() * 5)) || word;
  const r = rand();
  return r < 0.3 ? piece.toUpperCase() : r < 0.6 ? piece.toLowerCase() : piece;
}

import { describe, expect, it } from 'vitest';
import { MemoryDriver, hashObject, isHashPrefix, resolveHashPrefix, type GitObject } from '@gitty/core';

const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * A memory driver that lists only the objects it knew at its last rescan (as a packs or redis
 * driver does for objects another process wrote), counts rescans, and can lose objects between
 * listing and loading them.
 */
class Lagging extends MemoryDriver {
  rescans = 0;
  known = new Set<string>();
  readonly vanished = new Set<string>();

  override async rescan(): Promise<void> {
    this.rescans++;
    this.known = new Set(this.backing.objects.keys());
  }

  override async *objects(): AsyncIterable<string> {
    yield* [...this.known];
  }

  override async loadObject(hash: string): Promise<GitObject | undefined> {
    return this.vanished.has(hash) ? undefined : super.loadObject(hash);
  }

  async put(type: string, text: string): Promise<string> {
    const hash = hashObject(type, bytes(text));
    await this.storeObject(hash, type, bytes(text));
    return hash;
  }
}

/** Two payloads of `type` whose hashes share their first 4 digits, the later-listed one sorting first. */
function collidingDescending(type: string): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const payload = `payload ${i}`;
    const hash = hashObject(type, bytes(payload));
    const earlier = seen.get(hash.slice(0, 4));
    if (earlier !== undefined && hashObject(type, bytes(earlier)) > hash) return [earlier, payload];
    if (earlier === undefined) seen.set(hash.slice(0, 4), payload);
  }
}

async function refusal(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('isHashPrefix', () => {
  it('4 to 40 hex digits of either case, nothing else', () => {
    for (const ok of ['1234', 'abcd', 'ABCD', 'aB3f', '0'.repeat(40), 'f'.repeat(39)]) expect(isHashPrefix(ok), ok).toBe(true);
    for (const bad of ['', 'abc', '123', '0'.repeat(41), 'x1234', '1234x', 'abcg', '12 34', ' 1234', '1234 ', '1234\n']) {
      expect(isHashPrefix(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const bad of [12345, ['abcd'], { toString: () => 'abcd' }, null, undefined]) expect(isHashPrefix(bad)).toBe(false);
  });
});

describe('resolveHashPrefix', () => {
  it('a prefix found at once costs no rescan; one not found looks again after a rescan', async () => {
    const driver = new Lagging();
    const first = await driver.put('blob', 'first');
    await driver.rescan();
    driver.rescans = 0;
    expect(await resolveHashPrefix(driver, first.slice(0, 6))).toBe(first);
    expect(driver.rescans).toBe(0);
    const later = await driver.put('blob', 'written elsewhere');
    expect(await resolveHashPrefix(driver, later.slice(0, 6))).toBe(later);
    expect(driver.rescans).toBe(1);
    const missing = (parseInt(first.slice(0, 4), 16) ^ 0x8000).toString(16).padStart(4, '0');
    const known = [first, later].map((h) => h.slice(0, 4));
    expect(known).not.toContain(missing);
    const err = await refusal(resolveHashPrefix(driver, missing));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe(`No object "${missing}"`);
    expect(driver.rescans).toBe(2);
  });

  it('NOT_FOUND names a commit only when a commit was wanted, and keeps the prefix as given', async () => {
    const driver = new Lagging();
    const blob = await driver.put('blob', 'only a blob');
    await driver.rescan();
    const prefix = blob.slice(0, 8).toUpperCase();
    expect(await resolveHashPrefix(driver, prefix)).toBe(blob);
    expect(await resolveHashPrefix(driver, prefix, { type: 'blob' })).toBe(blob);
    const commit = await refusal(resolveHashPrefix(driver, prefix, { type: 'commit' }));
    expect([commit.code, commit.message]).toEqual(['NOT_FOUND', `No commit "${prefix}"`]);
    const note = await refusal(resolveHashPrefix(driver, prefix, { type: 'note' }));
    expect([note.code, note.message]).toEqual(['NOT_FOUND', `No object "${prefix}"`]);
    const invalid = await refusal(resolveHashPrefix(driver, 'abc'));
    expect([invalid.code, invalid.message]).toEqual(['INVALID_HASH', 'Invalid object hash "abc": expected 40 lower-case hex digits']);
  });

  it('AMBIGUOUS lists the candidates sorted by hash, each with its type; a type narrows them', async () => {
    const driver = new Lagging();
    const [x, y] = collidingDescending('blob');
    const hx = await driver.put('blob', x);
    const hy = await driver.put('blob', y);
    expect(hx > hy).toBe(true);
    await driver.rescan();
    expect([...driver.known]).toEqual([hx, hy]);
    const prefix = hx.slice(0, 4);
    const err = await refusal(resolveHashPrefix(driver, prefix));
    expect(err.code).toBe('AMBIGUOUS');
    expect(err.message).toBe(`Hash prefix "${prefix}" is ambiguous: ${hy} (blob), ${hx} (blob)`);
    expect((err as unknown as { candidates: unknown }).candidates).toEqual([{ hash: hy, type: 'blob' }, { hash: hx, type: 'blob' }]);
    expect(await resolveHashPrefix(driver, hy.slice(0, 12))).toBe(hy);
  });

  it('an object gone between listing and loading is no candidate', async () => {
    const driver = new Lagging();
    const [x, y] = collidingDescending('blob');
    const hx = await driver.put('blob', x);
    const hy = await driver.put('blob', y);
    await driver.rescan();
    driver.vanished.add(hx);
    expect(await resolveHashPrefix(driver, hx.slice(0, 4))).toBe(hy);
    expect(await resolveHashPrefix(driver, hx.slice(0, 4), { type: 'blob' })).toBe(hy);
    driver.vanished.add(hy);
    const err = await refusal(resolveHashPrefix(driver, hx.slice(0, 4)));
    expect([err.code, err.message]).toEqual(['NOT_FOUND', `No object "${hx.slice(0, 4)}"`]);
  });
});

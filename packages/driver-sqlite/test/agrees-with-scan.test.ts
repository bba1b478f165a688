import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryDriver, openStore, type FileEntry, type FileQuery, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { openOverMemory } from './support/open-memory.js';
import { populate, prng, randomNeedle, randomQuery } from './support/random-store.js';

/**
 * Random queries (and searches) per property. fast-check draws new ones on every run, so CI
 * runs add up; 100 keep a run to seconds, GITTY_PROPERTY_RUNS=1000 or more hunts longer.
 */
const RUNS = Number(process.env.GITTY_PROPERTY_RUNS ?? 100);

async function collect(files: AsyncIterable<FileEntry>): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for await (const entry of files) out.push(entry);
  return out;
}

describe('queries and search over 2,000 random files', () => {
  let scan: Store;
  let indexed: Store;
  let temp: { dir: string; remove: () => Promise<void> };

  beforeAll(async () => {
    temp = await tempDir('gitty-sqlite-prop-');
    scan = await openStore(new MemoryDriver());
    indexed = await openOverMemory(temp.dir);
    await populate([scan, indexed], 2000, 20261123);
    expect(indexed.driver.capabilities.query).toBe(true);
  });

  afterAll(async () => {
    await indexed?.close();
    await scan?.close();
    await temp?.remove();
  });

  it('files(query) gives exactly the brute-force scan\'s entries, order and page', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const query: FileQuery = randomQuery(prng(seed));
        expect(await collect(indexed.files(query))).toEqual(await collect(scan.files(query)));
      }),
      { numRuns: RUNS },
    );
  });

  it('search(text, query) gives exactly the brute-force scan\'s hits and snippets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const rand = prng(seed);
        const text = randomNeedle(rand);
        const query = rand() < 0.5 ? {} : randomQuery(rand);
        expect(await indexed.search(text, query)).toEqual(await scan.search(text, query));
      }),
      { numRuns: RUNS },
    );
  });

  it('lists every file without a query, in name order', async () => {
    const all = await collect(indexed.files());
    expect(all.length).toBeGreaterThan(1500);
    expect(all).toEqual(await collect(scan.files()));
  });
});

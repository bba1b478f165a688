import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDriver, type Driver } from '@gitty/core';
import { PackFile } from '../src/pack-reader.js';
import type { PacksDriver } from '../src/packs-driver.js';
import { blob, versionText } from './fixtures.js';
import { twoPacksDrivers } from './support/two-drivers.js';

// Repacks, unpacks and gc deletions in this very process while reads of every acknowledged
// object run concurrently, through two packs drivers on one folder: every read returns the
// exact bytes, none throws (a retired pack closed under a read is a miss the lookup retries,
// never CORRUPT_OBJECT), and afterwards every acknowledged object and head is there.
//
// The race itself never reaches a closed pack from a lookup: PackSet.read picks an attached pack
// and decodes it synchronously, and only expired retired packs (no longer attached) are closed.
// packs-driver-stale-exact pins the in-process paths that do: a driver closed while a lookup
// waits for its rescan (its attached packs closed under it), and objectTime on a stale view. The
// last test here sweeps close points over real lookups (exact bytes or CLOSED; timing-dependent).
//
// Date.now is stepped 11 s per call, past PackSet's 10 s retire grace: every scan closes the
// packs the previous scan retired, so closed packs are as frequent as they can be.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) await c();
});

const twoDrivers = () => twoPacksDrivers('gitty-packs-race-', cleanups);

/** Date.now 11 s later on every call (after the real clock), so every retired pack expires at the next scan. */
function steppedClock(): void {
  const realNow = Date.now.bind(Date);
  let step = 0;
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + ++step * 11_000);
}

/** Counts PackFile.close calls: the retire-and-close path was taken. */
function countCloses(): { closes: number } {
  const seen = { closes: 0 };
  const close = PackFile.prototype.close;
  vi.spyOn(PackFile.prototype, 'close').mockImplementation(async function (this: PackFile) {
    seen.closes++;
    return close.call(this);
  });
  return seen;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('in-process repack racing pack reads', () => {
  it('reads of every acknowledged object return its exact bytes while both drivers repack, unpack and gc', async () => {
    steppedClock();
    const closes = countCloses();
    const { a, b, open } = await twoDrivers();
    const drivers: Driver[] = [a, b];

    const acknowledged = new Map<string, Uint8Array>();
    const heads = new Map<string, string>();
    const garbage = new Set<string>(); // stored, then deleted by gc: never acknowledged
    const failures: string[] = [];
    let attempts = 0;
    let exact = 0;
    let writing = true;

    const writer = async () => {
      for (let i = 0; i < 240; i++) {
        const o = blob(`${versionText(i % 6, i)}object ${i}\n`);
        const d = drivers[i % 2]!;
        await d.storeObject(o.hash, o.type, o.data);
        acknowledged.set(o.hash, o.data);
        if (i % 20 === 19) {
          const name = `head-${i % 3}`;
          await d.updateHead(name, heads.get(name) ?? null, o.hash);
          heads.set(name, o.hash);
        }
        if (i % 15 === 7) {
          const g = blob(`garbage ${i}\n`);
          await d.storeObject(g.hash, g.type, g.data);
          garbage.add(g.hash);
        }
      }
      writing = false;
    };

    const maintainer = async () => {
      let round = 0;
      while (writing || round < 6) {
        const d = drivers[round % 2]!;
        if (round % 4 === 3) await d.unpack!();
        else await d.repack!({ minFiles: 1, smallPack: round % 4 === 2 ? 0 : undefined });
        // gc of packed copies: the deleted list, merged away by the next repack.
        for (const hash of garbage) await drivers[(round + 1) % 2]!.deleteObject(hash);
        garbage.clear();
        round++;
      }
    };

    const reader = async (r: number) => {
      while (writing) {
        const snapshot = [...acknowledged];
        await Promise.all(snapshot.map(async ([hash, data], k) => {
          const d = drivers[(r + k) % 2]!;
          attempts++;
          try {
            const object = await d.loadObject(hash);
            if (!object) failures.push(`${hash}: missing`);
            else if (object.type !== 'blob' || !sameBytes(object.data, data)) failures.push(`${hash}: wrong bytes`);
            else if (!(await d.hasObject(hash))) failures.push(`${hash}: hasObject false`);
            else if (typeof (await d.objectTime!(hash)) !== 'number') failures.push(`${hash}: no objectTime`);
            else exact++;
          } catch (err) {
            failures.push(`${hash}: threw ${(err as { code?: string }).code} ${(err as Error).message}`);
          }
        }));
      }
    };

    // fsck of every pack, on both drivers, over and over: packs merged away under it included.
    const checker = async () => {
      while (writing) {
        for (const d of drivers) {
          try {
            const issues = await d.fsck!();
            if (issues.length > 0) failures.push(`fsck: ${JSON.stringify(issues)}`);
          } catch (err) {
            failures.push(`fsck threw ${(err as { code?: string }).code} ${(err as Error).message}`);
          }
        }
      }
    };

    await Promise.all([writer(), maintainer(), checker(), reader(0), reader(1), reader(2)]);

    expect(failures).toEqual([]);
    expect(exact).toBe(attempts);
    expect(attempts).toBeGreaterThan(0);
    // The retire-and-close path ran (packs merged away by one driver, retired and closed by the other).
    expect(closes.closes).toBeGreaterThan(0);

    // A third driver, opened now, sees exactly the acknowledged objects and heads.
    const c = await open();
    for (const [hash, data] of acknowledged) {
      const object = await c.loadObject(hash);
      expect(object && sameBytes(object.data, data)).toBe(true);
    }
    const listed = new Set<string>();
    for await (const hash of c.objects()) listed.add(hash);
    expect([...listed].sort()).toEqual([...acknowledged.keys()].sort());
    expect(acknowledged.size).toBe(240);
    for (const [name, hash] of heads) expect(await c.getHead(name)).toBe(hash);
    expect(heads.size).toBe(3);
  }, 120_000);

  it('reads in flight while the reading driver closes, at every point of 20: exact bytes or CLOSED', async () => {
    const { dir, b } = await twoDrivers();
    const objects = Array.from({ length: 40 }, (_, i) => blob(`object ${i}\n`));
    for (const o of objects) await b.storeObject(o.hash, o.type, o.data);
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 40; round++) {
      await b.unpack();
      // A reader opened before b packs: every lookup misses, rescans, then reads b's new pack.
      const a = (await openDriver({ driver: 'packs', dir, durability: 'none' })) as PacksDriver;
      await b.repack({ minFiles: 1 });
      const reads = objects.map(async (o) => {
        try {
          const object = await a.loadObject(o.hash);
          return object === undefined ? 'missing' : sameBytes(object.data, o.data) ? 'exact' : 'wrong bytes';
        } catch (err) {
          return `threw ${(err as { code?: string }).code}`;
        }
      });
      for (let k = 0; k < round % 20; k++) await new Promise((resolve) => setImmediate(resolve));
      await a.close();
      for (const outcome of await Promise.all(reads)) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect([...outcomes.keys()].filter((o) => o !== 'exact' && o !== 'threw CLOSED')).toEqual([]);
    expect((outcomes.get('exact') ?? 0) + (outcomes.get('threw CLOSED') ?? 0)).toBe(40 * 40);
  }, 120_000);
});

import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BenchContext } from '../context.js';
import { fileName, generateFile, seededRandom } from '../data.js';
import { openRowStore, type DriverRow, type StorePlace } from '../drivers.js';
import { interleave, timed } from '../measure.js';
import { LooseObjectFloor, writeAllObjects, type RawObject } from '../peers/floor.js';
import type { Row } from '../report.js';
import { comparedRow, reasonOf } from './rows.js';
import { longLogRows } from './long-log.js';
import { rssRows, rssSubjectsBeyondFiles } from './open-rss.js';

const FILES_LOG = 'files (log)';
const FILES_SCAN = 'files (scan)';

/** Write `count` files × 1 version as loose objects (the floor writer: fast, no head log). */
async function writeLooseStore(dir: string, count: number, seed: number): Promise<void> {
  const floor = new LooseObjectFloor(path.join(dir, 'objects'));
  const random = seededRandom(seed + count);
  function* objects(): Generator<RawObject> {
    for (let f = 0; f < count; f++) {
      const [v] = generateFile(random, f, 1);
      yield { type: 'blob', body: v!.bytes };
      yield { type: 'commit', body: v!.commitBody };
    }
  }
  await writeAllObjects(floor, objects());
}

/** Open a store, `get` one file, close it: the time to the first answer (ms), close excluded. */
async function openToFirstGet(row: DriverRow, place: StorePlace, name: string): Promise<number> {
  let store: Awaited<ReturnType<typeof openRowStore>> | undefined;
  try {
    return await timed(async () => {
      store = await openRowStore(row, place);
      await store.get(name);
    });
  } finally {
    await store?.close();
  }
}

/**
 * Open: time from nothing to the first `get` on a store of N files × 1 version: the files driver
 * replaying its head log, the files driver rebuilding heads by a scan (log removed), the packs
 * driver and the sqlite driver with its index in place. One store per size, shared by all
 * (the original head log is restored after each scan, so the sqlite index stays current).
 */
export async function openWorkload(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const files = ctx.drivers.find((r) => r.id === 'files');
  if (!files) {
    return [{ workload: 'open', subject: 'files', metric: 'open + first get', unit: 'ms', value: null, note: 'not available (the open workload builds its stores with the files driver)' }];
  }
  const others = ctx.drivers.filter((r) => r.id === 'packs' || r.id === 'sqlite');
  for (const size of ctx.options.openSizes) {
    const place = await ctx.place(files, `open${size}`);
    const log = path.join(place.dir, 'ref', 'head');
    const aside = `${log}.bench-original`;
    const name = fileName(Math.floor(size / 2));
    ctx.log(`open: writing ${size} files`);
    await writeLooseStore(place.dir, size, ctx.options.seed);
    ctx.log(`open: first open of ${size} files (a scan that builds the head log), then the other drivers' first opens`);
    const firstScan = await openToFirstGet(files, place, name);
    const failures = new Map<string, string>();
    const ready: DriverRow[] = [];
    for (const row of others) {
      try {
        await openToFirstGet(row, place, name);
        ready.push(row);
      } catch (err) {
        failures.set(row.id, reasonOf(err));
      }
    }
    // At 100k files a scan takes minutes: it is measured once (the first open above, which is
    // exactly that scan) and every round's ratio is taken against it.
    const scanOnce = size >= 50_000;
    const subjects = [FILES_LOG, ...(scanOnce ? [] : [FILES_SCAN]), ...ready.map((r) => r.id)];
    const rounds = Math.min(ctx.options.rounds, 3);
    ctx.log(`open: ${size} files, ${subjects.length} subjects × ${rounds} rounds`);
    const values = await interleave(subjects, rounds, async (subject) => {
      if (subject === FILES_LOG) return openToFirstGet(files, place, name);
      if (subject === FILES_SCAN) {
        await rename(log, aside);
        try {
          return await openToFirstGet(files, place, name);
        } finally {
          await rm(log, { force: true });
          await rename(aside, log);
        }
      }
      return openToFirstGet(ctx.drivers.find((r) => r.id === subject)!, place, name);
    }, (subject, err) => failures.set(subject, reasonOf(err)));
    if (scanOnce) values.set(FILES_SCAN, Array.from({ length: rounds }, () => firstScan));
    const metric = `open + first get, ${size.toLocaleString('en-US')} files`;
    const note = (id: string) => (failures.has(id) ? `failed: ${failures.get(id)}` : undefined);
    rows.push(comparedRow('open', values, FILES_SCAN, undefined, metric, 'ms', { note: note(FILES_SCAN) ?? `no head log: heads rebuilt from every commit${scanOnce ? ' (measured once at this size)' : ''}` }));
    rows.push(comparedRow('open', values, FILES_LOG, FILES_SCAN, metric, 'ms', { note: note(FILES_LOG) ?? 'head log replayed' }));
    for (const row of others) {
      const largest = size === Math.max(...ctx.options.openSizes) && size >= 100_000;
      if (row.id === 'sqlite' && largest) {
        rows.push(comparedRow('open', values, row.id, undefined, metric, 'ms', {
          goal: { text: '< 50 ms at 100k files', on: 'value', op: '<', target: 50 }, note: note(row.id),
        }));
      }
      rows.push(comparedRow('open', values, row.id, FILES_SCAN, metric, 'ms', {
        goal: row.id === 'sqlite' && largest ? { text: '≥ 100× faster than the scan (ratio ≤ 0.01)', on: 'ratio', op: '<=', target: 0.01 } : undefined,
        note: note(row.id),
      }));
    }
    // Memory at open, each driver in a fresh process; then the same store with a long head log.
    ctx.log(`open: memory at open of ${size} files, each driver in a fresh process`);
    rows.push(...(await rssRows([{ subject: 'node (no store)', driver: 'none' }, { subject: 'files', driver: 'files' }, ...ready.map((r) => ({ subject: r.id, driver: r.id })), ...(await rssSubjectsBeyondFiles(ctx, place, size))], place, name, size)));
    if (size === Math.max(...ctx.options.openSizes)) rows.push(...(await longLogRows(ctx, files, place, size, name, openToFirstGet)));
    await ctx.removeDir(place.dir);
  }
  for (const { row } of ctx.missing.filter((m) => m.row.id === 'packs' || m.row.id === 'sqlite')) {
    rows.push({ workload: 'open', subject: row.id, metric: 'open + first get', unit: 'ms', value: null, note: 'not available' });
  }
  return rows;
}

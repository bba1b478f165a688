// An open-memory worker: a fresh process that opens one driver's store, gets one file, and
// reports its resident set size (RSS) and heap then, and before opening (the process with the
// bench's modules loaded: the baseline). `driver: 'none'` reports the baseline alone. The memory
// driver cannot open a store another process wrote: its worker fills a new one itself (`fill`).
import type { Store } from '@gitty/core';
import { generateFile, seededRandom } from '../data.js';
import { driverRow, loadDriver, loadInnerDrivers, openRowStore, type StorePlace } from '../drivers.js';

export interface OpenRssConfig {
  driver: string;
  place: StorePlace;
  name: string;
  /** Import this many files × 1 version (the open workload's store, same seed) before the get. */
  fill?: { count: number; seed: number };
}

export type OpenRssMessage = { type: 'rss'; rss: number; heapUsed: number; baselineRss: number; ms: number };

const config = JSON.parse(process.argv[2] ?? '{}') as OpenRssConfig;
const FILL_BATCH = 1000;

/** Import the open workload's files in batches, so the generated input never all lives at once. */
async function fill(store: Store, count: number, seed: number): Promise<void> {
  const random = seededRandom(seed + count);
  for (let from = 0; from < count; from += FILL_BATCH) {
    const batch = [];
    for (let f = from; f < Math.min(count, from + FILL_BATCH); f++) {
      const [v] = generateFile(random, f, 1);
      batch.push({ name: v!.name, data: v!.bytes, meta: { time: v!.time } });
    }
    await store.import(batch);
  }
}

const send = (message: OpenRssMessage) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, undefined, () => resolve()) : resolve()));

async function main(): Promise<void> {
  const row = config.driver === 'none' ? undefined : driverRow(config.driver);
  // Load the driver's code first, so the baseline holds it and the difference is the store's.
  if (row) {
    await loadDriver(row);
    await loadInnerDrivers(row);
  }
  const baselineRss = process.memoryUsage().rss;
  const start = performance.now();
  const store = row ? await openRowStore(row, config.place) : undefined;
  if (store && config.fill) await fill(store, config.fill.count, config.fill.seed);
  await store?.get(config.name);
  const ms = performance.now() - start;
  const { rss, heapUsed } = process.memoryUsage();
  await send({ type: 'rss', rss, heapUsed, baselineRss, ms });
  await store?.close();
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

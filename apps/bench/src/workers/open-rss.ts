// An open-memory worker: a fresh process that opens one driver's store, gets one file, and
// reports its resident set size (RSS) and heap then, and before opening (the process with the
// bench's modules loaded: the baseline). `driver: 'none'` reports the baseline alone.
import { driverRow, loadDriver, loadInnerDrivers, openRowStore, type StorePlace } from '../drivers.js';

export interface OpenRssConfig {
  driver: string;
  place: StorePlace;
  name: string;
}

export type OpenRssMessage = { type: 'rss'; rss: number; heapUsed: number; baselineRss: number; ms: number };

const config = JSON.parse(process.argv[2] ?? '{}') as OpenRssConfig;
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

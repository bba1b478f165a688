import type { StorePlace } from '../drivers.js';
import type { OpenRssMessage } from '../workers/open-rss.js';
import { spawnWorker, WorkerChannel } from '../workers/spawn.js';
import type { Row } from '../report.js';
import { reasonOf } from './rows.js';

const MiB = 2 ** 20;

/** Open `driver`'s store at `place` in a fresh process, get `name`, and report its memory then. */
export async function openRss(driver: string, place: StorePlace, name: string): Promise<OpenRssMessage> {
  const channel = new WorkerChannel<OpenRssMessage>(spawnWorker('open-rss', { driver, place, name }), `open-rss ${driver}`);
  try {
    return await channel.next('rss', 30 * 60_000);
  } finally {
    await channel.stop();
  }
}

/**
 * Rows "RSS after open + first get" for each subject (`driver` ids, or a label mapped to one),
 * measured once each in a fresh process; the note gives what the store added to the process
 * with the driver's code loaded, and the heap.
 */
export async function rssRows(subjects: ReadonlyArray<{ subject: string; driver: string }>, place: StorePlace, name: string, size: number, prepare?: (subject: string) => Promise<() => Promise<void>>): Promise<Row[]> {
  const rows: Row[] = [];
  const metric = `RSS after open + first get, ${size.toLocaleString('en-US')} files`;
  for (const { subject, driver } of subjects) {
    const restore = await prepare?.(subject);
    try {
      const m = await openRss(driver, place, name);
      rows.push({
        workload: 'open', subject, metric, unit: 'MiB', value: m.rss / MiB,
        note: `+${((m.rss - m.baselineRss) / MiB).toFixed(0)} MiB over the process with the driver loaded (${(m.baselineRss / MiB).toFixed(0)} MiB); heap ${(m.heapUsed / MiB).toFixed(0)} MiB; open + get ${m.ms.toFixed(0)} ms; measured once`,
      });
    } catch (err) {
      rows.push({ workload: 'open', subject, metric, unit: 'MiB', value: null, note: `failed: ${reasonOf(err)}` });
    } finally {
      await restore?.();
    }
  }
  return rows;
}

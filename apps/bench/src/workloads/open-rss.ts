import type { BenchContext } from '../context.js';
import type { StorePlace } from '../drivers.js';
import type { OpenRssConfig, OpenRssMessage } from '../workers/open-rss.js';
import { spawnWorker, WorkerChannel } from '../workers/spawn.js';
import type { Row } from '../report.js';
import { reasonOf } from './rows.js';

const MiB = 2 ** 20;

/** Open `driver`'s store at `place` in a fresh process, get `name`, and report its memory then. */
export async function openRss(driver: string, place: StorePlace, name: string, fill?: OpenRssConfig['fill']): Promise<OpenRssMessage> {
  const config: OpenRssConfig = { driver, place, name, fill };
  const channel = new WorkerChannel<OpenRssMessage>(spawnWorker('open-rss', config), `open-rss ${driver}`);
  try {
    return await channel.next('rss', 30 * 60_000);
  } finally {
    await channel.stop();
  }
}

/** One RSS row: a driver id (or a label mapped to one), with its own place (redis) or a store to fill (memory). */
export interface RssSubject {
  subject: string;
  driver: string;
  /** Where this subject's store is, when not the shared place (a redis node needs a server and store id). */
  place?: StorePlace;
  /** Fill a new store in the measuring process first (the memory driver cannot open another's). */
  fill?: OpenRssConfig['fill'];
  /** Said before the figures in the note. */
  what?: string;
}

/**
 * Rows "RSS after open + first get" for each subject, measured once each in a fresh process;
 * the note gives what the store added to the process with the driver's code loaded, and the heap.
 */
export async function rssRows(subjects: readonly RssSubject[], place: StorePlace, name: string, size: number, prepare?: (subject: string) => Promise<() => Promise<void>>): Promise<Row[]> {
  const rows: Row[] = [];
  const metric = `RSS after open + first get, ${size.toLocaleString('en-US')} files`;
  for (const { subject, driver, place: own, fill, what } of subjects) {
    const restore = await prepare?.(subject);
    try {
      const m = await openRss(driver, own ?? place, name, fill);
      rows.push({
        workload: 'open', subject, metric, unit: 'MiB', value: m.rss / MiB,
        note: `${what ? `${what}; ` : ''}+${((m.rss - m.baselineRss) / MiB).toFixed(0)} MiB over the process with the driver loaded (${(m.baselineRss / MiB).toFixed(0)} MiB); heap ${(m.heapUsed / MiB).toFixed(0)} MiB; ${fill ? 'fill' : 'open'} + get ${m.ms.toFixed(0)} ms; measured once`,
      });
    } catch (err) {
      rows.push({ workload: 'open', subject, metric, unit: 'MiB', value: null, note: `failed: ${reasonOf(err)}` });
    } finally {
      await restore?.();
    }
  }
  return rows;
}

/** Above this size the memory row is skipped: the whole store would sit in the heap (1M files ≈ 2 GiB). */
const MEMORY_FILL_LIMIT = 100_000;

/**
 * The RSS subjects that do not open the shared files store as it is: `memory` (a new store
 * filled with the same files in the measuring process — the whole store in the heap, not an open
 * cost) and `redis` (a node with its own store id on the run's redis-server, over the shared
 * files store as its inner: the node loads every head at open).
 */
export async function rssSubjectsBeyondFiles(ctx: BenchContext, place: StorePlace, size: number): Promise<RssSubject[]> {
  const subjects: RssSubject[] = [];
  const count = size.toLocaleString('en-US');
  if (ctx.drivers.some((r) => r.id === 'memory') && size <= MEMORY_FILL_LIMIT) {
    subjects.push({
      subject: 'memory', driver: 'memory', fill: { count: size, seed: ctx.options.seed },
      what: `a new store filled with the same ${count} files by Store.import in the measuring process: the whole store in the heap, not an open cost`,
    });
  }
  const redis = ctx.drivers.find((r) => r.id === 'redis');
  if (redis) {
    const node = await ctx.place(redis, `open${size}-rss`);
    await ctx.removeDir(node.dir);
    subjects.push({
      subject: 'redis', driver: 'redis', place: { ...node, dir: place.dir },
      what: `a redis node (new store id, the run's redis-server) over the same files store: open loads all ${count} heads`,
    });
  }
  return subjects;
}

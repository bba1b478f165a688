import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVER_CASES, startTestServer, type StoreSetup, type TestServer } from './helpers.js';

const CLIENTS = 50;
/**
 * Operations per client (a read, a listing, a history, or a read-modify-write), all 50 clients
 * at once: a fixed amount of work rather than a fixed time, so a fast machine is not kept busy
 * for nothing and a slow one still does all of it. GITTY_LOAD_OPS=400 or more for a long run.
 */
const OPS = Number(process.env.GITTY_LOAD_OPS ?? 40);
const SHARED_FILES = 8;

// The files driver when present (real disk, head log under a lock), else the first case.
const driverCase = DRIVER_CASES.find((c) => c.name === 'files') ?? DRIVER_CASES[0]!;

interface Acknowledged {
  name: string;
  commit: string;
  previous: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

describe(`load: ${CLIENTS} concurrent clients, ${OPS} operations each (${driverCase.name} driver)`, () => {
  let setup: StoreSetup;
  let t: TestServer;

  beforeAll(async () => {
    setup = await driverCase.open();
    t = await startTestServer({ store: setup.config, writeRateLimit: false });
  });
  afterAll(async () => {
    await t?.close();
    await setup?.cleanup();
  });

  it('answers mixed reads and writes without 5xx and loses no acknowledged update', async () => {
    const names = Array.from({ length: SHARED_FILES }, (_, i) => `shared-${i}.txt`);
    for (const name of names) expect((await t.call('POST', `/files/${name}`, { data: 'start\n' })).status).toBe(201);

    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const acknowledged: Acknowledged[] = [];
    const started = performance.now();

    const timed = async (method: string, path: string, body?: unknown) => {
      const start = performance.now();
      const reply = await t.call(method, path, body);
      latencies.push(performance.now() - start);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      return reply;
    };

    const client = async (id: number) => {
      let n = 0;
      while (n < OPS) {
        const name = names[(id + n) % names.length]!;
        const roll = (id * 7 + n * 13) % 10;
        n++;
        if (roll < 3) await timed('GET', `/files/${name}`);
        else if (roll < 4) await timed('GET', '/files');
        else if (roll < 5) await timed('GET', `/files/${name}/history?depth=5`);
        else {
          // Read-modify-write with optimistic concurrency, as an editor would.
          const current = await timed('GET', `/files/${name}`);
          if (current.status !== 200) continue;
          const previous = current.json.commit.commit as string;
          const res = await timed('PUT', `/files/${name}`, { data: `${current.json.data}client ${id} write ${n}\n`, previous });
          if (res.status === 200) acknowledged.push({ name, commit: res.json.commit.commit, previous });
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id)));
    const seconds = (performance.now() - started) / 1000;

    latencies.sort((a, b) => a - b);
    const summary = {
      requests: latencies.length,
      seconds: Number(seconds.toFixed(1)),
      perSecond: Math.round(latencies.length / seconds),
      p50ms: Number(percentile(latencies, 50).toFixed(1)),
      p99ms: Number(percentile(latencies, 99).toFixed(1)),
      maxms: Number((latencies[latencies.length - 1] ?? 0).toFixed(1)),
      updates: acknowledged.length,
      statuses: Object.fromEntries(statuses),
    };
    console.log(`load (${driverCase.name}): ${JSON.stringify(summary)}`);

    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200]));
    expect(acknowledged.length).toBeGreaterThan(0);

    // Every acknowledged update is in its file's history, on top of the version it replaced.
    for (const name of names) {
      const mine = acknowledged.filter((a) => a.name === name);
      const history = await t.call('GET', `/files/${name}/history?depth=${mine.length + 5}`);
      const chain = new Map<string, string | undefined>(
        (history.json.history as Array<{ commit: string; previous?: string }>).map((c) => [c.commit, c.previous]),
      );
      expect(chain.size).toBe(mine.length + 1);
      for (const update of mine) expect(chain.get(update.commit), `${name} ${update.commit}`).toBe(update.previous);
      // And the content holds every acknowledged line exactly once.
      const data = (await t.call('GET', `/files/${name}`)).json.data as string;
      expect(data.split('\n').length - 2).toBe(mine.length);
    }
  }, 90_000);
});

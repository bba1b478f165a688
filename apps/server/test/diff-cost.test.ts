import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { startTestServer, type TestServer } from './helpers.js';

/** `lines` lines, every one unlike any line of another `side`: the worst case of a line diff. */
function text(lines: number, side: string): string {
  let out = '';
  for (let i = 0; i < lines; i++) out += `${side} line ${i} ${(i * 2654435761) % 1000003}\n`;
  return out;
}

/**
 * Poll /healthz back to back while `work` runs; the slowest answer shows how long the event
 * loop was blocked.
 */
async function slowestHealthz(url: string, work: Promise<unknown>): Promise<{ slowest: number; polls: number }> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  let slowest = 0;
  let polls = 0;
  while (!done) {
    const started = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.text();
    slowest = Math.max(slowest, performance.now() - started);
    polls++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { slowest, polls };
}

describe('diff cost is bounded and big diffs leave the server responsive (issue 15, item 2)', () => {
  const LINES = 26_000;
  let store: Store;
  let t: TestServer;
  let v1: string;
  let v2: string;

  beforeAll(async () => {
    store = await openStore({ driver: 'memory' });
    t = await startTestServer({ store, writeRateLimit: false, bodyLimit: 64 * 1024 * 1024 });
    v1 = (await t.call('POST', '/files/big.txt', { data: text(LINES, 'a') })).json.commit.commit;
    v2 = (await t.call('PUT', '/files/big.txt', { data: text(LINES, 'b'), previous: v1 })).json.commit.commit;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  it('answers GET /diff of two fully different 26k-line versions with "files differ, N → M lines" while /healthz stays responsive', async () => {
    const started = performance.now();
    const diff = t.call('GET', `/diff?from=${v1}&to=${v2}`);
    const { slowest, polls } = await slowestHealthz(t.url, diff);
    const res = await diff;
    const took = performance.now() - started;
    console.log(`26k-line diff: ${Math.round(took)} ms; /healthz slowest ${Math.round(slowest)} ms over ${polls} polls`);
    expect(res.status).toBe(200);
    expect(res.json.tooLarge).toBe(true);
    expect(res.json.data).toMatch(/differ, 26000 → 26000 lines/);
    // Unbounded, this diff took minutes and /healthz waited for all of it.
    expect(took).toBeLessThan(20_000);
    expect(polls).toBeGreaterThan(3);
    expect(slowest).toBeLessThan(1_500);
  }, 60_000);

  it('answers a stale PUT of such versions with 409 (diffs as notes, no merge) while /healthz stays responsive', async () => {
    const started = performance.now();
    const put = t.call('PUT', '/files/big.txt', { data: text(LINES, 'c'), previous: v1 });
    const { slowest } = await slowestHealthz(t.url, put);
    const res = await put;
    const took = performance.now() - started;
    console.log(`stale 26k-line PUT: ${Math.round(took)} ms; /healthz slowest ${Math.round(slowest)} ms`);
    expect(res.status).toBe(409);
    expect(res.json.head).toBe(v2);
    expect(res.json.diffs.toHead).toMatch(/differ, 26000 → 26000 lines/);
    expect(res.json.diffs.toYours).toMatch(/differ, 26000 → 26000 lines/);
    expect(res.json.merged).toBeUndefined();
    expect(took).toBeLessThan(20_000);
    expect(slowest).toBeLessThan(1_500);
  }, 60_000);

  it('still diffs and merges ordinary edits of a big file exactly', async () => {
    const base = text(LINES, 'a');
    const head = base.replace('a line 5 ', 'A line 5 ');
    const mine = base.replace(`a line ${LINES - 5} `, `MINE line ${LINES - 5} `);
    const b1 = (await t.call('POST', '/files/edit.txt', { data: base })).json.commit.commit;
    const b2 = (await t.call('PUT', '/files/edit.txt', { data: head, previous: b1 })).json.commit.commit;
    const diff = await t.call('GET', `/diff?to=${b2}`);
    expect(diff.json.tooLarge).toBeUndefined();
    expect(diff.json.data).toMatch(/^-a line 5 .*\n\+A line 5 /m);
    const stale = await t.call('PUT', '/files/edit.txt', { data: mine, previous: b1 });
    expect(stale.status).toBe(409);
    expect(stale.json.merged).toBe(head.replace(`a line ${LINES - 5} `, `MINE line ${LINES - 5} `));
  }, 60_000);
});

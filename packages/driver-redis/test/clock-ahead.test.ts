import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isGittyError } from '@gitty/core';
import { startRedisServer, waitFor } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode } from './helpers.js';
import { useTestResources } from './support/test-resources.js';
import { NodeProcess, type NodeReport } from './node-process.js';

const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

const { open, processes, servers, dir, proxied } = useTestResources('gitty-redis-clock-');

// Each node here stays cut off through the other's loss on purpose (the test is about which
// generation outranks which), so writes wait only briefly for the missing node to merge.
const timing = { blockMs: 200, commandTimeoutMs: 1_000, settleMs: 300, mergeWaitMs: 1_000 };

// A node whose wall clock is a day ahead (NTP step, VM resume) handles one Redis loss; a node
// with a correct clock that never saw that generation handles a second loss and makes a later,
// acknowledged change. Generations must follow real time, not the clock of whoever started them:
// otherwise the earlier change, merged back later, outranks the later one and undoes it.
describe('a node whose clock is ahead starts a generation', () => {
  it('does not let its generation outrank a later one started by a node with a correct clock', async () => {
    // Without libfaketime the child's clock would be right and the test would prove nothing.
    expect(existsSync(FAKETIME), `${FAKETIME} is missing: install faketime (scripts/setup-test-machine.sh does)`).toBe(true);
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = 'clock-ahead-1';
    const keys = new StoreKeys('gitty', storeId);
    const toA = await proxied(redis.port);
    const toB = await proxied(redis.port);
    const bDir = await dir();
    const b = await openNode({ url: toB.url, storeId, inner: innerFor(bDir), stateDir: bDir, ...timing });
    open.push(b);
    const x1 = await b.store.create('x.txt', 'x one');

    const aDir = await dir();
    const a = await NodeProcess.start(
      { url: toA.url, storeId, inner: innerFor(aDir), stateDir: aDir, ...timing },
      { LD_PRELOAD: FAKETIME, FAKETIME: '+1d', FAKETIME_DONT_RESET: '1' },
    );
    processes.push(a);
    await waitFor(async () => (JSON.parse(await a.send('report')) as NodeReport).heads['x.txt'] === x1.commit, 20_000);

    const raw = new Redis(redis.url);
    try {
      // First loss, handled by a (b is cut off and never sees that generation).
      toB.pause();
      await raw.flushall();
      let x2: string | undefined;
      await waitFor(async () => {
        const answer = await a.send('write 1 7 x.txt').catch((err: Error) => err.message);
        if (answer !== 'done 1 0') return false;
        x2 = (await raw.hget(keys.heads, 'x.txt')) ?? undefined;
        return true;
      }, 30_000, 100);
      expect(x2).toBeDefined();
      expect(x2).not.toBe(x1.commit);

      // Second loss, later in real time, handled by b while a is cut off.
      toA.pause();
      await raw.flushall();
      toB.dropConnections();
      toB.heal();
      let x3: string | undefined;
      await waitFor(async () => {
        try {
          x3 = (await b.store.update('x.txt', 'x three, later and acknowledged', { previous: x1.commit })).commit;
          return true;
        } catch (err) {
          if (!isGittyError(err, 'REDIS_UNAVAILABLE')) throw err;
          return false;
        }
      }, 30_000, 100);

      // a comes back and merges its (earlier) change: the later acknowledged update must stay.
      toA.dropConnections();
      toA.heal();
      let seen = '';
      await waitFor(async () => {
        const report = JSON.parse(await a.send('report')) as NodeReport;
        const inRedis = await raw.hget(keys.heads, 'x.txt');
        seen = JSON.stringify({ a: report.heads['x.txt'], redis: inRedis, x1: x1.commit, x2, x3 });
        return report.heads['x.txt'] === inRedis;
      }, 30_000, 200).catch((err: Error) => {
        throw new Error(`${err.message}: ${seen}`);
      });
      await b.store.rescan();
      expect(await raw.hget(keys.heads, 'x.txt')).toBe(x3);
      expect((JSON.parse(await a.send('report')) as NodeReport).heads['x.txt']).toBe(x3);
      await waitFor(async () => (await b.store.head('x.txt')) === x3, 20_000);
    } finally {
      raw.disconnect();
    }
  }, 120_000);
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, startTcpProxy, waitFor } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode } from './helpers.js';
import { useTestResources } from './support/test-resources.js';
import { NodeProcess, type NodeReport } from './node-process.js';

const { open, processes, proxies, servers, dir } = useTestResources('gitty-redis-killed-writer-');

const timing = { blockMs: 200, commandTimeoutMs: 1_000, settleMs: 300 };

// The chaos campaign's finding (redis over sqlite, seed 9): node 2 was killed right after an
// acknowledged chain of updates, before its lazily saved state recorded their stamps, and Redis
// lost the store before node 2 had replayed them at its restart. It merged its newest head with
// the unknown stamp 0:0, which lost against the older head a lagging node had merged; node 0
// then deleted from that older head, and node 2's acknowledged chain was gone.
describe('a node killed right after an acknowledged write, then Redis loses the store', () => {
  it('merges that write with its real stamp when it comes back, so it is not lost to an older head', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = 'killed-writer-1';
    const keys = new StoreKeys('gitty', storeId);
    const toA = await startTcpProxy(redis.port);
    proxies.push(toA);
    const aDir = await dir();
    const a = await openNode({ url: toA.url, storeId, inner: innerFor(aDir), stateDir: aDir, ...timing });
    open.push(a);
    const bDir = await dir();
    const bConfig = { url: redis.url, storeId, inner: innerFor(bDir), stateDir: bDir, nodeId: 'b', ...timing };
    const b = await NodeProcess.start(bConfig);
    processes.push(b);
    const x1 = (await a.store.create('x.txt', 'x one')).commit;
    await waitFor(async () => (JSON.parse(await b.send('report')) as NodeReport).heads['x.txt'] === x1, 15_000);
    // b's saved state holds x1 with its stamp (saves follow changes within 100 ms): only x2's
    // stamp is missing from it when b dies.
    const stateFile = path.join(bDir, `redis-replica-${storeId}.json`);
    await waitFor(async () => {
      const saved = await readFile(stateFile, 'utf8').catch(() => '{}');
      return (JSON.parse(saved) as { stamps?: Record<string, [string | null, string]> }).stamps?.['x.txt']?.[0] === x1;
    }, 15_000, 20);

    // a lags and never reads b's update; b is killed the moment its update is acknowledged.
    toA.pause();
    const answer = await b.send('update-and-die x.txt');
    const x2 = /^updated ([0-9a-f]{40})$/.exec(answer)?.[1];
    expect(x2).toBeDefined();
    await waitFor(async () => b.child.exitCode !== null || b.child.signalCode !== null, 10_000, 20);
    processes.splice(processes.indexOf(b), 1);

    const raw = new Redis(redis.url);
    try {
      // Redis loses everything while b is down; a re-seeds from its older x1.
      await raw.flushall();
      toA.dropConnections();
      toA.heal();
      await waitFor(async () => (await raw.hget(keys.heads, 'x.txt')) === x1, 20_000, 50);

      // b comes back (same folder, same node id) and merges: its acknowledged x2 must win.
      const again = await NodeProcess.start(bConfig);
      processes.push(again);
      await waitFor(async () => (await raw.hget(keys.heads, 'x.txt')) === x2, 20_000, 50);
      await waitFor(async () => (await a.store.head('x.txt')) === x2, 20_000);
      expect((JSON.parse(await again.send('report')) as NodeReport).heads['x.txt']).toBe(x2);
    } finally {
      raw.disconnect();
    }
  }, 90_000);
});

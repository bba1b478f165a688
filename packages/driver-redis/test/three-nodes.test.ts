import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, tempDir, type RedisServer } from '@gitty/driver-test/harness';
import { innerFor, startRedisCluster, type RedisCluster } from './helpers.js';
import { NodeProcess, type NodeReport } from './node-process.js';

const NAMES = ['a.pl', 'b.pl', 'c.md', 'd.txt', 'e.pl', 'f.md', 'g.txt', 'h.pl'];

/**
 * Three nodes, each a process with its own store directory, write random creates and updates of
 * the same names concurrently; afterwards every node has the same heads and the same objects,
 * and fsck is clean on each.
 */
async function threeNodesConverge(connection: Record<string, unknown>, storeId: string): Promise<NodeReport[]> {
  const dirs = await Promise.all([0, 1, 2].map(() => tempDir('gitty-redis-node-')));
  const nodes: NodeProcess[] = [];
  try {
    // Started together (each loads the sources anew); the writes begin once all three are open.
    const started = await Promise.allSettled(dirs.map(({ dir }, i) =>
      NodeProcess.start({ ...connection, storeId, inner: innerFor(dir, undefined, 'none'), stateDir: dir, nodeId: `node${i}` })));
    for (const outcome of started) if (outcome.status === 'fulfilled') nodes.push(outcome.value);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    const answers = await Promise.all(nodes.map((node, i) => node.send(`write 80 ${i + 1} ${NAMES.join(' ')}`)));
    const written = answers.map((a) => Number(/^done (\d+) (\d+)$/.exec(a)?.[1]));
    for (const count of written) expect(count).toBeGreaterThan(0);
    // Push what each node stored without winning a head, then compare.
    await Promise.all(nodes.map((node) => node.send('rescan')));
    const reports = (await Promise.all(nodes.map((node) => node.send('report')))).map((r) => JSON.parse(r) as NodeReport);
    expect(Object.keys(reports[0]!.heads).sort()).toEqual([...NAMES].sort());
    for (const report of reports) {
      expect(report.heads).toEqual(reports[0]!.heads);
      expect(report.objects).toEqual(reports[0]!.objects);
      expect(report.fsckErrors).toEqual([]);
      expect(report.stats['redis.rejected']).toBe(0);
    }
    // Every accepted version left two objects (blob and commit), plus the losers' leftovers.
    expect(reports[0]!.objects.length).toBeGreaterThanOrEqual(written.reduce((a, b) => a + b, 0));
    return reports;
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await Promise.all(dirs.map((d) => d.remove()));
  }
}

describe('three node processes on one redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('random creates and updates from all three converge: same heads, same objects, clean fsck', async () => {
    await threeNodesConverge({ url: redis.url }, 'three');
  });
});

describe('three node processes on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('the same workload converges on the cluster (all keys of a store in one slot)', async () => {
    await threeNodesConverge({ cluster: cluster.nodes }, 'clustered');
  });
});

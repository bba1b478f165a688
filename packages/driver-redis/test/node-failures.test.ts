import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { innerFor, openNode, type LocalNode } from './helpers.js';
import { NodeProcess, type NodeReport } from './node-process.js';

const open: LocalNode[] = [];
const processes: NodeProcess[] = [];
const servers: RedisServer[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const child of processes.splice(0)) await child.stop();
  for (const server of servers.splice(0)) await server.stop();
  for (const dir of dirs.splice(0)) await dir.remove();
});

async function dir(): Promise<string> {
  const made = await tempDir('gitty-redis-fail-');
  dirs.push(made);
  return made.dir;
}

async function server(args: string[] = []): Promise<RedisServer> {
  const started = await startRedisServer(args);
  servers.push(started);
  return started;
}

async function headsOf(node: LocalNode): Promise<Record<string, string>> {
  const heads: Record<string, string> = {};
  for await (const { name, head } of node.driver.heads()) heads[name] = head;
  return heads;
}

describe('nodes that stop, freeze or die', () => {
  it('a node stopped while 1,000 commits are written catches up from its cursor when it restarts', async () => {
    const redis = await server();
    const storeId = `catchup-${++stores}`;
    const bDir = await dir();
    const bConfig = { url: redis.url, storeId, inner: innerFor(bDir, `${storeId}-b`, 'none'), stateDir: bDir };
    // The writer keeps its store in memory (it is not the subject); the restarted node uses files.
    const a = await openNode({ url: redis.url, storeId, inner: { driver: 'memory' } });
    open.push(a);
    const b1 = await openNode(bConfig);
    await a.store.create('seed.txt', 'before the stop');
    await b1.store.rescan();
    expect(await b1.store.head('seed.txt')).toBeDefined();
    await b1.store.close();

    const heads = new Map<string, string>();
    for (let i = 0; i < 1_000; i++) {
      const name = `f${i % 25}.txt`;
      const previous = heads.get(name);
      const c = previous ? await a.store.update(name, `v${i}`, { previous }) : await a.store.create(name, `v${i}`);
      heads.set(name, c.commit);
    }
    const b = await openNode(bConfig);
    open.push(b);
    expect(await headsOf(b)).toEqual(await headsOf(a));
    const stats = await b.store.driverStats();
    expect(stats['redis.reconciles']).toBe(0);
    expect(stats['redis.replicated']).toBe(2_000);
    const objectsB = new Set<string>();
    for await (const hash of b.driver.objects()) objectsB.add(hash);
    for await (const hash of a.driver.objects()) expect(objectsB.has(hash)).toBe(true);
    expect((await b.store.history('f3.txt', { depth: 100 })).history).toHaveLength(40);
    expect((await b.store.fsck()).errors).toEqual([]);
  });

  it('a node frozen (SIGSTOP) until the stream is trimmed past it detects the gap and reconciles', async () => {
    const redis = await server(['--stream-node-max-entries', '10']);
    const storeId = `frozen-${++stores}`;
    const a = await openNode({ url: redis.url, storeId, inner: innerFor(await dir(), `${storeId}-a`), maxLen: 20 });
    open.push(a);
    const heads = new Map<string, string>();
    for (let i = 0; i < 5; i++) heads.set(`n${i}.pl`, (await a.store.create(`n${i}.pl`, `start ${i}`)).commit);
    const cDir = await dir();
    const c = await NodeProcess.start({ url: redis.url, storeId, inner: innerFor(cDir, undefined, 'none'), stateDir: cDir, maxLen: 20, blockMs: 200 });
    processes.push(c);
    expect((JSON.parse(await c.send('report')) as NodeReport).heads).toEqual(Object.fromEntries(heads));

    c.child.kill('SIGSTOP');
    for (let i = 0; i < 150; i++) {
      const name = `n${i % 5}.pl`;
      heads.set(name, (await a.store.update(name, `edit ${i}`, { previous: heads.get(name)! })).commit);
    }
    const raw = new Redis(redis.url);
    try {
      const [first] = await raw.xrange(`gitty:{${storeId}}:stream`, '-', '+', 'COUNT', 1);
      const seq = Number(first![1][first![1].indexOf('seq') + 1]);
      expect(seq).toBeGreaterThan(20); // the node had read up to seq 10
    } finally {
      raw.disconnect();
    }
    c.child.kill('SIGCONT');

    const report = JSON.parse(await c.send('report')) as NodeReport;
    expect(report.heads).toEqual(Object.fromEntries(heads));
    expect(report.stats['redis.reconciles']).toBeGreaterThanOrEqual(1);
    // The missed history was fetched from the peer, so the frozen node's store is complete.
    expect(report.fsckErrors).toEqual([]);
  });

  it('a node killed right after its write returned: the others still read the file, small or large', async () => {
    const redis = await server();
    const storeId = `killed-${++stores}`;
    const a = await openNode({ url: redis.url, storeId, inner: innerFor(await dir(), `${storeId}-a`), fetchTimeoutMs: 1_000 });
    open.push(a);
    for (const [name, size] of [['small.txt', 200], ['large.txt', 300_000]] as const) {
      const dDir = await dir();
      const d = await NodeProcess.start({ url: redis.url, storeId, inner: innerFor(dDir), stateDir: dDir });
      processes.push(d);
      const answer = await d.send(`create ${name} ${size}`);
      await d.kill();
      const commit = /^created ([0-9a-f]{40})$/.exec(answer)![1]!;
      await waitFor(async () => (await a.store.head(name)) === commit);
      const text = (await a.store.get(name)).text;
      expect(text.length).toBeGreaterThanOrEqual(size);
      expect(text.startsWith(`${name} ${name} `)).toBe(true);
    }
  });
});

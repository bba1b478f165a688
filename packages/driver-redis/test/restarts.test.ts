import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, startTcpProxy, tempDir, waitFor, type RedisServer, type TcpProxy } from '@gitty/driver-test/harness';
import { isGittyError } from '@gitty/core';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode, type LocalNode } from './helpers.js';
import { NodeProcess, type NodeReport } from './node-process.js';

const open: LocalNode[] = [];
const processes: NodeProcess[] = [];
const proxies: TcpProxy[] = [];
const servers: RedisServer[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const child of processes.splice(0)) await child.kill();
  for (const proxy of proxies.splice(0)) await proxy.stop();
  for (const server of servers.splice(0)) await server.stop();
  for (const dir of dirs.splice(0)) await dir.remove();
});

async function dir(): Promise<string> {
  const made = await tempDir('gitty-redis-restart-');
  dirs.push(made);
  return made.dir;
}

function committed(answer: string): string {
  const match = /^created ([0-9a-f]{40})$/.exec(answer);
  if (!match) throw new Error(`unexpected answer: ${answer}`);
  return match[1]!;
}

describe('a node restarted with the same nodeId', () => {
  it('its writes after the restart reach Redis and the other nodes (request ids never repeat)', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = `restart-${++stores}`;
    const keys = new StoreKeys('gitty', storeId);
    const other = await openNode({ url: redis.url, storeId, inner: innerFor(await dir()) });
    open.push(other);
    const nDir = await dir();
    const config = { url: redis.url, storeId, nodeId: 'app-1', inner: innerFor(nDir), stateDir: nDir };
    const first = await NodeProcess.start(config);
    processes.push(first);
    committed(await first.send('create before.txt 100'));
    committed(await first.send('create before2.txt 100'));
    await first.kill();

    const second = await NodeProcess.start(config);
    processes.push(second);
    const raw = new Redis(redis.url);
    try {
      for (const name of ['after.txt', 'after2.txt', 'after3.txt']) {
        const commit = committed(await second.send(`create ${name} 100`));
        // Acknowledged: it must be the head in Redis and on every other node.
        expect(await raw.hget(keys.heads, name)).toBe(commit);
        await waitFor(async () => (await other.store.head(name)) === commit, 10_000);
      }
    } finally {
      raw.disconnect();
    }
  });
});

describe('a writer killed right after its write', () => {
  it('after many raw saves, the head still travels with its own commit and blob', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = `announce-${++stores}`;
    const reader = await openNode({ url: redis.url, storeId, inner: innerFor(await dir()), fetchTimeoutMs: 1_000 });
    open.push(reader);
    const wDir = await dir();
    // Its own store is never read again (the reader gets everything through Redis): no fsync for its 350 saves.
    const writer = await NodeProcess.start({ url: redis.url, storeId, inner: innerFor(wDir, undefined, 'none'), stateDir: wDir });
    processes.push(writer);
    expect(await writer.send('save 350 w')).toBe('saved');
    const commit = committed(await writer.send('create doc.txt 300'));
    await writer.kill();
    await waitFor(async () => (await reader.store.head('doc.txt')) === commit, 10_000);
    expect((await reader.store.get('doc.txt')).text.startsWith('doc.txt doc.txt')).toBe(true);
  });
});

describe('Redis flushed while a node that has the newest change lags', () => {
  it('the first node to re-seed cannot write over it before the lagging node has merged it', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const proxy = await startTcpProxy(redis.port);
    proxies.push(proxy);
    const storeId = `settle-${++stores}`;
    const aDir = await dir();
    const a = await openNode({
      url: proxy.url, storeId, inner: innerFor(aDir), stateDir: aDir, blockMs: 200, commandTimeoutMs: 1_000,
      // Writes after the loss also wait for frozen b's merge (mergeWaitMs): the test does not rest on this time.
      settleMs: Number(process.env.GITTY_TEST_SETTLE_MS ?? 1_000),
    });
    open.push(a);
    const bDir = await dir();
    const b = await NodeProcess.start({ url: redis.url, storeId, inner: innerFor(bDir), stateDir: bDir, blockMs: 200 });
    processes.push(b);
    const v1 = (await a.store.create('x.txt', 'one')).commit;
    await waitFor(async () => (JSON.parse(await b.send('report')) as NodeReport).heads['x.txt'] === v1, 10_000);

    // a is cut off (it never hears of v2); b changes x.txt, then freezes; Redis loses everything.
    proxy.blackhole();
    expect(await b.send('write 1 7 x.txt')).toBe('done 1 0');
    const v2 = (JSON.parse(await b.send('report')) as NodeReport).heads['x.txt']!;
    expect(v2).not.toBe(v1);
    b.child.kill('SIGSTOP');
    const raw = new Redis(redis.url);
    await raw.flushall();
    raw.disconnect();
    proxy.heal();
    // a reconnects, re-seeds first from its x.txt = v1, and writes as soon as Redis takes writes.
    let first = '';
    await waitFor(async () => {
      try {
        await a.store.update('x.txt', 'a over v1', { previous: v1 });
        first = 'acknowledged';
      } catch (err) {
        if (!isGittyError(err, 'REDIS_UNAVAILABLE')) throw err;
        if (/lost the store/.test(err.message)) first = 'waiting for merges';
      }
      return first !== '';
    }, 20_000, 50);
    b.child.kill('SIGCONT');
    expect(first).toBe('waiting for merges');
    // b merges v2 within the window; a's next write is refused, then based on v2.
    let head = '';
    await waitFor(async () => {
      try {
        head = (await a.store.update('x.txt', 'a after the merge', { previous: (await a.store.head('x.txt'))! })).commit;
        return true;
      } catch (err) {
        if (!isGittyError(err, 'REDIS_UNAVAILABLE') && !isGittyError(err, 'NOT_AT_HEAD')) throw err;
        return false;
      }
    }, 20_000, 100);
    const history = (await a.store.history('x.txt', { depth: 10 })).history.map((c) => c.commit);
    expect(history[0]).toBe(head);
    expect(history).toContain(v2);
  });
});

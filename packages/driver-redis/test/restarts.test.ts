import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode, type LocalNode } from './helpers.js';
import { NodeProcess } from './node-process.js';

const open: LocalNode[] = [];
const processes: NodeProcess[] = [];
const servers: RedisServer[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const child of processes.splice(0)) await child.kill();
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
    const writer = await NodeProcess.start({ url: redis.url, storeId, inner: innerFor(wDir), stateDir: wDir });
    processes.push(writer);
    expect(await writer.send('save 350 w')).toBe('saved');
    const commit = committed(await writer.send('create doc.txt 300'));
    await writer.kill();
    await waitFor(async () => (await reader.store.head('doc.txt')) === commit, 10_000);
    expect((await reader.store.get('doc.txt')).text.startsWith('doc.txt doc.txt')).toBe(true);
  });
});

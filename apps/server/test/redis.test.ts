import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { readEvents, startTestServer, type TestServer } from './helpers.js';

describe('two servers sharing one Redis (redis driver over files)', () => {
  let redis: RedisServer;
  const servers: TestServer[] = [];
  const dirs: Array<{ remove: () => Promise<void> }> = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    for (let i = 0; i < 2; i++) {
      const dir = await tempDir(`gitty-server-redis-${i}-`);
      dirs.push(dir);
      servers.push(await startTestServer({
        store: { driver: 'redis', url: redis.url, prefix: 'gitty-test', storeId: 'shared', inner: { driver: 'files', dir: dir.dir } },
        writeRateLimit: false,
      }));
    }
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    await redis?.stop();
    for (const dir of dirs) await dir.remove();
  });

  it('shows a write on one server on the other\'s /events, and serves it there', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const events = await readEvents(b.url);
    const created = await a.call('POST', '/files/shared.md', { data: 'written on A\n' });
    expect(created.status).toBe(201);
    const head = created.json.commit.commit as string;
    await waitFor(() => events.events.some((e) => e.name === 'shared.md' && e.new === head));
    expect(events.events.find((e) => e.new === head)).toEqual({ name: 'shared.md', old: null, new: head, origin: 'remote' });

    const read = await b.call('GET', '/files/shared.md');
    expect(read.json).toMatchObject({ data: 'written on A\n', commit: { commit: head } });

    // An update on B with A's head as previous; then A sees it, and a stale write on A conflicts.
    const updated = await b.call('PUT', '/files/shared.md', { data: 'written on A\nand on B\n', previous: head });
    expect(updated.status).toBe(200);
    const stale = await a.call('PUT', '/files/shared.md', { data: 'A again\n', previous: head });
    expect(stale.status).toBe(409);
    expect(stale.json.head).toBe(updated.json.commit.commit);
    expect(stale.json.diffs.toHead).toContain('+and on B');
    events.close();
    await events.ended;
  });
});

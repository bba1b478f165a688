import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isGittyError, type Store } from '@gitty/core';
import { freePort, startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { innerFor, openNode, type LocalNode } from './helpers.js';

const open: LocalNode[] = [];
const servers: RedisServer[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const server of servers.splice(0)) await server.stop();
  for (const dir of dirs.splice(0)) await dir.remove();
});

async function node(url: string, storeId: string, extra: Record<string, unknown> = {}): Promise<LocalNode> {
  const dir = await tempDir('gitty-redis-outage-');
  dirs.push(dir);
  const opened = await openNode({ url, storeId, inner: innerFor(dir.dir, `${storeId}-${open.length}`), stateDir: dir.dir, ...extra });
  open.push(opened);
  return opened;
}

async function server(port?: number): Promise<RedisServer> {
  const started = await startRedisServer([], port);
  servers.push(started);
  return started;
}

/** Writes to its own names in a loop, remembering what succeeded, failed, or is of unknown outcome. */
class Burst {
  readonly lastOk = new Map<string, string>();
  readonly okAll = new Map<string, string[]>();
  readonly unknown = new Map<string, string[]>();
  ok = 0;
  failed = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly store: Store, private readonly names: string[]) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const name = this.names[i % this.names.length]!;
      const head = await this.store.head(name);
      try {
        const c = head ? await this.store.update(name, `${name} ${i}`, { previous: head }) : await this.store.create(name, `${name} ${i}`);
        this.lastOk.set(name, c.commit);
        this.okAll.set(name, [...(this.okAll.get(name) ?? []), c.commit]);
        this.ok++;
      } catch (err) {
        if (!isGittyError(err, 'REDIS_UNAVAILABLE')) throw err;
        this.failed++;
        if (/outcome/.test(err.message)) {
          // The commit of an unknown outcome is the newest object written for the name.
          this.unknown.set(name, [...(this.unknown.get(name) ?? []), err.message]);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

describe('Redis unavailable', () => {
  it('a node opens while Redis is down: local reads work and are flagged stale, writes fail fast, all recovers', async () => {
    const port = await freePort();
    const storeId = `offline-${++stores}`;
    const url = `redis://127.0.0.1:${port}`;
    const n = await node(url, storeId);
    expect(n.driver.status()).toMatchObject({ connected: false, stale: true });
    await expect(n.store.create('a.txt', 'x')).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect(await n.store.head('a.txt')).toBeUndefined();
    await server(port);
    await waitFor(() => !n.driver.status().stale, 15_000);
    const c = await n.store.create('a.txt', 'now it works');
    expect((await n.store.get('a.txt')).commit.commit).toBe(c.commit);
  });

  it('kill Redis in the middle of a write burst and restart it empty: no write lost, no delete undone', async () => {
    const first = await server();
    const storeId = `burst-${++stores}`;
    // Both nodes come back to the restarted Redis; writes wait for both to merge, so a short
    // settleMs only saves waiting time.
    const a = await node(first.url, storeId, { settleMs: 300 });
    const b = await node(first.url, storeId, { settleMs: 300 });
    const doomed = await a.store.create('doomed.txt', 'deleted before the crash');
    await a.store.delete('doomed.txt', { previous: doomed.commit });
    await b.store.rescan();
    const burstA = new Burst(a.store, ['a0.txt', 'a1.txt', 'a2.txt']);
    const burstB = new Burst(b.store, ['b0.txt', 'b1.txt', 'b2.txt']);
    await waitFor(() => burstA.ok >= 30 && burstB.ok >= 30, 20_000);
    await first.kill();
    await waitFor(() => burstA.failed >= 10 && burstB.failed >= 10, 20_000);
    // Local reads keep working while Redis is away, flagged stale.
    expect(a.driver.status().stale).toBe(true);
    const local = (await a.store.get('a0.txt')).commit;
    if (local.commit !== burstA.lastOk.get('a0.txt')) {
      // The kill can cut off a CAS reply after Redis applied it and its stream entry reached
      // this node's follower: that write failed with "outcome unknown" and may show, right
      // after the last acknowledged one — never anything else.
      expect(burstA.unknown.get('a0.txt')?.length ?? 0).toBeGreaterThan(0);
      expect(local.previous).toBe(burstA.lastOk.get('a0.txt'));
    }
    const okBefore = burstA.ok + burstB.ok;
    await server(first.port);
    await waitFor(() => burstA.ok + burstB.ok >= okBefore + 60, 20_000);
    await burstA.stop();
    await burstB.stop();
    await a.store.rescan();
    await b.store.rescan();
    for (const burst of [burstA, burstB]) {
      for (const [name, commits] of burst.okAll) {
        const head = await a.store.head(name);
        expect(await b.store.head(name)).toBe(head);
        // The writer's newest success is the head, unless a write of unknown outcome reached the
        // other node's store just before Redis died: then that one, right after it.
        if (head !== burst.lastOk.get(name)) {
          expect(burst.unknown.has(name)).toBe(true);
          expect((await a.store.commit(head!)).previous).toBe(burst.lastOk.get(name));
        }
        // Every acknowledged version is in the history on both nodes.
        for (const n of [a, b]) {
          const history = (await n.store.history(name, { depth: 1_000 })).history.map((c) => c.commit);
          for (const commit of commits) expect(history).toContain(commit);
        }
      }
    }
    expect(await a.store.head('doomed.txt')).toBeUndefined();
    expect(await b.store.head('doomed.txt')).toBeUndefined();
    expect((await a.store.fsck()).errors).toEqual([]);
    expect((await b.store.fsck()).errors).toEqual([]);
  });

  it('Redis flushed under running nodes: they notice, re-seed from their stores, and nothing comes back to life', async () => {
    const redis = await server();
    const storeId = `flush-${++stores}`;
    const a = await node(redis.url, storeId, { blockMs: 200, settleMs: 300 });
    const b = await node(redis.url, storeId, { blockMs: 200, settleMs: 300 });
    const kept = await a.store.create('kept.txt', 'keep me');
    const updated = await b.store.update('kept.txt', 'updated by b', { previous: (await b.store.create('other.txt', 'x'), await waitForHead(b.store, 'kept.txt', kept.commit)) });
    const gone = await b.store.create('gone.txt', 'to be deleted');
    await waitForHead(a.store, 'gone.txt', gone.commit);
    await a.store.delete('gone.txt', { previous: gone.commit });
    await b.store.rescan();
    const raw = new Redis(redis.url);
    try {
      await raw.flushall();
      // Both nodes notice the missing epoch while idle and merge their heads back.
      await waitFor(async () => Object.keys(await raw.hgetall(`gitty:{${storeId}}:heads`)).length === 2, 15_000, 100);
    } finally {
      raw.disconnect();
    }
    // Writes wait settleMs after the loss (for lagging nodes to merge); an application retries.
    let later: { commit: string } | undefined;
    await waitFor(async () => {
      later = await a.store.create('later.txt', 'after the flush').catch((err: unknown) => {
        if (!isGittyError(err, 'REDIS_UNAVAILABLE')) throw err;
        return undefined;
      });
      return later !== undefined;
    }, 15_000, 100);
    await waitForHead(b.store, 'later.txt', later!.commit);
    for (const n of [a, b]) {
      await n.store.rescan();
      expect(await n.store.head('kept.txt')).toBe(updated.commit);
      expect(await n.store.head('gone.txt')).toBeUndefined();
    }
  });

  it('a node that slept through a delete and a Redis flush does not bring the deleted file back', async () => {
    const redis = await server();
    const storeId = `tomb-${++stores}`;
    const configs = await Promise.all(['a', 'b'].map(async (who) => {
      const made = await tempDir('gitty-redis-tomb-');
      dirs.push(made);
      return { url: redis.url, storeId, inner: innerFor(made.dir, `${storeId}-${who}`), stateDir: made.dir };
    }));
    let a = await openNode(configs[0]!);
    let b = await openNode(configs[1]!);
    const x = await a.store.create('x.txt', 'to be deleted while b sleeps');
    const y = await a.store.create('y.txt', 'deleted, then created again');
    await b.store.rescan();
    expect(await b.store.head('x.txt')).toBe(x.commit);
    await b.store.close();
    await a.store.delete('x.txt', { previous: x.commit });
    await a.store.delete('y.txt', { previous: y.commit });
    const y2 = await a.store.create('y.txt', 'the new y');
    await a.store.close();
    // Redis loses everything while both nodes are down; the stale node returns first.
    const raw = new Redis(redis.url);
    await raw.flushall();
    raw.disconnect();
    b = await openNode(configs[1]!);
    open.push(b);
    a = await openNode(configs[0]!);
    open.push(a);
    await b.store.rescan();
    for (const n of [a, b]) {
      expect(await n.store.head('x.txt')).toBeUndefined();
      expect(await n.store.head('y.txt')).toBe(y2.commit);
    }
    expect((await b.store.get('y.txt')).text).toBe('the new y');
  });

  it('a CAS whose reply is lost fails with REDIS_UNAVAILABLE and is resolved after reconnect, never applied twice', async () => {
    const redis = await server();
    const storeId = `lost-${++stores}`;
    const a = await node(redis.url, storeId, { commandTimeoutMs: 500 });
    const v1 = await a.store.create('x.txt', 'one');
    redis.process.kill('SIGSTOP');
    try {
      await expect(a.store.update('x.txt', 'two', { previous: v1.commit })).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect(a.driver.status().unresolved).toBe(1);
    } finally {
      redis.process.kill('SIGCONT');
    }
    // Redis wakes and runs the queued script: the outcome is "applied", found by its request key.
    await waitFor(() => a.driver.status().unresolved === 0, 15_000);
    const stats = await a.store.driverStats();
    expect(stats['redis.resolvedApplied']).toBe(1);
    await a.store.rescan();
    const head = (await a.store.head('x.txt'))!;
    expect((await a.store.get('x.txt')).text).toBe('two');
    expect((await a.store.history('x.txt')).history.map((c) => c.previous ?? null)).toEqual([v1.commit, null]);
    expect(head).not.toBe(v1.commit);
  });
});

async function waitForHead(store: Store, name: string, head: string): Promise<string> {
  await waitFor(async () => (await store.head(name)) === head, 15_000);
  return head;
}

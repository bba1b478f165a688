import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import {
  defaultDriverContext, encodeCommit, hashObject, MemoryBacking, MemoryDriver, openStore, type Driver, type HeadChange, type Store,
} from '@gitty/core';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { defineReplicaCommands } from '../src/cas-script.js';
import { createClient } from '../src/connection.js';
import { RedisDriver } from '../src/driver.js';
import { parseOptions } from '../src/options.js';
import { ReplicaState } from '../src/replica-state.js';
import { streamOf } from './support/replica-parts.js';

// The redis driver itself (RedisDriver), opened on a memory inner store against a real
// redis-server: what it says it is, what each method does with the local store and the stream,
// which objects a head change announces, the refusals after close, status and stats, and
// what close leaves behind in Redis.

let redis: RedisServer;
let raw: Redis;
const open: RedisDriver[] = [];
let stores = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.port, '127.0.0.1');
});

afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});

afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});

/** A node as createDriver opens it, but on the inner driver given. */
async function node(options: Record<string, unknown> = {}, inner: Driver = new MemoryDriver(), url = redis.url): Promise<RedisDriver> {
  const parsed = parseOptions({ url, storeId: `driver-${randomBytes(6).toString('hex')}-${++stores}`, inner: { driver: 'memory' }, fetchTimeoutMs: 1_000, blockMs: 200, ...options });
  const connections = { cmd: createClient(parsed, 'cmd'), follower: createClient(parsed, 'follow'), sub: createClient(parsed, 'sub') };
  defineReplicaCommands(connections.cmd);
  const driver = new RedisDriver(parsed, inner, await ReplicaState.open(undefined, parsed.storeId), defaultDriverContext(), connections);
  open.push(driver);
  await driver.start();
  return driver;
}

const enc = (text: string) => new TextEncoder().encode(text);

async function blob(driver: Driver, text: string): Promise<string> {
  const data = enc(text);
  const hash = hashObject('blob', data);
  await driver.storeObject(hash, 'blob', data);
  return hash;
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describe('RedisDriver identity', () => {
  it('names itself after its inner store, adds watch, shared heads and raw objects, and keeps the commit format', async () => {
    class Plain extends MemoryDriver {
      override readonly capabilities = { objectTimes: true };
      readonly commitFormat = 'swish' as const;
    }
    const d = await node({ nodeId: 'node-a', prefix: 'pre', storeId: 'sid' }, new Plain());
    expect(d.name).toBe('redis(memory)');
    expect(d.capabilities).toEqual({ objectTimes: true, watch: true, sharedHeads: true, rawObjects: true });
    expect(d.commitFormat).toBe('swish');
    expect(d.node).toBe('node-a');
    expect(d.keys.base).toBe('pre:{sid}:');
    expect(await raw.hgetall(d.keys.members)).toEqual({ 'node-a': d.status().epoch!.split(':')[0] });
    const other = await node();
    expect(other.node).toMatch(/^[0-9a-f]{16}$/);
    expect(other.node).not.toBe((await node()).node);
  });
});

describe('RedisDriver objects', () => {
  it('announces a head\'s commit and blob with its change, and objects stored meanwhile', async () => {
    const d = await node({ nodeId: 'w' });
    const store = await openStore(d);
    const commit = await store.create('f.txt', 'hello');
    const entries = await streamOf(raw, d.keys);
    expect(entries.map((e) => e.type)).toEqual(['objects', 'head']);
    expect(Object.keys(entries[0]!).slice(3).sort()).toEqual([`o:${commit.commit}`, `o:${commit.data}`].sort());
    expect(Object.keys(entries[0]!)[3]).toBe(`o:${commit.commit}`);
    expect(entries[1]).toMatchObject({ name: 'f.txt', new: commit.commit, node: 'w' });
  });

  it('a head whose commit is damaged or is no commit announces only what it is; a missing one nothing', async () => {
    const d = await node();
    const inner = d.inner;
    const bad = enc('{not json');
    const badHash = hashObject('commit', bad);
    await inner.storeObject(badHash, 'commit', bad);
    await d.updateHead('bad.txt', null, badHash);
    const data = enc('plain blob');
    const blobHash = hashObject('blob', data);
    await inner.storeObject(blobHash, 'blob', data);
    await d.updateHead('blob.txt', null, blobHash);
    await d.updateHead('missing.txt', null, 'e'.repeat(40));
    const body = encodeCommit({ data: 'f'.repeat(40), time: 1, meta: {} } as never);
    const noBlob = hashObject('commit', body);
    await inner.storeObject(noBlob, 'commit', body);
    await d.updateHead('noblob.txt', null, noBlob);
    const entries = await streamOf(raw, d.keys);
    expect(entries.map((e) => (e.type === 'objects' ? Object.keys(e).slice(3) : e.name))).toEqual([
      [`o:${badHash}`], 'bad.txt', 'blob.txt', 'missing.txt', [`o:${noBlob}`], 'noblob.txt',
    ]);
  });

  it('announces objects stored without a head change once 400 wait, in batches of 200', async () => {
    const d = await node();
    for (let i = 0; i < 399; i++) await blob(d, `loose ${i}`);
    expect(await blob(d, 'loose 0').then(() => raw.xlen(d.keys.stream))).toBe(0); // stored again: not pending twice
    await blob(d, 'the 400th');
    await waitFor(async () => (await raw.xlen(d.keys.stream)) === 2, 10_000);
    const entries = await streamOf(raw, d.keys);
    expect(entries.map((e) => Object.keys(e).length - 3)).toEqual([200, 200]);
  });

  it('reads local objects, and fetches a missing one only when it is known to exist', async () => {
    const a = await node({ nodeId: 'a' });
    const b = await node({ nodeId: 'b', storeId: a.keys.storeId });
    const data = enc('only on a');
    const onlyA = hashObject('blob', data);
    await a.inner.storeObject(onlyA, 'blob', data);
    expect(await b.loadObject(onlyA)).toBeUndefined();
    expect(await b.hasObject(onlyA)).toBe(false);
    // A head on a of an object a never announces (a blob head): b fetches it when read.
    await a.updateHead('blob.txt', null, onlyA);
    await waitFor(async () => (await b.getHead('blob.txt')) === onlyA);
    const fetched = await b.loadObject(onlyA);
    expect(fetched?.type).toBe('blob');
    expect(Buffer.from(fetched!.data).toString()).toBe('only on a');
    expect((await b.stats())['redis.fetched']).toBe(1);
    expect((await a.stats())['redis.answered']).toBe(1);
  });

  it('a commit read here makes its blob and previous commit known, so a miss of them is fetched', async () => {
    const a = await node({ nodeId: 'a' });
    const b = await node({ nodeId: 'b', storeId: a.keys.storeId });
    const blobData = enc('blob of a commit');
    const blobHash = hashObject('blob', blobData);
    await a.inner.storeObject(blobHash, 'blob', blobData);
    const body = encodeCommit({ data: blobHash, time: 1, meta: {} } as never);
    const commit = hashObject('commit', body);
    await b.storeObject(commit, 'commit', body);
    expect(await b.loadObject(blobHash)).toBeUndefined();
    expect((await b.loadObject(commit))?.type).toBe('commit');
    expect((await b.loadObject(blobHash))?.type).toBe('blob');
  });

  it('lists each object once, deletes objects (no longer announced), and loads and stores raw bytes', async () => {
    const d = await node();
    const one = await blob(d, 'one');
    const two = await blob(d, 'two');
    const listed: string[] = [];
    for await (const h of d.objects()) listed.push(h);
    expect(listed.sort()).toEqual([one, two].sort());
    expect(await d.deleteObject(one)).toBe(true);
    expect(await d.deleteObject(one)).toBe(false);
    expect(await d.hasObject(one)).toBe(false);
    const rawTwo = await d.loadRaw(two);
    expect(Buffer.from(defaultDriverContext().compression.inflate(rawTwo!, 1 << 20)).toString()).toBe('blob 3\0two');
    expect(await d.loadRaw('0'.repeat(40))).toBeUndefined();
    const other = await node();
    expect(await other.storeRaw(two, rawTwo!)).toBe(true);
    expect(await other.storeRaw(two, rawTwo!)).toBe(false);
    expect(Buffer.from((await other.loadObject(two))!.data).toString()).toBe('two');
    const error = await failure(other.storeRaw(one, rawTwo!));
    expect(error.code).toBe('CORRUPT_OBJECT');
    expect(error.message).toBe(`Corrupt object ${one} in raw object: content hashes to ${two}`);
    await d.rescan();
    const entries = await streamOf(raw, d.keys);
    expect(entries.flatMap((e) => Object.keys(e).slice(3))).toEqual([`o:${two}`]);
  });

  it('an inner store without loadRaw: raw bytes made from the object', async () => {
    class NoRaw extends MemoryDriver {}
    (NoRaw.prototype as { loadRaw?: unknown }).loadRaw = undefined;
    const d = await node({}, new NoRaw());
    const h = await blob(d, 'framed here');
    expect(Buffer.from(defaultDriverContext().compression.inflate((await d.loadRaw(h))!, 1 << 20)).toString()).toBe('blob 11\0framed here');
    await d.rescan();
    const entries = await raw.xrangeBuffer(d.keys.stream, '-', '+');
    expect(Buffer.from(defaultDriverContext().compression.inflate(entries[0]![1][7]!, 1 << 20)).toString()).toBe('blob 11\0framed here');
  });

  it('refuses invalid hashes', async () => {
    const d = await node();
    for (const call of [
      () => d.storeObject('nope', 'blob', enc('x')), () => d.loadObject('nope'), () => d.deleteObject('nope'),
      () => d.loadRaw('nope'), () => d.storeRaw('nope', new Uint8Array(1)), () => d.updateHead('f.txt', null, 'nope'),
    ]) {
      expect((await failure(call())).code).toBe('INVALID_HASH');
    }
    await d.updateHead('f.txt', null, 'a'.repeat(40));
    await d.updateHead('f.txt', 'a'.repeat(40), null);
    expect(await d.getHead('f.txt')).toBeUndefined();
  });

  it('counts a follower as silent only once it heard nothing for longer than a blocked read may take', async () => {
    const d = await node({ blockMs: 200, commandTimeoutMs: 300 });
    await d.rescan();
    const internals = d as unknown as { follower: { lastReply: number } };
    // Synchronous from here to the end: the follower cannot record a reply in between.
    const clock = vi.spyOn(performance, 'now');
    try {
      internals.follower.lastReply = 1_000;
      clock.mockReturnValue(1_000 + 200 + 300);
      const atLimit = d.status().stale;
      clock.mockReturnValue(1_000 + 200 + 300 + 1);
      const past = d.status().stale;
      expect([atLimit, past]).toEqual([false, true]);
    } finally {
      clock.mockRestore();
    }
  });

  it('refuses an invalid new head itself, over an inner store that does not check hashes', async () => {
    // A third-party inner store may trust its caller: its loadObject answers "none" for any key.
    class TrustingDriver extends MemoryDriver {
      override async loadObject(hash: string) {
        return /^[0-9a-f]{40}$/.test(hash) ? super.loadObject(hash) : undefined;
      }
    }
    const d = await node({}, new TrustingDriver());
    expect((await failure(d.updateHead('f.txt', null, 'nope'))).code).toBe('INVALID_HASH');
    await d.rescan();
    expect(await d.getHead('f.txt')).toBeUndefined();
  });
});

describe('RedisDriver with replicated objects on their way to the inner store', () => {
  /** A memory store whose object writes wait at a gate, before or after they reach the store. */
  class Gated extends MemoryDriver {
    private gate: Promise<void>;
    private opener: () => void = () => undefined;
    constructor(private readonly writeFirst: boolean) {
      super();
      this.gate = new Promise<void>((resolve) => (this.opener = resolve));
    }
    open(): void {
      this.opener();
    }
    override async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
      if (this.writeFirst) {
        const stored = await super.storeObject(hash, type, data);
        await this.gate;
        return stored;
      }
      await this.gate;
      return super.storeObject(hash, type, data);
    }
  }

  it('lists an object held and already in the inner store once', async () => {
    const a = await node();
    const inner = new Gated(true);
    const b = await node({ storeId: a.keys.storeId }, inner);
    const c = await (await openStore(a)).create('f.txt', 'held on b');
    await waitFor(() => b.status().persisting >= 2, 10_000);
    const listed: string[] = [];
    for await (const h of b.objects()) listed.push(h);
    expect(listed.sort()).toEqual([c.commit, c.data].sort());
    inner.open();
    await b.rescan();
    expect(b.status().persisting).toBe(0);
  });

  it('deletes a held object after its write to the inner store, so the write does not bring it back', async () => {
    const a = await node();
    const inner = new Gated(false);
    const b = await node({ storeId: a.keys.storeId }, inner);
    const c = await (await openStore(a)).create('f.txt', 'deleted while held');
    await waitFor(() => b.status().persisting >= 2, 10_000);
    expect(await b.hasObject(c.data)).toBe(true);
    const deleting = b.deleteObject(c.data);
    inner.open();
    expect(await deleting).toBe(true);
    await b.rescan();
    expect(await b.hasObject(c.data)).toBe(false);
    expect(await inner.hasObject(c.data)).toBe(false);
  });

  it('its state is saved only after the held objects and heads are in the inner store', async () => {
    const a = await node();
    const inner = new Gated(false);
    const b = await node({ storeId: a.keys.storeId }, inner);
    const c = await (await openStore(a)).create('f.txt', 'held before a save');
    await waitFor(() => b.status().persisting >= 2, 10_000);
    expect(await inner.hasObject(c.data)).toBe(false);
    const state = (b as unknown as { state: ReplicaState }).state;
    // The gate opens later, from a timer: the save's wait must last until then.
    setTimeout(() => inner.open(), 50);
    await state.beforeSave();
    expect(await inner.hasObject(c.commit)).toBe(true);
    expect(await inner.hasObject(c.data)).toBe(true);
    expect(await inner.getHead('f.txt')).toBe(c.commit);
  });
});

describe('RedisDriver fetching through loadRaw and at close', () => {
  it('loadRaw fetches a known object from a peer', async () => {
    const a = await node({ nodeId: 'a' });
    const b = await node({ nodeId: 'b', storeId: a.keys.storeId });
    const data = enc('raw from a');
    const h = hashObject('blob', data);
    await a.inner.storeObject(h, 'blob', data);
    await a.updateHead('raw.txt', null, h);
    await waitFor(async () => (await b.getHead('raw.txt')) === h);
    const rawBytes = await b.loadRaw(h);
    expect(Buffer.from(defaultDriverContext().compression.inflate(rawBytes!, 1 << 20)).toString()).toBe('blob 10\0raw from a');
  });

  it('an object stored that the inner store already had is not announced', async () => {
    const d = await node();
    const data = enc('already inside');
    const h = hashObject('blob', data);
    await d.inner.storeObject(h, 'blob', data);
    expect(await d.storeObject(h, 'blob', data)).toBe(false);
    await d.rescan();
    expect(await raw.xlen(d.keys.stream)).toBe(0);
  });

  it('close ends a fetch nobody answers, and disconnects from Redis', async () => {
    const d = await node({ nodeId: 'closer', fetchTimeoutMs: 30_000 });
    await d.updateHead('ghost.txt', null, '9'.repeat(40));
    const listener = new Redis(redis.port, '127.0.0.1');
    const asks: string[] = [];
    listener.on('message', (_channel: string, message: string) => asks.push(message));
    await listener.subscribe(d.keys.fetchChannel);
    const reading = d.loadObject('9'.repeat(40)).catch((err: unknown) => err);
    await waitFor(() => asks.length > 0, 5_000, 5);
    listener.disconnect();
    await d.close();
    expect(await reading).toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${'9'.repeat(40)} is unavailable: the node is closing` });
    await waitFor(async () => !/name=gitty-/.test(await raw.client('LIST') as string), 5_000);
  });
});

describe('RedisDriver heads', () => {
  it('lists heads, by extension when asked, and reports other nodes\' changes', async () => {
    const a = await node();
    const b = await node({ storeId: a.keys.storeId });
    const changes: HeadChange[] = [];
    const stop = b.watch((c) => changes.push(c));
    await a.updateHead('x.pl', null, 'a'.repeat(40));
    await a.updateHead('y.md', null, 'b'.repeat(40));
    await b.rescan();
    const all: string[] = [];
    for await (const e of b.heads()) all.push(`${e.name}=${e.head[0]}`);
    expect(all.sort()).toEqual(['x.pl=a', 'y.md=b']);
    const pl: string[] = [];
    for await (const e of b.heads({ ext: 'pl' })) pl.push(e.name);
    expect(pl).toEqual(['x.pl']);
    expect(changes.map((c) => c.name).sort()).toEqual(['x.pl', 'y.md']);
    stop();
    await a.updateHead('z.txt', null, 'c'.repeat(40));
    await b.rescan();
    expect(changes).toHaveLength(2);
    expect(await b.getHead('z.txt')).toBe('c'.repeat(40));
  });

  it('rescan settles a change whose reply was lost', async () => {
    const d = await node();
    const writer = (d as unknown as { writer: { unresolved: Map<string, { name: string; next: string | null }> } }).writer;
    writer.unresolved.set('lost', { name: 'f.txt', next: null });
    expect(d.status().unresolved).toBe(1);
    await d.rescan();
    expect(d.status().unresolved).toBe(0);
    expect(await d.stats()).toMatchObject({ 'redis.resolvedApplied': 0, 'redis.resolvedNotApplied': 1 });
  });
});

describe('RedisDriver status and stats', () => {
  it('reports a synced node as connected and not stale, with its epoch and cursor', async () => {
    const d = await node();
    const epoch = await raw.get(d.keys.epoch);
    expect(d.status()).toEqual({ connected: true, stale: false, epoch, cursor: '0-0', unresolved: 0, persisting: 0 });
    await d.updateHead('f.txt', null, 'a'.repeat(40));
    const other = await node({ storeId: d.keys.storeId });
    await other.rescan();
    const lastId = (await raw.xrevrange(d.keys.stream, '+', '-', 'COUNT', 1))[0]![0];
    expect(other.status().cursor).toBe(lastId);
  });

  it('stats: the inner store\'s, and its own counters under redis.*', async () => {
    class Counting extends MemoryDriver {
      async stats(): Promise<Record<string, number>> {
        return { 'inner.count': 7 };
      }
    }
    const d = await node({}, new Counting());
    expect(await d.stats()).toEqual({
      'inner.count': 7,
      'redis.replicated': 0, 'redis.duplicates': 0, 'redis.rejected': 0, 'redis.malformed': 0, 'redis.reconciles': 0, 'redis.merges': 1, 'redis.rollbacks': 0,
      'redis.fetched': 0, 'redis.answered': 0, 'redis.fetchRejected': 0,
      'redis.stale': 0, 'redis.unresolved': 0, 'redis.persisting': 0, 'redis.resolvedApplied': 0, 'redis.resolvedNotApplied': 0,
    });
    const plain = await node();
    expect(Object.keys(await plain.stats()).filter((k) => !k.startsWith('redis.'))).toEqual([]);
  });

  it('opens without Redis: stale, not connected, local reads work, writes refused', async () => {
    const d = await node({}, new MemoryDriver(), 'redis://127.0.0.1:1');
    expect(d.status()).toEqual({ connected: false, stale: true, epoch: null, cursor: '0-0', unresolved: 0, persisting: 0 });
    expect((await d.stats())['redis.stale']).toBe(1);
    const h = await blob(d, 'offline');
    expect(await d.hasObject(h)).toBe(true);
    const error = await failure(d.updateHead('f.txt', null, h));
    expect(error.message).toBe('Redis is unavailable: cannot change the head of "f.txt": no connection to Redis');
    await d.rescan();
    expect(await d.hasObject(h)).toBe(true);
  });

  it('a silent follower makes the node stale', async () => {
    const d = await node({ blockMs: 100, commandTimeoutMs: 100 });
    expect(d.status().stale).toBe(false);
    const conns = (d as unknown as { connections: { follower: Redis } }).connections;
    conns.follower.disconnect();
    await waitFor(() => conns.follower.status === 'end', 5_000, 5);
    expect(d.status()).toMatchObject({ connected: true, stale: true });
    await conns.follower.connect();
    // Stale until the follower's next read answers (its silence counts too).
    await waitFor(() => !d.status().stale, 5_000, 5);
    (d as unknown as { follower: { lastReply: number } }).follower.lastReply = performance.now() - 10_000;
    (d as unknown as { follower: { stop(): Promise<void> } }).follower.stop = async () => undefined;
    expect(d.status().stale).toBe(true);
  });
});

describe('RedisDriver close', () => {
  it('announces pending objects, leaves the members, closes the inner store, and refuses every call after', async () => {
    const inner = new MemoryDriver();
    const d = await node({ nodeId: 'leaver' }, inner);
    const h = await blob(d, 'stored before close');
    expect(Object.keys(await raw.hgetall(d.keys.members))).toEqual(['leaver']);
    const first = d.close();
    expect(d.close()).toBe(first);
    await first;
    expect(await raw.hgetall(d.keys.members)).toEqual({});
    expect((await streamOf(raw, d.keys)).flatMap((e) => Object.keys(e).slice(3))).toEqual([`o:${h}`]);
    expect((await failure(inner.hasObject(h))).code).toBe('CLOSED');
    const calls: Array<() => Promise<unknown>> = [
      () => d.storeObject(h, 'blob', enc('x')), () => d.loadObject(h), () => d.hasObject(h), () => d.deleteObject(h),
      () => d.loadRaw(h), () => d.storeRaw(h, new Uint8Array(1)), () => d.getHead('f'), () => d.updateHead('f', null, null),
      () => d.rescan(), () => d.stats(), async () => { for await (const x of d.objects()) void x; }, async () => { for await (const x of d.heads()) void x; },
    ];
    calls.push(() => (d as unknown as { objectTime(hash: string): Promise<unknown> }).objectTime(h));
    for (const call of calls) {
      const error = await failure(call());
      expect(error.code).toBe('CLOSED');
      expect(error.message).toBe('The redis driver is closed');
    }
  });

  it('a node that never joined the current epoch stays a member', async () => {
    const d = await node({ nodeId: 'stays' });
    await raw.set(d.keys.epoch, '1:other');
    await raw.hset(d.keys.members, 'stays', '1');
    await d.close();
    expect(await raw.hgetall(d.keys.members)).toEqual({ stays: '1' });
  });
});

describe('RedisDriver after Redis comes back', () => {
  it('syncs on reconnect and picks up what changed meanwhile', async () => {
    const server = await startRedisServer();
    try {
      // A long block: the follower's idle check does not come during the test, only the reconnect syncs.
      const d = await node({ nodeId: 'r', blockMs: 60_000 }, new MemoryDriver(), server.url);
      const store: Store = await openStore(d);
      await store.create('before.txt', 'x');
      const client = new Redis(server.port, '127.0.0.1');
      try {
        const epoch = await client.get(d.keys.epoch);
        await client.flushall();
        await client.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        await waitFor(async () => (await client.get(d.keys.epoch)) !== null && (await client.get(d.keys.epoch)) !== epoch, 10_000);
        await waitFor(() => d.status().epoch === null || d.status().epoch !== epoch, 10_000);
        expect(await client.hget(d.keys.heads, 'before.txt')).toBe(await store.head('before.txt'));
      } finally {
        client.disconnect();
      }
      await d.close();
    } finally {
      await server.stop();
    }
  });
});

describe('RedisDriver wiring of its parts', () => {
  it('an idle node notices a flushed Redis and re-seeds it with its heads', async () => {
    const d = await node({ blockMs: 100 });
    await d.updateHead('kept.txt', null, 'a'.repeat(40));
    const epoch = d.status().epoch;
    await raw.flushall();
    await waitFor(async () => (await raw.hget(d.keys.heads, 'kept.txt')) === 'a'.repeat(40), 10_000);
    expect(d.status().epoch).not.toBe(epoch);
    expect(await raw.get(d.keys.epoch)).toBe(d.status().epoch);
  });

  it('fetches the objects of heads it adopts without being asked, back to a commit it has', async () => {
    const a = await node({ nodeId: 'a' });
    const storeA = await openStore(a);
    const v1 = await storeA.create('f.txt', 'version 1');
    const backing = new MemoryBacking();
    const first = await node({ nodeId: 'b', storeId: a.keys.storeId }, new MemoryDriver(backing));
    await first.rescan();
    expect(await first.getHead('f.txt')).toBe(v1.commit);
    await first.close();
    const v2 = await storeA.update('f.txt', 'version 2', { previous: v1.commit });
    await raw.del(a.keys.stream);
    const b = await node({ nodeId: 'b', storeId: a.keys.storeId }, new MemoryDriver(backing));
    await b.rescan();
    expect(await b.hasObject(v2.commit)).toBe(true);
    expect(await b.hasObject(v2.data)).toBe(true);
    expect((await b.stats())['redis.fetched']).toBe(2);
  });

  it('does not take its own announcements again, and holds a peer\'s without fetching', async () => {
    const a = await node({ nodeId: 'a' });
    const b = await node({ nodeId: 'b', storeId: a.keys.storeId });
    const c = await (await openStore(a)).create('f.txt', 'replicated');
    await a.rescan();
    await b.rescan();
    expect(await a.stats()).toMatchObject({ 'redis.replicated': 0, 'redis.duplicates': 0 });
    expect(await b.stats()).toMatchObject({ 'redis.replicated': 2, 'redis.fetched': 0 });
    expect(await b.hasObject(c.commit)).toBe(true);
    expect(await b.hasObject(c.data)).toBe(true);
  });

  it('pings its pub/sub connection every blockMs', async () => {
    const d = await node({ nodeId: 'pinger', blockMs: 50 });
    await waitFor(async () => ((await raw.client('LIST')) as string).split('\n').some((line) => line.includes('name=gitty-sub') && line.includes('cmd=ping')), 5_000);
    expect(d.status().connected).toBe(true);
  });

  it('retries failed inner head writes and settles lost replies when idle, without a rescan', async () => {
    class Refusing extends MemoryDriver {
      refuse = true;
      override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
        if (this.refuse) throw Object.assign(new Error('disk full'), { code: 'STORAGE_FULL' });
        return super.updateHead(name, expected, next);
      }
    }
    const a = await node();
    const inner = new Refusing();
    const b = await node({ storeId: a.keys.storeId, blockMs: 50 }, inner);
    await a.updateHead('later.txt', null, 'a'.repeat(40));
    await waitFor(async () => (await b.getHead('later.txt')) === 'a'.repeat(40));
    const writer = (b as unknown as { writer: { unresolved: Map<string, { name: string; next: string | null }> } }).writer;
    writer.unresolved.set('lost', { name: 'later.txt', next: 'a'.repeat(40) });
    inner.refuse = false;
    await waitFor(async () => (await inner.getHead('later.txt')) === 'a'.repeat(40), 10_000);
    await waitFor(() => b.status().unresolved === 0, 10_000);
    expect((await b.stats())['redis.resolvedApplied']).toBe(1);
  });

  it('rescan resolves once what it pulled is in the inner store', async () => {
    class Slow extends MemoryDriver {
      override async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return super.storeObject(hash, type, data);
      }
    }
    const a = await node();
    const inner = new Slow();
    const b = await node({ storeId: a.keys.storeId }, inner);
    const c = await (await openStore(a)).create('f.txt', 'slowly written');
    await b.rescan();
    expect(await inner.hasObject(c.commit)).toBe(true);
    expect(await inner.hasObject(c.data)).toBe(true);
    expect(await inner.getHead('f.txt')).toBe(c.commit);
  });

  it('a head change announces its commit and the commit\'s blob when both are here', async () => {
    const d = await node();
    const elsewhere = new MemoryDriver();
    const c = await (await openStore(elsewhere)).create('f.txt', 'blob of the head');
    for (const h of [c.commit, c.data]) {
      const o = (await elsewhere.loadObject(h))!;
      await d.inner.storeObject(h, o.type, o.data);
    }
    await d.updateHead('f.txt', null, c.commit);
    // Its blob missing here: the commit alone.
    const other = await (await openStore(elsewhere)).create('g.txt', 'blob not copied');
    const o = (await elsewhere.loadObject(other.commit))!;
    await d.inner.storeObject(other.commit, o.type, o.data);
    await d.updateHead('g.txt', null, other.commit);
    const entries = await streamOf(raw, d.keys);
    expect(entries.map((e) => (e.type === 'objects' ? Object.keys(e).slice(3) : e.name))).toEqual([
      [`o:${c.commit}`, `o:${c.data}`], 'f.txt', [`o:${other.commit}`], 'g.txt',
    ]);
  });

  it('an object whose stream copy was damaged is known, and fetching it ends in CORRUPT_OBJECT', async () => {
    const d = await node({ fetchTimeoutMs: 500 });
    const data = enc('the real bytes');
    const h = hashObject('blob', data);
    const seq = await raw.incr(d.keys.seq);
    const damaged = defaultDriverContext().compression.deflate(new TextEncoder().encode('blob 5\0wrong'));
    await raw.xadd(d.keys.stream, '*', 'seq', String(seq), 'type', 'objects', 'node', 'elsewhere', `o:${h}`, Buffer.from(damaged));
    await d.rescan();
    expect((await d.stats())['redis.rejected']).toBe(1);
    const error = await failure(d.loadObject(h));
    expect(error.code).toBe('CORRUPT_OBJECT');
    expect(error.message).toBe(`Corrupt object ${h} in Redis replication: every copy offered to this node was damaged, and no intact one came within 500 ms`);
  });

  it('saves the names whose head the inner store refused with its state', async () => {
    class Refusing extends MemoryDriver {
      override async updateHead(): Promise<void> {
        throw Object.assign(new Error('disk full'), { code: 'STORAGE_FULL' });
      }
    }
    const made = await tempDir('gitty-redis-driver-');
    try {
      const a = await node();
      const parsed = parseOptions({ url: redis.url, storeId: a.keys.storeId, inner: { driver: 'memory' }, blockMs: 200, stateDir: made.dir });
      const connections = { cmd: createClient(parsed, 'cmd'), follower: createClient(parsed, 'follow'), sub: createClient(parsed, 'sub') };
      defineReplicaCommands(connections.cmd);
      const b = new RedisDriver(parsed, new Refusing(), await ReplicaState.open(made.dir, parsed.storeId), defaultDriverContext(), connections);
      await b.start();
      await a.updateHead('refused.txt', null, 'a'.repeat(40));
      await b.rescan();
      expect(await b.getHead('refused.txt')).toBe('a'.repeat(40));
      await b.close();
      const saved = JSON.parse(await readFile(`${made.dir}/redis-replica-${parsed.storeId}.json`, 'utf8')) as { unwritten?: string[] };
      expect(saved.unwritten).toEqual(['refused.txt']);
    } finally {
      await made.remove();
    }
  });
});

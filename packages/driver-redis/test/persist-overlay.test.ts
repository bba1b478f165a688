// A replicated version is readable on a node as soon as its objects are verified and held in
// memory; the node's inner store gets objects, then the head, in the background. These tests
// hold the inner store's writes back (a gate, or a slow store in a child process) and check
// what the node shows meanwhile, what it acknowledges, what close() waits for, and what a
// SIGKILL before the inner store caught up costs.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommit, defaultDriverContext, isGittyError, type DriverFactory, type HeadChange } from '@gitty/core';
import { spawnTs, startRedisServer, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { openNode, type LocalNode } from './helpers.js';
import { gateFor, registerGatedDriver, releaseGates } from './support/slow-inner.js';
import { useTestResources } from './support/test-resources.js';

const SLOW_NODE = fileURLToPath(new URL('./fixtures/slow-node.ts', import.meta.url));
const resources = useTestResources('gitty-redis-overlay-');
let files: DriverFactory;
let stores = 0;

beforeAll(async () => {
  files = ((await import('@gitty/driver-files' as string)) as { createDriver: DriverFactory }).createDriver;
  registerGatedDriver(files);
});

// vitest runs afterEach hooks last-registered first: the gates open before the nodes close.
afterEach(() => releaseGates());

async function server(): Promise<RedisServer> {
  const redis = await startRedisServer();
  resources.servers.push(redis);
  return redis;
}

/** A writer node (files inner, no fsync: it is not the subject) and a node B whose inner store writes through gate `gateId`. */
async function pair(gateId: string, extra: Record<string, unknown> = {}): Promise<{ a: LocalNode; b: LocalNode; bDir: string; url: string; storeId: string }> {
  const redis = await server();
  const storeId = `overlay-${++stores}`;
  const aDir = await resources.dir();
  const a = await openNode({ url: redis.url, storeId, inner: { driver: 'files', dir: aDir, durability: 'none' }, stateDir: aDir });
  resources.open.push(a);
  const bDir = await resources.dir();
  const b = await openNode({ url: redis.url, storeId, inner: { driver: 'gated', dir: bDir, gate: gateId }, stateDir: bDir, ...extra });
  resources.open.push(b);
  return { a, b, bDir, url: redis.url, storeId };
}

/** The commit and blob of `head`, read without fetching from peers: absent means the node cannot read it. */
async function readableWithoutFetch(node: LocalNode, head: string): Promise<boolean> {
  if (!(await node.driver.hasObject(head))) return false;
  const commit = await node.driver.loadObject(head);
  if (commit?.type !== 'commit') return false;
  const blob = decodeCommit(commit.data, head).data;
  return typeof blob !== 'string' || (await node.driver.hasObject(blob));
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 100));

describe('replicated versions are readable before the inner store has them', () => {
  it('B shows, reads and reports A\'s versions while its inner store holds every write; they reach it, objects first, once it lets them', async () => {
    const gate = gateFor('visible');
    const { a, b } = await pair('visible');
    const events: HeadChange[] = [];
    b.store.on('head', (event) => events.push(event));
    gate.hold();
    const v1 = await a.store.create('doc.txt', 'one');
    const v2 = await a.store.update('doc.txt', 'two', { previous: v1.commit });
    await waitFor(async () => (await b.store.head('doc.txt')) === v2.commit);
    expect((await b.store.get('doc.txt')).text).toBe('two');
    expect((await b.store.get(v1.commit)).text).toBe('one');
    expect((await b.store.history('doc.txt')).history.map((h) => h.commit)).toEqual([v2.commit, v1.commit]);
    const names: string[] = [];
    for await (const { name } of b.driver.heads()) names.push(name);
    expect(names).toEqual(['doc.txt']);
    await waitFor(() => events.some((e) => e.new === v2.commit));
    const listed = new Set<string>();
    for await (const hash of b.driver.objects()) listed.add(hash);
    for (const hash of [v1.commit, v1.data, v2.commit, v2.data]) expect(listed.has(hash)).toBe(true);
    // Nothing of it is in the inner store yet, and nothing was fetched from a peer.
    expect(await b.driver.inner.hasObject(v2.commit)).toBe(false);
    expect(await b.driver.inner.getHead('doc.txt')).toBeUndefined();
    expect(b.driver.status().persisting).toBeGreaterThan(0);
    expect((await b.store.driverStats())['redis.fetched']).toBe(0);

    gate.release();
    await b.store.rescan();
    expect(b.driver.status().persisting).toBe(0);
    expect(await b.driver.inner.getHead('doc.txt')).toBe(v2.commit);
    for (const hash of [v1.commit, v1.data, v2.commit, v2.data]) expect(await b.driver.inner.hasObject(hash)).toBe(true);
  });

  it('B\'s own write on a name whose remote change is still persisting: CAS against the visible head, acknowledged only once that change is durable', async () => {
    const gate = gateFor('own');
    const { a, b } = await pair('own');
    gate.hold();
    const v1 = await a.store.create('shared.txt', 'from a');
    const v2 = await a.store.update('shared.txt', 'from a again', { previous: v1.commit });
    await waitFor(async () => (await b.store.head('shared.txt')) === v2.commit);
    // Later writes pass the gate (B's own objects); A's, waiting there already, stay held.
    gate.pass();
    // A stale `previous` loses against the visible head, which the error names.
    await expect(b.store.update('shared.txt', 'stale', { previous: v1.commit })).rejects.toSatisfy(
      (err: unknown) => isGittyError(err, 'NOT_AT_HEAD') && (err as { head?: string }).head === v2.commit,
    );
    let acknowledged = false;
    const write = b.store.update('shared.txt', 'from b', { previous: v2.commit }).then((c) => {
      acknowledged = true;
      return c;
    });
    // The CAS went through Redis: A sees B's version...
    await waitFor(async () => (await a.store.head('shared.txt')) !== v2.commit);
    const winner = await a.store.head('shared.txt');
    await tick();
    // ...but B has not acknowledged it: A's change before it is not in B's inner store yet.
    expect(acknowledged).toBe(false);
    expect(await b.driver.inner.hasObject(v2.commit)).toBe(false);
    gate.release();
    const acked = await write;
    expect(acked.commit).toBe(winner);
    for (const hash of [v1.commit, v1.data, v2.commit, v2.data]) expect(await b.driver.inner.hasObject(hash)).toBe(true);
    await b.store.rescan();
    expect(await b.driver.inner.getHead('shared.txt')).toBe(acked.commit);
  });

  it('close() waits until the held versions are in the inner store', async () => {
    const gate = gateFor('close');
    const { a, b, bDir } = await pair('close');
    gate.hold();
    const v = await a.store.create('late.txt', 'persisted at close');
    await waitFor(async () => (await b.store.head('late.txt')) === v.commit);
    resources.open.splice(resources.open.indexOf(b), 1);
    let closed = false;
    const closing = b.store.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    expect(gate.held).toBeGreaterThan(0);
    gate.release();
    await closing;
    // The inner store alone, without Redis: the version is there.
    const inner = await files({ dir: bDir }, defaultDriverContext());
    try {
      expect(await inner.getHead('late.txt')).toBe(v.commit);
      const blob = await inner.loadObject(v.data);
      expect(Buffer.from(blob!.data).toString()).toBe('persisted at close');
    } finally {
      await inner.close();
    }
  });

  it('memory is bounded: with the queue full, visibility waits for the inner store', async () => {
    const gate = gateFor('bounded');
    const { a, b } = await pair('bounded', { persistQueueEntries: 4 });
    gate.hold();
    const v1 = await a.store.create('full.txt', 'one');
    const v2 = await a.store.update('full.txt', 'two', { previous: v1.commit });
    const v3 = await a.store.update('full.txt', 'three', { previous: v2.commit });
    // v1's blob, commit and head write fit; v2's objects are admitted with room for one more,
    // then its head waits until the inner store has written something.
    await waitFor(async () => (await b.store.head('full.txt')) === v1.commit);
    await waitFor(() => b.driver.status().persisting >= 5);
    await tick();
    expect(await b.store.head('full.txt')).toBe(v1.commit);
    gate.release();
    await waitFor(async () => (await b.store.head('full.txt')) === v3.commit);
    await b.store.rescan();
    expect(await b.driver.inner.getHead('full.txt')).toBe(v3.commit);
  });

  it('never a visible head whose objects B cannot read without a peer (slow, jittery inner store; both nodes writing)', async () => {
    const gate = gateFor('jitter');
    let seed = 7;
    const random = () => ((seed = (seed * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32);
    gate.delay = () => (random() < 0.3 ? Math.floor(random() * 40) : 0);
    const { a, b } = await pair('jitter', { persistQueueEntries: 8 });
    const problems: string[] = [];
    const check = async (name: string, head: string) => {
      if (!(await readableWithoutFetch(b, head))) problems.push(`${name} → ${head}`);
    };
    b.store.on('head', (event) => {
      if (event.new) void check(event.name, event.new);
    });
    let polling = true;
    let most = 0;
    const poller = (async () => {
      while (polling) {
        most = Math.max(most, b.driver.status().persisting);
        for await (const { name, head } of b.driver.heads()) await check(name, head);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const names = ['p0.txt', 'p1.txt', 'p2.txt'];
    const writeOn = async (node: LocalNode, name: string, text: string) => {
      const head = await node.store.head(name);
      try {
        if (head) await node.store.update(name, text, { previous: head });
        else await node.store.create(name, text);
      } catch (err) {
        if (!isGittyError(err, 'NOT_AT_HEAD') && !isGittyError(err, 'FILE_EXISTS')) throw err;
      }
    };
    for (let i = 0; i < 60; i++) {
      const name = names[Math.floor(random() * names.length)]!;
      const writes = [writeOn(a, name, `a ${i}`)];
      if (i % 5 === 0) writes.push(writeOn(b, names[(i + 1) % names.length]!, `b ${i}`));
      await Promise.all(writes);
    }
    await a.store.rescan();
    await b.store.rescan();
    polling = false;
    await poller;
    expect(problems).toEqual([]);
    // The bound (8) plus what one stream entry brings (a commit and a blob) and B's own head write.
    expect(most).toBeLessThanOrEqual(10);
    const headsOf = async (node: LocalNode) => {
      const heads: Record<string, string> = {};
      for await (const { name, head } of node.driver.heads()) heads[name] = head;
      return heads;
    };
    expect(await headsOf(b)).toEqual(await headsOf(a));
    for (const name of names) expect(await b.driver.inner.getHead(name)).toBe(await b.store.head(name));
    expect((await b.store.driverStats())['redis.fetched']).toBe(0);
    expect((await b.store.fsck()).errors).toEqual([]);
  });
});

/** The slow node in a child process: one line per command. */
function startSlowNode(config: Record<string, unknown>) {
  const child = spawnTs(SLOW_NODE, [JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`slow node exited: ${stderr}`);
    return value as string;
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    next,
    async send(command: string): Promise<string> {
      child.stdin!.write(`${command}\n`);
      const answer = await next();
      if (answer.startsWith('error ')) throw new Error(answer);
      return answer;
    },
    async kill(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('a node killed before its inner store caught up', () => {
  it('SIGKILL while replicated versions are visible but not persisted: the restarted node converges and loses nothing', async () => {
    const redis = await server();
    const storeId = `overlay-kill-${++stores}`;
    const aDir = await resources.dir();
    const a = await openNode({ url: redis.url, storeId, inner: { driver: 'files', dir: aDir, durability: 'none' }, stateDir: aDir });
    resources.open.push(a);
    const bDir = await resources.dir();
    // Every write to B's inner store takes 40 ms, one at a time.
    const texts = new Map<string, string>();
    const slow = startSlowNode({ url: redis.url, storeId, inner: { driver: 'gated', dir: bDir, serialMs: 40 }, stateDir: bDir });
    try {
      expect(await slow.next()).toBe('ready');
      const own = await slow.send('create own.txt written by b before the kill');
      const heads = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        const name = `k${i % 4}.txt`;
        const previous = heads.get(name);
        const text = `version ${i} of ${name}`;
        const c = previous ? await a.store.update(name, text, { previous }) : await a.store.create(name, text);
        heads.set(name, c.commit);
        texts.set(c.commit, text);
      }
      heads.set('own.txt', own);
      // Visible on B, with writes still waiting for its inner store: kill it then.
      let persisting = 0;
      await waitFor(async () => {
        const report = JSON.parse(await slow.send('heads')) as { heads: Record<string, string>; persisting: number };
        persisting = report.persisting;
        const sorted = (entries: Array<[string, string]>) => JSON.stringify(entries.sort(([x], [y]) => (x < y ? -1 : 1)));
        return sorted(Object.entries(report.heads)) === sorted([...heads]);
      }, 30_000);
      expect(persisting).toBeGreaterThan(0);
      await slow.kill();
    } finally {
      await slow.kill();
    }

    // Restarted (plain files inner store, same folder and state): everything is back.
    const b = await openNode({ url: redis.url, storeId, inner: { driver: 'files', dir: bDir }, stateDir: bDir });
    resources.open.push(b);
    await b.store.rescan();
    const aHeads: Record<string, string> = {};
    for await (const { name, head } of a.driver.heads()) aHeads[name] = head;
    const bHeads: Record<string, string> = {};
    for await (const { name, head } of b.driver.heads()) bHeads[name] = head;
    expect(bHeads).toEqual(aHeads);
    expect((await b.store.get('own.txt')).text).toBe('written by b before the kill');
    for (const name of ['k0.txt', 'k1.txt', 'k2.txt', 'k3.txt']) {
      const { history } = await b.store.history(name, { depth: 100 });
      expect(history).toHaveLength(10);
      for (const entry of history) expect((await b.store.get(entry.commit)).text).toBe(texts.get(entry.commit));
    }
    expect((await b.store.driverStats())['redis.fetched']).toBe(0);
    expect((await b.store.fsck()).errors).toEqual([]);
    // In B's inner store itself, not only readable through the node.
    for (const [name, head] of Object.entries(aHeads)) {
      expect(await b.driver.inner.getHead(name)).toBe(head);
      expect(await b.driver.inner.hasObject(head)).toBe(true);
    }
    for (const commit of texts.keys()) expect(await b.driver.inner.hasObject(commit)).toBe(true);
  });
});

// A node answers a peer's fetch of an object it holds only in memory: replicated from the
// stream and verified, while its inner store (gated) has not written it yet. The answer must
// come from the held copy (driver.ts localRaw), since the inner store has nothing to give.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { defaultDriverContext, frameObject, type DriverFactory } from '@gitty/core';
import { startRedisServer, waitFor } from '@gitty/driver-test/harness';
import { openNode } from './helpers.js';
import { gateFor, registerGatedDriver, releaseGates } from './support/slow-inner.js';
import { useTestResources } from './support/test-resources.js';

const resources = useTestResources('gitty-redis-held-');
const clients: Redis[] = [];

beforeAll(async () => {
  const files = ((await import('@gitty/driver-files' as string)) as { createDriver: DriverFactory }).createDriver;
  registerGatedDriver(files);
});

// vitest runs afterEach hooks last-registered first: the gates open and the client goes before the nodes close.
afterEach(() => {
  releaseGates();
  for (const client of clients.splice(0)) client.disconnect();
});

describe('a node whose inner store has not written a replicated object yet', () => {
  it('answers a peer\'s fetch of it from the copy it holds', async () => {
    const redis = await startRedisServer();
    resources.servers.push(redis);
    const storeId = 'held-answer';
    const a = await resources.node(redis.url, storeId, { nodeId: 'writer' });
    const bDir = await resources.dir();
    const b = await openNode({ url: redis.url, storeId, nodeId: 'holder', inner: { driver: 'gated', dir: bDir, gate: 'held-answer' }, stateDir: bDir });
    resources.open.push(b);
    gateFor('held-answer').hold();

    const version = await a.store.create('doc.txt', 'held on the holder');
    await waitFor(async () => (await b.driver.getHead('doc.txt')) === version.commit && b.driver.status().persisting >= 2);
    expect(await b.driver.inner.hasObject(version.commit)).toBe(false);
    const commit = await b.driver.loadObject(version.commit);
    expect(commit?.type).toBe('commit');
    // The writer no longer has it: only the holder can answer.
    expect(await a.driver.deleteObject(version.commit)).toBe(true);
    expect(await a.driver.hasObject(version.commit)).toBe(false);

    const asker = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    clients.push(asker);
    const answerKey = b.driver.keys.objectKey(version.commit);
    expect(await asker.publish(b.driver.keys.fetchChannel, `${version.commit} asker`)).toBe(2);
    let answer: Buffer | null = null;
    await waitFor(async () => (answer = await asker.getBuffer(answerKey)) !== null, 5_000);
    const inflated = defaultDriverContext().compression.inflate(answer!, 1 << 20);
    expect(Buffer.from(inflated)).toEqual(Buffer.from(frameObject('commit', commit!.data)));
    expect(await asker.get(b.driver.keys.claimKey(version.commit))).toBe('holder');
    expect((await b.driver.stats())['redis.answered']).toBe(1);
    expect((await a.driver.stats())['redis.answered']).toBe(0);
    // Still only held: the answer did not come from the inner store.
    expect(await b.driver.inner.hasObject(version.commit)).toBe(false);
  });
});

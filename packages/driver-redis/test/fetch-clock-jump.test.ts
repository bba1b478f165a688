import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRedisServer } from '@gitty/driver-test/harness';
import type { LocalNode } from './helpers.js';
import { useTestResources } from './support/test-resources.js';

const { servers, node: nodeIn } = useTestResources('gitty-redis-fetch-clock-');

// Registered after the resources' hook, so it runs first: the nodes close on the real clock.
afterEach(() => {
  vi.restoreAllMocks();
});

function node(url: string, storeId: string): Promise<LocalNode> {
  return nodeIn(url, storeId, { blockMs: 200 });
}

// The chaos campaign's clock-jump fault moves a node's wall clock by −1 h … +1 day. A lazy fetch
// timed by the wall clock gave up at once when the clock jumped forward (OBJECT_UNAVAILABLE for
// an object a peer had), and would have waited the jump's length when it jumped back. Its
// deadline is now measured on the monotonic clock.
describe('a lazy fetch while the wall clock jumps', () => {
  it('still asks the peers and gets the object when the clock jumps a day ahead', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const a = await node(redis.url, 'fetch-clock-1');
    const b = await node(redis.url, 'fetch-clock-1');
    const v = await a.store.create('lazy.txt', 'fetched on demand');
    await b.store.rescan();
    expect(await b.driver.inner.deleteObject(v.data)).toBe(true);
    const realNow = Date.now.bind(Date);
    let calls = 0;
    // The first reading is the one a deadline would start from; every later one is a day ahead.
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + (calls++ === 0 ? 0 : 86_400_000));
    const text = (await b.store.get('lazy.txt')).text;
    vi.restoreAllMocks();
    expect(text).toBe('fetched on demand');
  }, 30_000);
});

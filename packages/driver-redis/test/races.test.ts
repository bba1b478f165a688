import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileExistsError, NotAtHeadError, isGittyError } from '@gitty/core';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { innerFor, openNode, type LocalNode } from './helpers.js';

let redis: RedisServer;
const open: LocalNode[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const dir of dirs.splice(0)) await dir.remove();
});
afterAll(async () => {
  await redis.stop();
});

async function twoNodes(): Promise<[LocalNode, LocalNode]> {
  const storeId = `race-${++stores}`;
  const nodes: LocalNode[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = await tempDir('gitty-redis-race-');
    dirs.push(dir);
    const node = await openNode({ url: redis.url, storeId, inner: innerFor(dir.dir), stateDir: dir.dir });
    open.push(node);
    nodes.push(node);
  }
  return nodes as [LocalNode, LocalNode];
}

describe('two nodes racing', () => {
  it('the same create: exactly one wins, the other gets FILE_EXISTS naming the winner; both converge', async () => {
    const [a, b] = await twoNodes();
    for (let round = 0; round < 5; round++) {
      const name = `race${round}.pl`;
      const outcomes = await Promise.allSettled([a.store.create(name, `from a ${round}`), b.store.create(name, `from b ${round}`)]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<{ commit: string }>).value.commit;
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(FileExistsError);
      expect((lost.reason as FileExistsError).head).toBe(winner);
      await waitFor(async () => (await a.store.head(name)) === winner && (await b.store.head(name)) === winner);
      expect((await b.store.get(name)).text).toBe((await a.store.get(name)).text);
    }
  });

  it('the same update: exactly one wins, the other gets NOT_AT_HEAD naming the winner; both converge', async () => {
    const [a, b] = await twoNodes();
    let head = (await a.store.create('shared.md', 'start')).commit;
    await waitFor(async () => (await b.store.head('shared.md')) === head);
    for (let round = 0; round < 5; round++) {
      const outcomes = await Promise.allSettled([
        a.store.update('shared.md', `a ${round}`, { previous: head }),
        b.store.update('shared.md', `b ${round}`, { previous: head }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<{ commit: string }>).value.commit;
      const lost = (outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason as NotAtHeadError;
      expect(isGittyError(lost, 'NOT_AT_HEAD')).toBe(true);
      expect(lost.head).toBe(winner);
      head = winner;
      await a.store.rescan();
      await b.store.rescan();
      expect(await a.store.head('shared.md')).toBe(winner);
      expect(await b.store.head('shared.md')).toBe(winner);
    }
    expect((await b.store.history('shared.md', { depth: 10 })).history).toHaveLength(6);
  });

  it('a change on one node fires a remote head event on the other, with the objects already local', async () => {
    const [a, b] = await twoNodes();
    const seen: string[] = [];
    b.store.on('head', (event) => {
      if (event.origin === 'remote' && event.new) seen.push(event.new);
    });
    const c = await a.store.create('watched.txt', 'hello');
    await waitFor(() => seen.includes(c.commit));
    // Readable on b without asking a peer: the objects arrived (held in memory until its inner
    // store has them) before the head event.
    expect(await b.driver.hasObject(c.commit)).toBe(true);
    expect(await b.driver.hasObject(c.data)).toBe(true);
    expect((await b.store.get('watched.txt')).text).toBe('hello');
  });
});

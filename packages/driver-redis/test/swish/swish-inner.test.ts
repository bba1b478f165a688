import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSwishCommit } from '@gitty/core';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { swishObjectPaths } from '@gitty/driver-files';
import { openNode, type LocalNode } from '../helpers.js';
import { extractFixture, fixtureManifest, parseExactJson, type DumpedFile } from '@gitty/driver-test/swish';

const manifest = parseExactJson(readFileSync(fixtureManifest, 'utf8')) as unknown as DumpedFile[];
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('redis over SWISH stores (inner files driver in SWISH format)', () => {
  it('replicates between two SWISH-format nodes: same hashes, SWISH commits and gzip objects on both', async () => {
    const redis: RedisServer = await startRedisServer();
    cleanups.push(() => redis.stop());
    const fixture = await extractFixture();
    cleanups.push(fixture.remove);
    const empty = await tempDir('gitty-redis-swish-');
    cleanups.push(empty.remove);
    // A node saves its replica state into its state folder until (and at) its close, so the
    // folders go only after the nodes closed (removed first, a save racing the removal failed it
    // with ENOTEMPTY, and the save at close recreated the folder).
    const stateDirs: Array<() => Promise<void>> = [];
    const state = async () => {
      const made = await tempDir('gitty-redis-swish-state-');
      stateDirs.push(made.remove);
      return made.dir;
    };
    const nodes: LocalNode[] = [];
    cleanups.push(async () => {
      for (const node of nodes) await node.store.close();
      for (const remove of stateDirs) await remove();
    });
    const a = await openNode({ url: redis.url, storeId: 'swish-a', inner: { driver: 'files', dir: fixture.dir, durability: 'none' }, stateDir: await state() });
    nodes.push(a);
    expect(a.driver.commitFormat).toBe('swish');
    const prog1 = manifest.find((f) => f.name === 'prog1.swinb')!;
    expect((await a.store.history('prog1.swinb', { depth: 100 })).history.map((c) => c.commit)).toEqual(prog1.history.map((v) => v.commit));

    const made = await a.store.update('prog1.swinb', 'over redis\n', { previous: prog1.history[0]!.commit as string, author: 'node a' });
    const b = await openNode({ url: redis.url, storeId: 'swish-a', inner: { driver: 'files', dir: empty.dir, durability: 'none', format: 'swish' }, stateDir: await state() });
    nodes.push(b);
    await waitFor(async () => (await b.store.head('prog1.swinb')) === made.commit, 20_000);
    const version = await b.store.get('prog1.swinb');
    expect(version.text).toBe('over redis\n');
    expect(version.commit).toStrictEqual(made);
    const fromB = await b.store.create('from-b.pl', 'b.\n', { big: 2n ** 70n });
    await waitFor(async () => (await a.store.head('from-b.pl')) === fromB.commit, 20_000);
    expect((await a.store.commit('from-b.pl')).big).toBe(2n ** 70n);

    // Both inner stores hold SWISH's layout and commit syntax.
    for (const dir of [fixture.dir, empty.dir]) {
      const object = await a.store.load(fromB.commit);
      expect(isSwishCommit(object.data)).toBe(true);
      const file = path.join(dir, ...swishObjectPaths.segments(fromB.commit));
      await waitFor(async () => (await import('node:fs')).existsSync(file), 20_000);
    }
  });
});

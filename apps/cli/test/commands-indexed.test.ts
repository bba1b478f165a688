import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, tempDir, type RedisServer } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { readTourShort, writeTour } from './tour.js';

describe('every command on a packs store (--driver packs)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-packs-')));
  afterAll(async () => remove());

  it('reads, repacks with git-readable packs, unpacks and stays whole', async () => {
    const globals = ['--store', path.join(dir, 'store'), '--driver', 'packs'];
    const v = await writeTour(globals, dir);
    const repack = await gitty([...globals, '--json', 'repack']);
    expect(repack.code, repack.stderr).toBe(0);
    const report = repack.json<{ packed: number; pack?: string }>();
    expect(report.packed).toBe(6);
    expect(report.pack).toMatch(new RegExp(`^${path.join(dir, 'store', 'objects', 'pack', 'pack-')}[0-9a-f]{40}\\.pack$`));
    const [verify, statsPacked, fsck, catPacked] = await Promise.all([
      gitty([...globals, 'git', 'verify-pack', '-v', report.pack!.replace(/\.pack$/, '.idx')]),
      gitty([...globals, '--json', 'stats']),
      gitty([...globals, 'fsck']),
      gitty([...globals, 'git', 'cat-file', '-p', v.first.data]),
    ]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/non delta: \d+ objects/);
    expect(statsPacked.json()).toMatchObject({ files: 2, versions: 3 });
    expect(fsck.stdout).toMatch(/^ok: 6 objects/);
    expect(catPacked.stdout).toBe('hello :- writeln(world).\n');
    const unpack = await gitty([...globals, 'unpack']);
    expect(unpack.code, unpack.stderr).toBe(0);
    expect(unpack.stdout).toMatch(/^unpacked 6 objects\n$/);
    const [get, log] = await Promise.all([gitty([...globals, 'get', 'hello.pl']), gitty([...globals, '--json', 'log', 'hello.pl'])]);
    expect(get.stdout).toBe('hello :- writeln("greetings").\n');
    expect(log.json()).toMatchObject({ history: [{ commit: v.second.commit }, { commit: v.first.commit }] });
  });
});

describe('every command on an sqlite store (config file)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-sqlite-')));
  afterAll(async () => remove());

  it('reads from the index, searches it and reindexes', async () => {
    const config = path.join(dir, 'sqlite.json');
    await writeFile(config, JSON.stringify({ driver: 'sqlite', dir: './store' }));
    const globals = ['--config', config];
    const v = await writeTour(globals, dir);
    await readTourShort(globals, v);
    const [reindex, unsupported] = await Promise.all([gitty([...globals, 'reindex']), gitty(['--store', path.join(dir, 'store'), 'reindex'])]);
    expect(reindex.code, reindex.stderr).toBe(0);
    expect(reindex.stdout).toBe('reindexed\n');
    expect(unsupported.code).toBe(1);
    expect(unsupported.stderr).toMatch(/^gitty: The files driver does not support reindex — open the store with a driver that has it/);
    const stats = await gitty([...globals, '--json', 'stats']);
    expect(stats.json()).toMatchObject({ driver: 'sqlite', files: 2, versions: 3 });
  });
});

describe('every command on a redis store (spawned redis-server)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let redis: RedisServer;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-redis-'));
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.stop();
    await remove();
  });

  it('reads and writes through Redis, and copies a files store into it', async () => {
    const config = path.join(dir, 'redis.json');
    await writeFile(config, JSON.stringify({ driver: 'redis', url: redis.url, storeId: 'cli', inner: { driver: 'files', dir: 'node-a' } }));
    const globals = ['--config', config];
    const v = await writeTour(globals, dir);
    await readTourShort(globals, v);
    const copy = await gitty(['--json', 'copy', config, path.join(dir, 'plain')]);
    expect(copy.code, copy.stderr).toBe(0);
    expect((await gitty(['compare', config, path.join(dir, 'plain')])).stdout).toBe('identical: 2 files, 3 versions\n');
  });
});

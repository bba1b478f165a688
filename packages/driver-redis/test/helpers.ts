import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { defaultDriverContext, openStore, registerDriver, type DriverFactory, type Store } from '@gitty/core';
import { run, startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { createDriver, type RedisDriver } from '../src/index.js';

/**
 * True once @gitty/driver-files is committed (it is written in parallel with this package; its
 * uncommitted work in progress must not decide whether these tests pass). Until then the
 * nodes' inner stores are memory stores (also with GITTY_REDIS_INNER=memory).
 */
export const FILES_DRIVER = ((): boolean => {
  if (process.env.GITTY_REDIS_INNER === 'memory') return false;
  try {
    execFileSync('git', ['ls-files', '--error-unmatch', 'src/index.ts'], { cwd: new URL('../../driver-files/', import.meta.url), stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Register the files driver for configs that name it (no-op while it does not exist yet). */
export async function registerFilesDriver(): Promise<void> {
  if (!FILES_DRIVER) return;
  const files = (await import('@gitty/driver-files' as string)) as { createDriver: DriverFactory };
  registerDriver('files', files.createDriver);
}

/**
 * A node's inner store: the files driver in `dir` when available, else memory (`memoryId` makes
 * it survive a close within this process). `durability: 'none'` skips fsync, for the heavy tests.
 */
export function innerFor(dir: string, memoryId?: string, durability: 'fsync' | 'none' = 'fsync'): Record<string, unknown> {
  return FILES_DRIVER ? { driver: 'files', dir, durability } : { driver: 'memory', ...(memoryId ? { id: memoryId } : {}) };
}

/** A node in this process: its driver and a Store over it. */
export interface LocalNode {
  driver: RedisDriver;
  store: Store;
}

/** Open a node in this process. */
export async function openNode(options: Record<string, unknown>): Promise<LocalNode> {
  await registerFilesDriver();
  const driver = (await createDriver(options, defaultDriverContext())) as RedisDriver;
  return { driver, store: await openStore(driver) };
}

/** A 3-master Redis Cluster on loopback, created with `redis-cli --cluster create`. */
export interface RedisCluster {
  nodes: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const { dir, remove } = await tempDir('gitty-redis-cluster-');
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(await startRedisServer([
        '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${i}.conf`), '--cluster-node-timeout', '2000', '--dir', dir,
      ]));
    }
    const created = await run('redis-cli', [
      '--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes',
    ], { timeoutMs: 30_000 });
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout.toString()} ${created.stderr}`);
    await waitFor(async () => {
      for (const s of servers) {
        const info = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info']);
        if (!info.stdout.toString().includes('cluster_state:ok')) return false;
      }
      return true;
    }, 30_000, 100);
  } catch (err) {
    for (const s of servers) await s.stop();
    await remove();
    throw err;
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    async stop() {
      for (const s of servers) await s.stop();
      await remove();
    },
  };
}

// A redis-server that can go back in time: it saves a snapshot on demand, and is restarted
// from that snapshot on the same port — what a Redis restored from an older RDB file looks like.
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@gitty/driver-test/harness';
import type { TestResources } from './test-resources.js';

export interface SnapshotRedis {
  /** The server as first started. */
  first: RedisServer;
  /** Save its data now (SAVE) and keep that file as the snapshot. */
  snapshot(): Promise<void>;
  /** Kill the first server and start another on its port from the snapshot. */
  restartFromSnapshot(): Promise<RedisServer>;
}

/** Start a redis-server whose data lives in a temporary directory of `resources`; they stop it. */
export async function startSnapshotRedis(resources: Pick<TestResources, 'dir' | 'servers'>): Promise<SnapshotRedis> {
  const data = await resources.dir();
  const redisArgs = ['--dir', data, '--dbfilename', 'dump.rdb'];
  const first = await startRedisServer(redisArgs);
  resources.servers.push(first);
  return {
    first,
    async snapshot() {
      const raw = new Redis(first.url);
      try {
        await raw.save();
      } finally {
        raw.disconnect();
      }
      await copyFile(path.join(data, 'dump.rdb'), path.join(data, 'old.rdb'));
    },
    async restartFromSnapshot() {
      await first.kill();
      await copyFile(path.join(data, 'old.rdb'), path.join(data, 'dump.rdb'));
      const second = await startRedisServer(redisArgs, first.port);
      resources.servers.push(second);
      return second;
    },
  };
}

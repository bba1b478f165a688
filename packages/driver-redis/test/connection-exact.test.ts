import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, Redis, ReplyError } from 'ioredis';
import { startRedisServer, waitFor } from '@gitty/driver-test/harness';
import { connectQuietly, createClient, isReady, isReplyError } from '../src/connection.js';
import { parseOptions } from '../src/options.js';

// The connection settings every node relies on (fail fast, never resend a CAS, find dead
// sockets), read back from the clients ioredis builds, and connecting quietly to a real
// redis-server that is down, up, and ended under the client.

const made: Array<Redis | Cluster> = [];
afterEach(() => {
  for (const client of made.splice(0)) client.disconnect();
});

function make(options: Record<string, unknown>, role: 'cmd' | 'follow' | 'sub') {
  const client = createClient(parseOptions({ inner: { driver: 'memory' }, ...options }), role);
  made.push(client);
  return client;
}

describe('createClient', () => {
  it('fails fast on a url, whatever the caller\'s ioredis options say', () => {
    const client = make({ url: 'redis://127.0.0.1:1/2', redis: { enableOfflineQueue: true, maxRetriesPerRequest: 20, keepAlive: 0, commandTimeout: 1 }, commandTimeoutMs: 700, blockMs: 300 }, 'cmd') as Redis;
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({
      host: '127.0.0.1',
      port: 1,
      db: 2,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      lazyConnect: true,
      connectTimeout: 2_000,
      connectionName: 'gitty-cmd',
      keepAlive: 1_000,
      socketTimeout: 700,
      commandTimeout: 700,
    });
    const retry = client.options.retryStrategy!;
    expect([1, 2, 10, 25, 26, 100].map((attempt) => retry(attempt))).toEqual([20, 40, 200, 500, 500, 500]);
    expect(client.status).toBe('wait');
  });

  it('gives the follower a socket deadline of block time plus command timeout, and no command timeout', () => {
    const follow = make({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 700, blockMs: 300 }, 'follow') as Redis;
    expect(follow.options.connectionName).toBe('gitty-follow');
    expect(follow.options.socketTimeout).toBe(1_000);
    expect(follow.options.commandTimeout).toBeUndefined();
    const sub = make({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 700, blockMs: 300 }, 'sub') as Redis;
    expect(sub.options).toMatchObject({ connectionName: 'gitty-sub', socketTimeout: 700 });
    expect(sub.options.commandTimeout).toBeUndefined();
  });

  it('takes host and port from the ioredis options when there is no url', () => {
    const client = make({ redis: { host: '127.0.0.2', port: 7 } }, 'cmd') as Redis;
    expect(client.options).toMatchObject({ host: '127.0.0.2', port: 7, enableOfflineQueue: false });
  });

  it('builds a cluster client that never resends after a failover', () => {
    const cluster = make({ cluster: [{ host: '127.0.0.1', port: 7000 }], commandTimeoutMs: 900 }, 'cmd') as Cluster;
    expect(cluster).toBeInstanceOf(Cluster);
    expect(cluster.options).toMatchObject({ enableOfflineQueue: false, lazyConnect: true, retryDelayOnFailover: 0 });
    expect(cluster.options.redisOptions).toMatchObject({ connectionName: 'gitty-cmd', commandTimeout: 900, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
    const retry = cluster.options.clusterRetryStrategy as (attempt: number) => number;
    expect([1, 2, 20, 21, 50].map((attempt) => retry(attempt))).toEqual([50, 100, 1000, 1000, 1000]);
  });

  it('asks sentinels for the master and follows failovers', () => {
    const client = make({ sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' }, 'cmd') as Redis;
    expect(client.options).toMatchObject({ sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster', failoverDetector: true, enableOfflineQueue: false });
    const reconnect = client.options.reconnectOnError as (err: Error) => boolean;
    expect(reconnect(new Error('READONLY You can\'t write against a read only replica.'))).toBe(true);
    expect(reconnect(new Error('ERR READONLY'))).toBe(false);
  });
});

describe('isReplyError', () => {
  it('tells Redis\'s answers from connection failures', () => {
    expect(isReplyError(new ReplyError('ERR wrong'))).toBe(true);
    expect(isReplyError(new Error('Connection is closed.'))).toBe(false);
    expect(isReplyError({ name: 'ReplyError' })).toBe(false);
  });
});

describe('connectQuietly', () => {
  it('does not throw for a Redis that is down, and connects once it is up', async () => {
    const redis = await startRedisServer();
    const port = redis.port;
    await redis.stop();
    const client = make({ url: `redis://127.0.0.1:${port}` }, 'cmd') as Redis;
    await expect(connectQuietly(client, () => false)).resolves.toBeUndefined();
    expect(isReady(client)).toBe(false);
    const again = await startRedisServer([], port);
    try {
      await waitFor(() => isReady(client), 20_000);
      expect(await client.ping()).toBe('PONG');
    } finally {
      await again.stop();
    }
  });

  it('connects again when the client ends under a node that is not closing, and not when it is', async () => {
    const redis = await startRedisServer();
    try {
      const client = make({ url: redis.url }, 'cmd') as Redis;
      await connectQuietly(client, () => false);
      expect(isReady(client)).toBe(true);
      client.disconnect();
      await waitFor(() => client.status === 'end', 5_000);
      await waitFor(() => isReady(client), 10_000);
      let closing = false;
      const other = make({ url: redis.url }, 'cmd') as Redis;
      await connectQuietly(other, () => closing);
      closing = true;
      other.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(other.status).toBe('end');
    } finally {
      await redis.stop();
    }
  });
});

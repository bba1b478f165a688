import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './cas-script.js';
import type { RedisDriverOptions } from './options.js';

// Fail fast: no offline queue (a write while Redis is down rejects at once), no retry of a
// request whose connection dropped, and no automatic resend after reconnect — a CAS whose
// reply was lost is resolved by its request id instead, never applied behind the caller's back.
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  lazyConnect: true,
  connectTimeout: 2_000,
  retryStrategy: (attempt: number) => Math.min(20 * attempt, 500),
};

/**
 * Open one connection (or cluster client) with fail-fast settings; `role` names it in CLIENT
 * LIST. A connection can die silently (peer gone, state dropped by a firewall): TCP keepalive
 * probes after a second of silence, and a socket that owes a reply and receives nothing for
 * longer than its deadline is destroyed and reconnected (ioredis `socketTimeout`) — for the
 * follower, whose XREAD blocks on purpose, the deadline is the block time plus the command
 * timeout. Only the command connection also fails single commands at the command timeout.
 */
export function createClient(options: RedisDriverOptions, role: 'cmd' | 'follow' | 'sub'): RedisClient {
  const base: RedisOptions = {
    ...FAIL_FAST, ...options.redis, ...FAIL_FAST, connectionName: `gitty-${role}`,
    keepAlive: 1_000,
    socketTimeout: role === 'follow' ? options.blockMs + options.commandTimeoutMs : options.commandTimeoutMs,
    ...(role === 'cmd' ? { commandTimeout: options.commandTimeoutMs } : {}),
  };
  if (options.cluster) {
    return new Cluster(options.cluster, {
      enableOfflineQueue: false,
      lazyConnect: true,
      // ioredis's Cluster resends a command after "Connection is closed" (retryDelayOnFailover),
      // even one that already timed out: a CAS could then apply after its outcome was settled.
      retryDelayOnFailover: 0,
      redisOptions: base,
      clusterRetryStrategy: (attempt: number) => Math.min(50 * attempt, 1_000),
    });
  }
  if (options.sentinels) {
    // ioredis asks the sentinels for the master, and again after a failover (failoverDetector
    // reconnects on +switch-master); a demoted master answering READONLY also triggers it.
    return new Redis({
      ...base, sentinels: options.sentinels, name: options.name, failoverDetector: true,
      reconnectOnError: (err: Error) => /^READONLY/.test(err.message),
    });
  }
  return options.url ? new Redis(options.url, base) : new Redis(base);
}

/** True when the client can take commands now. */
export function isReady(client: RedisClient): boolean {
  return client.status === 'ready';
}

/** Connect, swallowing the failure (ioredis keeps retrying; the caller checks {@link isReady}). */
export async function connectQuietly(client: RedisClient, closing: () => boolean): Promise<void> {
  client.on('error', () => {
    // Connection errors surface as REDIS_UNAVAILABLE on calls and as `stale` in status().
  });
  // ioredis ends a client for good when its connector fails (seen with Sentinel: "Connection is
  // closed" while the sentinels switch masters); a node must keep trying until it is closed.
  client.on('end', () => {
    if (closing()) return;
    setTimeout(() => {
      if (!closing() && client.status === 'end') void client.connect().catch(() => undefined);
    }, 200).unref();
  });
  try {
    await client.connect();
  } catch {
    // Not reachable now: reads are served locally and flagged stale until it is.
  }
}

/** True when `err` is Redis answering with an error, as opposed to the connection failing. */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

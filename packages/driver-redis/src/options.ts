import { checkDriverOptions, InvalidConfigError } from '@gitty/core';
import type { ClusterNode, RedisOptions } from 'ioredis';

/** The redis driver's options (the store config minus `driver`). */
export interface RedisDriverOptions {
  /** `redis://host:port/db` of a standalone Redis. */
  url?: string;
  /** ioredis options (host, port, password, tls, …); with `cluster`, the options of each node connection. */
  redis?: RedisOptions;
  /** Seed nodes of a Redis Cluster, e.g. `[{ host: '127.0.0.1', port: 7000 }]`. */
  cluster?: ClusterNode[];
  /** Redis Sentinels that know the master (with `name`); ioredis finds the master and follows failovers. */
  sentinels?: Array<{ host?: string; port: number }>;
  /** The master's name as the sentinels know it (with `sentinels`). */
  name?: string;
  /**
   * Replicas that must confirm a head change before it is acknowledged (`WAIT`; default 0).
   * With 1, a change acknowledged just before a failover is on the replica Sentinel promotes.
   */
  replicaAcks: number;
  /** How long a head change waits for `replicaAcks` replicas (default 1,000 ms); then REDIS_UNAVAILABLE, outcome resolved later. */
  replicaAckTimeoutMs: number;
  /** Start of every key and channel (default `gitty`). */
  prefix: string;
  /** Which store in this Redis (default `default`); also the cluster hash tag. */
  storeId: string;
  /** Config of the local driver that holds this node's objects and heads, e.g. `{ driver: 'files', dir }`. */
  inner: Record<string, unknown>;
  /** Approximate length the stream is trimmed to (`XADD MAXLEN ~`; default 10,000 entries). */
  maxLen: number;
  /** Objects whose compressed bytes exceed this travel through a short-lived key, not inline (default 16 KiB). */
  inlineMax: number;
  /** How long a fetch of a missing object may take before OBJECT_UNAVAILABLE (default 5,000 ms). */
  fetchTimeoutMs: number;
  /** How long large objects and fetch answers stay in Redis (default 60,000 ms). */
  objectTtlMs: number;
  /** How long a CAS outcome is remembered for a resent request (default 600,000 ms). */
  requestTtlMs: number;
  /** A command without a reply after this long fails (REDIS_UNAVAILABLE; a CAS's outcome is then resolved later) (default 5,000 ms). */
  commandTimeoutMs: number;
  /** Longest XREAD BLOCK; also how often an idle node checks the epoch (default 1,000 ms). */
  blockMs: number;
  /**
   * After Redis lost the store, how long writes wait (REDIS_UNAVAILABLE) so that nodes which
   * notice a little later merge their newer heads before anyone writes over older ones (default 3,000 ms).
   */
  settleMs: number;
  /**
   * After Redis lost the store, the longest time writes wait (REDIS_UNAVAILABLE) for every node
   * that was active before the loss to merge its heads (default 30,000 ms). A node cut off for
   * longer than this can lose an acknowledged change to a conflicting later write.
   */
  mergeWaitMs: number;
  /**
   * Most replicated objects and head writes held in memory while they are written to the inner
   * store (default 10,000): a replicated version is readable as soon as its objects are verified
   * and held; at this many, applying the stream waits for the inner store.
   */
  persistQueueEntries: number;
  /** Most bytes of replicated objects held in memory while they are written to the inner store (default 64 MiB). */
  persistQueueBytes: number;
  /** Folder for this node's replication state (cursor, stamps); default the inner store's `dir`, else memory only. */
  stateDir?: string;
  /** This node's id in stream entries (default random). */
  nodeId?: string;
}

const ALLOWED = [
  'url', 'redis', 'cluster', 'sentinels', 'name', 'replicaAcks', 'replicaAckTimeoutMs', 'prefix', 'storeId', 'inner', 'maxLen', 'inlineMax', 'fetchTimeoutMs', 'objectTtlMs',
  'requestTtlMs', 'commandTimeoutMs', 'blockMs', 'settleMs', 'mergeWaitMs', 'stateDir', 'nodeId',
  'persistQueueEntries', 'persistQueueBytes',
] as const;

function positive(options: Record<string, unknown>, key: string, fallback: number): number {
  const value = options[key] ?? fallback;
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new InvalidConfigError(`The redis driver's "${key}" must be a positive integer (default ${fallback})`);
  }
  return value as number;
}

function optionalString(options: Record<string, unknown>, key: string): string | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidConfigError(`The redis driver's "${key}" must be a non-empty string`);
  return value;
}

// Names become part of keys and of the hash tag: no braces (they would move the tag), no spaces.
const KEY_PART = /^[A-Za-z0-9_.\-/:]{1,100}$/;

/** Validate and default the options; throws INVALID_CONFIG naming the option. */
export function parseOptions(options: Record<string, unknown>): RedisDriverOptions {
  checkDriverOptions('redis', options, ALLOWED, ['inner']);
  const inner = options.inner;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw new InvalidConfigError('The redis driver needs "inner": the config of the local driver it wraps, e.g. { "driver": "files", "dir": "./store" }');
  }
  const url = optionalString(options, 'url');
  const redis = options.redis;
  if (redis !== undefined && (typeof redis !== 'object' || redis === null || Array.isArray(redis))) {
    throw new InvalidConfigError('The redis driver\'s "redis" must be an object of ioredis options');
  }
  const cluster = options.cluster;
  if (cluster !== undefined) {
    const valid = Array.isArray(cluster) && cluster.length > 0 && cluster.every((n) => typeof n === 'object' && n !== null && typeof (n as { port?: unknown }).port === 'number');
    if (!valid) throw new InvalidConfigError('The redis driver\'s "cluster" must be a non-empty array of { host, port } nodes');
    if (url !== undefined) throw new InvalidConfigError('The redis driver takes "url" or "cluster", not both');
  }
  const sentinels = options.sentinels;
  const name = optionalString(options, 'name');
  if (sentinels !== undefined) {
    const valid = Array.isArray(sentinels) && sentinels.length > 0 && sentinels.every((n) => typeof n === 'object' && n !== null && typeof (n as { port?: unknown }).port === 'number');
    if (!valid) throw new InvalidConfigError(`The redis driver's "sentinels" must be a non-empty array of { host, port } sentinels`);
    if (name === undefined) throw new InvalidConfigError(`The redis driver's "sentinels" need "name": the master's name as the sentinels know it`);
    if (url !== undefined || cluster !== undefined) throw new InvalidConfigError(`The redis driver takes one of "url", "cluster" and "sentinels"`);
  } else if (name !== undefined) {
    throw new InvalidConfigError(`The redis driver's "name" names a Sentinel master and needs "sentinels"`);
  }
  if (url === undefined && redis === undefined && cluster === undefined && sentinels === undefined) {
    throw new InvalidConfigError(`The redis driver needs "url" (redis://host:port), "redis" (ioredis options), "cluster" ([{ host, port }]) or "sentinels" with "name"`);
  }
  const replicaAcks = options.replicaAcks ?? 0;
  if (!Number.isSafeInteger(replicaAcks) || (replicaAcks as number) < 0) {
    throw new InvalidConfigError(`The redis driver's "replicaAcks" must be a non-negative integer (default 0)`);
  }
  if ((replicaAcks as number) > 0 && cluster !== undefined) {
    throw new InvalidConfigError(`The redis driver's "replicaAcks" is not supported with "cluster" (WAIT cannot be routed to the store's slot)`);
  }
  const prefix = optionalString(options, 'prefix') ?? 'gitty';
  const storeId = optionalString(options, 'storeId') ?? 'default';
  for (const [key, value] of [['prefix', prefix], ['storeId', storeId]] as const) {
    if (!KEY_PART.test(value)) throw new InvalidConfigError(`The redis driver's "${key}" must be 1-100 characters of A-Z a-z 0-9 _ . - / :`);
  }
  const innerDir = (inner as { dir?: unknown }).dir;
  return {
    url,
    redis: redis as RedisOptions | undefined,
    cluster: cluster as ClusterNode[] | undefined,
    sentinels: sentinels as Array<{ host?: string; port: number }> | undefined,
    name,
    replicaAcks: replicaAcks as number,
    replicaAckTimeoutMs: positive(options, 'replicaAckTimeoutMs', 1_000),
    prefix,
    storeId,
    inner: inner as Record<string, unknown>,
    maxLen: positive(options, 'maxLen', 10_000),
    inlineMax: positive(options, 'inlineMax', 16 * 1024),
    fetchTimeoutMs: positive(options, 'fetchTimeoutMs', 5_000),
    objectTtlMs: positive(options, 'objectTtlMs', 60_000),
    requestTtlMs: positive(options, 'requestTtlMs', 600_000),
    commandTimeoutMs: positive(options, 'commandTimeoutMs', 5_000),
    blockMs: positive(options, 'blockMs', 1_000),
    settleMs: positive(options, 'settleMs', 3_000),
    mergeWaitMs: positive(options, 'mergeWaitMs', 30_000),
    persistQueueEntries: positive(options, 'persistQueueEntries', 10_000),
    persistQueueBytes: positive(options, 'persistQueueBytes', 64 * 1024 * 1024),
    stateDir: optionalString(options, 'stateDir') ?? (typeof innerDir === 'string' ? innerDir : undefined),
    nodeId: optionalString(options, 'nodeId'),
  };
}

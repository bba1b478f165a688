/**
 * @gitty/driver-redis — replicate a gitty store across application servers through Redis.
 * Each node keeps a local store (any driver, under `inner`); heads are shared through a Lua CAS,
 * new objects travel to every node through a stream, missing ones are fetched from peers.
 * @packageDocumentation
 */
import type { DriverFactory } from '@gitty/core';
import { RedisDriver } from './driver.js';
import { createClient } from './connection.js';
import { defineReplicaCommands } from './cas-script.js';
import { parseOptions } from './options.js';
import { ReplicaState } from './replica-state.js';

export { RedisDriver, type ReplicationStatus, type RedisConnections } from './driver.js';
export { StoreKeys, compareStamps, compareStreamIds } from './keys.js';
export { type RedisDriverOptions, parseOptions } from './options.js';
export type { RedisClient } from './cas-script.js';

/**
 * Factory for `{ driver: 'redis', url | redis | cluster, prefix?, storeId?, inner: {...}, ... }`:
 * opens the inner driver, connects (three connections: commands, stream follower, pub/sub),
 * catches up with Redis and follows it. Opens even when Redis is unreachable: local reads work
 * and `status().stale` is true; writes fail with REDIS_UNAVAILABLE until it is back.
 */
export const createDriver: DriverFactory = async (options, context) => {
  const parsed = parseOptions(options);
  const inner = await context.openInner(parsed.inner);
  const connections = { cmd: createClient(parsed, 'cmd'), follower: createClient(parsed, 'follow'), sub: createClient(parsed, 'sub') };
  try {
    defineReplicaCommands(connections.cmd);
    // The default stateDir is the inner config's raw `dir`: resolve it as the core resolved that.
    const stateDir = parsed.stateDir === undefined ? undefined : (context.resolvePath?.(parsed.stateDir) ?? parsed.stateDir);
    const state = await ReplicaState.open(stateDir, parsed.storeId);
    const driver = new RedisDriver(parsed, inner, state, context, connections);
    await driver.start();
    return driver;
  } catch (err) {
    for (const client of Object.values(connections)) client.disconnect();
    await inner.close();
    throw err;
  }
};

/** `stateDir` in a config file is relative to that file (see the core's `baseDir`). */
createDriver.pathOptions = ['stateDir'];

export default createDriver;

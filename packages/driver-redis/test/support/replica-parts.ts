// The parts of a node (replica state, head view, catch-up, head writer) wired by hand around a
// real redis-server and a memory inner store, for the exact tests that call these modules
// directly. Each rig gets a store id of its own, so tests never see each other's keys.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { CorruptObjectError, defaultDriverContext, decodeObject, frameObject, hashObject, MemoryDriver } from '@gitty/core';
import { startRedisServer, type RedisServer } from '@gitty/driver-test/harness';
import { defineReplicaCommands } from '../../src/cas-script.js';
import { CatchUp, type CatchUpDeps } from '../../src/catch-up.js';
import { KnownObjects } from '../../src/driver-support.js';
import { HeadView } from '../../src/head-view.js';
import { HeadWriter, type HeadWriterDeps } from '../../src/head-writer.js';
import { StoreKeys } from '../../src/keys.js';
import { parseOptions, type RedisDriverOptions } from '../../src/options.js';
import { PersistQueue } from '../../src/persist-queue.js';
import { ReplicaState } from '../../src/replica-state.js';

let rigs = 0;

/** A client with the replication scripts defined (connected; errors swallowed). */
export async function scriptClient(port: number, extra: Record<string, unknown> = {}): Promise<Redis> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, ...extra });
  client.on('error', () => undefined);
  defineReplicaCommands(client);
  await client.connect();
  return client;
}

/** Compressed git-framed bytes of a blob, and its hash. */
export function rawBlob(text: string | Uint8Array): { hash: string; raw: Uint8Array; data: Uint8Array } {
  const data = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const hash = hashObject('blob', data);
  return { hash, data, raw: defaultDriverContext().compression.deflate(frameObject('blob', data)) };
}

/** What the catch-up's callbacks were asked, in order. */
export interface Calls {
  held: string[];
  remembered: string[];
  rejected: string[];
  ensured: string[];
  rooms: number;
}

export interface Rig {
  keys: StoreKeys;
  cmd: Redis;
  inner: MemoryDriver;
  state: ReplicaState;
  persist: PersistQueue;
  view: HeadView;
  catchUp: CatchUp;
  known: KnownObjects;
  options: RedisDriverOptions;
  node: string;
  /** Objects this node has (hash → compressed bytes): hasLocal and localRaw read it. */
  local: Map<string, Uint8Array>;
  calls: Calls;
  /** Make a HeadWriter over this rig (deps overridable). */
  writer(extra?: Partial<HeadWriterDeps>): HeadWriter;
}

/** A node's parts over `cmd`; `deps` replaces catch-up callbacks, `options` the driver options. */
export async function rig(cmd: Redis, opts: { node?: string; storeId?: string; options?: Record<string, unknown>; deps?: Partial<CatchUpDeps>; stateDir?: string } = {}): Promise<Rig> {
  const storeId = opts.storeId ?? `parts-${randomBytes(6).toString('hex')}-${++rigs}`;
  const keys = new StoreKeys('gitty', storeId);
  const options = parseOptions({ url: 'redis://127.0.0.1:1', inner: { driver: 'memory' }, storeId, ...opts.options });
  const inner = new MemoryDriver();
  const state = await ReplicaState.open(opts.stateDir, storeId);
  const persist = new PersistQueue(inner, options);
  const view = new HeadView(inner, state, persist);
  const known = new KnownObjects();
  const node = opts.node ?? 'n1';
  const local = new Map<string, Uint8Array>();
  const calls: Calls = { held: [], remembered: [], rejected: [], ensured: [], rooms: 0 };
  const compression = defaultDriverContext().compression;
  const catchUp = new CatchUp({
    cmd, keys, state, view, node, maxLen: options.maxLen,
    hasLocal: async (hash) => local.has(hash),
    holdVerified: (hash, raw) => {
      decodeObject(raw, hash, 'replicated object', compression, 1 << 20);
      local.set(hash, raw);
      calls.held.push(hash);
    },
    room: async () => void calls.rooms++,
    ensureHead: async (head) => void calls.ensured.push(head),
    remember: (hash) => void calls.remembered.push(hash),
    rejected: (hash) => void calls.rejected.push(hash),
    ...opts.deps,
  });
  const made: Rig = {
    keys, cmd, inner, state, persist, view, catchUp, known, options, node, local, calls,
    writer: (extra = {}) => new HeadWriter({
      cmd, keys, state, view, catchUp, known, node, options,
      localRaw: async (hash) => local.get(hash),
      headObjects: async (head) => (local.has(head) ? [head] : []),
      ...extra,
    }),
  };
  return made;
}

/** Give the rig's node a blob of its own (in `local`), and return it. */
export function own(r: Rig, text: string): ReturnType<typeof rawBlob> {
  const b = rawBlob(text);
  r.local.set(b.hash, b.raw);
  return b;
}

/** A test file's redis-server and its script client: set before the first test, valid until the last. */
export interface ScriptServer {
  readonly port: number;
  /** A client with the replication scripts defined. */
  readonly cmd: Redis;
  /** A rig whose node has joined a fresh epoch (a real sync), over `client` (default: cmd). */
  synced(opts?: Parameters<typeof rig>[1], client?: Redis): Promise<Rig>;
}

/**
 * Start a redis-server and a script client on it before a test file's tests (vitest `beforeAll`),
 * and close both after them. A file's own `afterAll` registered later runs before this one's.
 */
export function useScriptServer(): ScriptServer {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the redis-server is not started yet (use it inside a test or hook)');
    return value;
  };
  beforeAll(async () => {
    server = await startRedisServer();
    client = await scriptClient(server.port);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  const shared: ScriptServer = {
    get port() {
      return started(server).port;
    },
    get cmd() {
      return started(client);
    },
    async synced(opts = {}, on = shared.cmd) {
      const r = await rig(on, opts);
      await r.catchUp.sync();
      return r;
    },
  };
  return shared;
}

/** A CorruptObjectError as holdVerified throws it. */
export function corrupt(hash: string): CorruptObjectError {
  return new CorruptObjectError(hash, 'replicated object', 'bytes do not match');
}

/** Stream entries of `keys` as plain objects (field → latin1 text). */
export async function streamOf(client: Redis, keys: StoreKeys): Promise<Array<Record<string, string>>> {
  const entries = await client.xrange(keys.stream, '-', '+');
  return entries.map(([, fields]) => {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
    return out;
  });
}

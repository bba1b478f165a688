import path from 'node:path';
import type { StoreConfig } from '@gitty/core';
import type { WorkloadSpec } from './workload.js';

/** Every fault the nemesis can inject. */
export const FAULT_KINDS = [
  'kill', 'stall', 'disk-full', 'clock-jump', 'sqlite-index',
  'redis-kill', 'redis-rollback', 'redis-flushall', 'redis-client-kill',
  'proxy-delay', 'proxy-drop', 'proxy-blackhole',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** The driver rows of the campaign. */
export const ROW_NAMES = ['memory', 'files', 'packs', 'sqlite', 'redis-files', 'redis-sqlite', 'mixed', 'journal'] as const;

export type RowName = (typeof ROW_NAMES)[number];

/** Where a client's store lives and how it reaches Redis. */
export interface ClientPlace {
  client: number;
  /** The shared store folder (local rows) or this node's own folder (redis rows). */
  dir: string;
  /** The URL nodes use for Redis (through the proxy). */
  redisUrl?: string;
}

/** One row: how each client opens its store, which maintenance it runs, which faults apply. */
export interface Row {
  name: RowName;
  /** Clients are async workers in the runner's process (no process-level faults). */
  inProcess: boolean;
  /** Each client is a node of the redis driver with its own inner store. */
  redis: boolean;
  /** The stall that makes a lock holder lose its lock must exceed this. */
  lockStaleMs: number;
  config(place: ClientPlace): StoreConfig;
  maintenance(client: number): WorkloadSpec['maintenance'];
  faults: FaultKind[];
}

// Short timeouts so a run of minutes meets every timeout many times over.
const LOCK = { lockStale: 2_000, lockTimeout: 20_000 };
const FILES = { durability: 'fsync', pollInterval: 100, ...LOCK };
const SQLITE = { durability: 'fsync', throttleMs: 100, busyTimeout: 5_000, ...LOCK };
const REDIS = { commandTimeoutMs: 2_000, fetchTimeoutMs: 3_000, blockMs: 500, storeId: 'chaos' };

const PROCESS_FAULTS: FaultKind[] = ['kill', 'stall', 'disk-full', 'clock-jump'];
const REDIS_FAULTS: FaultKind[] = ['redis-kill', 'redis-rollback', 'redis-flushall', 'redis-client-kill', 'proxy-delay', 'proxy-drop', 'proxy-blackhole'];

function nodeConfig(place: ClientPlace, inner: StoreConfig): StoreConfig {
  return { driver: 'redis', url: place.redisUrl, nodeId: `node-${place.client}`, inner, ...REDIS };
}

/** The row called `name`. */
export function rowByName(name: RowName): Row {
  switch (name) {
    case 'memory':
      return {
        name, inProcess: true, redis: false, lockStaleMs: 0, faults: [],
        config: () => ({ driver: 'memory' }),
        maintenance: () => ['gc', 'rescan'],
      };
    case 'files':
      return {
        name, inProcess: false, redis: false, lockStaleMs: LOCK.lockStale, faults: PROCESS_FAULTS,
        config: (p) => ({ driver: 'files', dir: p.dir, ...FILES }),
        maintenance: () => ['gc', 'rescan'],
      };
    case 'packs':
      return {
        name, inProcess: false, redis: false, lockStaleMs: LOCK.lockStale, faults: PROCESS_FAULTS,
        config: (p) => ({ driver: 'packs', dir: p.dir, ...FILES }),
        maintenance: () => ['gc', 'repack', 'rescan'],
      };
    case 'sqlite':
      return {
        name, inProcess: false, redis: false, lockStaleMs: LOCK.lockStale, faults: [...PROCESS_FAULTS, 'sqlite-index'],
        config: (p) => ({ driver: 'sqlite', dir: p.dir, ...SQLITE }),
        maintenance: () => ['gc', 'reindex', 'rescan'],
      };
    case 'mixed':
      return {
        name, inProcess: false, redis: false, lockStaleMs: LOCK.lockStale, faults: [...PROCESS_FAULTS, 'sqlite-index'],
        config: (p) => (p.client % 2 === 0 ? { driver: 'files', dir: p.dir, ...FILES } : { driver: 'sqlite', dir: p.dir, ...SQLITE }),
        maintenance: (client) => (client % 2 === 0 ? ['gc', 'rescan'] : ['gc', 'reindex', 'rescan']),
      };
    case 'journal':
      // Even clients write through the files driver's object journal, sealed every 64 KiB or
      // 2 s; odd ones are plain files clients, which read those journals and seal dead ones.
      return {
        name, inProcess: false, redis: false, lockStaleMs: LOCK.lockStale, faults: PROCESS_FAULTS,
        config: (p) => ({ driver: 'files', dir: p.dir, ...FILES, ...(p.client % 2 === 0 ? { journal: true, journalSealAt: 65_536, journalSealAfter: 2_000 } : {}) }),
        maintenance: () => ['gc', 'rescan'],
      };
    case 'redis-files':
      return {
        name, inProcess: false, redis: true, lockStaleMs: LOCK.lockStale, faults: [...PROCESS_FAULTS, ...REDIS_FAULTS],
        config: (p) => nodeConfig(p, { driver: 'files', dir: p.dir, ...FILES }),
        maintenance: () => ['gc', 'rescan'],
      };
    case 'redis-sqlite':
      return {
        name, inProcess: false, redis: true, lockStaleMs: LOCK.lockStale,
        faults: [...PROCESS_FAULTS, 'sqlite-index', ...REDIS_FAULTS],
        config: (p) => nodeConfig(p, { driver: 'sqlite', dir: p.dir, ...SQLITE }),
        maintenance: () => ['gc', 'reindex', 'rescan'],
      };
  }
}

/** The store folder of a client: shared by all clients, or one per redis node. */
export function storeDir(row: Row, diskDir: string, client: number): string {
  return row.redis ? path.join(diskDir, `node-${client}`) : path.join(diskDir, 'store');
}

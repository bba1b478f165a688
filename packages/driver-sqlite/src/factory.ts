import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  InvalidConfigError, StorageFullError, checkDriverOptions, stringOption, type Driver, type DriverContext, type DriverFactory,
} from '@gitty/core';
import {
  HeadLog, HeadLogCompaction, compactionPolicyOf, LooseObjects, SwishFilesDriver, rebuildHeads, resolveStoreFormat, storeLayout, type Durability, type StoreFormat,
} from '@gitty/driver-files';
import type { HeadLogAccess } from './head-log-port.js';
import { PacksDriver } from '@gitty/driver-packs';
import { IndexDb, isNoRoom } from './index-db.js';
import { LatePacksDriver } from './late-packs.js';
import { LooseObjectsDriver } from './loose-driver.js';
import { INDEX_FILE } from './schema.js';
import { SqliteDriver } from './sqlite-driver.js';

/** Options of `{ driver: 'sqlite', … }`. */
export interface SqliteOptions {
  /** The store folder (as for the files driver). */
  dir: string;
  /** Read and write packs too (default: when `<dir>/objects/pack` exists). */
  packs?: boolean;
  /** `fsync` (default) or `none`, as for the files driver: objects and log appends. */
  durability?: Durability;
  /** Least milliseconds between two looks at the head log's tail on reads (default 1000). */
  throttleMs?: number;
  /** Milliseconds SQLite waits for another process's write transaction (default 5000). */
  busyTimeout?: number;
  /** As for the files driver: give up on the log lock after this long (default 30000). */
  lockTimeout?: number;
  /** As for the files driver: break a log lock not refreshed for this long (default 10000). */
  lockStale?: number;
  /** As for the files driver: `swish` indexes a SWISH store (detected when the folder is one). */
  format?: 'git' | 'swish';
  /** As for the files driver: compact the head log by size (bytes, default 64 MiB; `false`: only gc compacts). */
  compactAt?: number | false;
  /** As for the files driver (default 4). */
  compactRatio?: number;
}

const OPTIONS = ['dir', 'packs', 'durability', 'throttleMs', 'busyTimeout', 'lockTimeout', 'lockStale', 'format', 'compactAt', 'compactRatio'] as const;

function milliseconds(options: Record<string, unknown>, key: string): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidConfigError(`The sqlite driver's "${key}" must be a non-negative number of milliseconds`);
  }
  return value;
}

/**
 * The object half: loose objects, with packs over them when asked for or present; otherwise
 * loose objects that attach packs as soon as another process makes some.
 */
async function openObjects(dir: string, objects: LooseObjectsDriver, packs: boolean, context: DriverContext): Promise<Driver> {
  const openPacks = (loose: Driver): Promise<Driver> =>
    new PacksDriver(loose, { dir, compression: context.compression, maxObjectSize: context.maxObjectSize }).open();
  return packs ? openPacks(objects) : new LatePacksDriver(objects, dir, openPacks);
}

/**
 * Factory for `{ driver: 'sqlite', dir, packs?, durability?, throttleMs?, busyTimeout?,
 * lockTimeout?, lockStale? }`. Composes driver-files' parts (loose objects, the head log and its
 * lock; packs when present) with `<dir>/index.sqlite`, and brings the index up to the log: a
 * tail read when it is current, a rebuild (progress through `context.onProgress`) when it is
 * missing, damaged or of another epoch. The whole log is never read unless rebuilding.
 */
export const createDriver: DriverFactory = async (options, context) => {
  checkDriverOptions('sqlite', options, OPTIONS, ['dir']);
  const dir = path.resolve(stringOption('sqlite', options, 'dir'));
  const durability = options.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'none') throw new InvalidConfigError('The sqlite driver\'s "durability" must be "fsync" or "none"');
  if (options.packs !== undefined && typeof options.packs !== 'boolean') throw new InvalidConfigError('The sqlite driver\'s "packs" must be true or false');
  const throttleMs = milliseconds(options, 'throttleMs');
  const busyTimeout = milliseconds(options, 'busyTimeout');
  const policy = compactionPolicyOf(options, 'sqlite');

  // A SWISH store (detected, or `format: 'swish'`): SWISH's objects, packs and Prolog head log
  // through the SWISH-format files driver; the index works the same over it.
  if (resolveStoreFormat(dir, options.format as StoreFormat | undefined) === 'swish') {
    const swish = await SwishFilesDriver.open({
      dir, durability, lockTimeout: milliseconds(options, 'lockTimeout'), lockStale: milliseconds(options, 'lockStale'), watchLog: false,
    }, context);
    return openIndexed(dir, swish, swish.headLog, busyTimeout, throttleMs, context);
  }
  const layout = storeLayout(dir);
  await mkdir(layout.objects, { recursive: true });
  await mkdir(path.dirname(layout.headLog), { recursive: true });
  const loose = new LooseObjects({ root: layout.objects, compression: context.compression, maxObjectSize: context.maxObjectSize, durability });
  // Files-driver processes with `journal: true` may share the folder: read their journals, and
  // seal a dead one's (best effort: a full disk must not keep the store from opening).
  const objects = new LooseObjectsDriver(loose);
  await objects.journaled.journal.sealAbandoned().catch(() => undefined);
  const log = new HeadLog(layout.headLog, {
    durability, lock: { timeoutMs: milliseconds(options, 'lockTimeout'), staleMs: milliseconds(options, 'lockStale') },
  });
  // A store without a head log gets one as the files driver makes it: heads from the commits.
  await log.initialize(() => rebuildHeads(objects, context.onProgress));
  const compaction = new HeadLogCompaction(log, { durability, policy });
  const inner = await openObjects(dir, objects, (options.packs as boolean | undefined) ?? existsSync(path.join(dir, 'objects', 'pack')), context);
  return openIndexed(dir, inner, log, busyTimeout, throttleMs, context, compaction);
};

/** The index over an object driver and its head log, brought up to the log. */
async function openIndexed(
  dir: string, inner: Driver, log: HeadLogAccess, busyTimeout: number | undefined, throttleMs: number | undefined, context: DriverContext,
  compaction?: HeadLogCompaction,
): Promise<Driver> {
  let index: IndexDb | undefined;
  try {
    // A full disk: SQLite cannot even open the file for reading, but the index is a cache of
    // the log and the objects; the driver serves from a copy in memory until there is room.
    index = IndexDb.openOrInMemory(path.join(dir, INDEX_FILE), { busyTimeout });
    const driver = new SqliteDriver({ inner, log, index, throttleMs, compaction });
    await driver.open(context.onProgress);
    return driver;
  } catch (err) {
    index?.close();
    await inner.close();
    throw isNoRoom(err) ? new StorageFullError(path.join(dir, INDEX_FILE), { cause: err }) : err;
  }
}
/** `dir` in a config file is relative to that file (see the core's `baseDir`). */
createDriver.pathOptions = ['dir'];

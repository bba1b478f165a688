import {
  createMemoryDriver, defaultDriverContext, isGittyError, openStore, registerDriver,
  type Driver, type DriverFactory, type Store,
} from '@gitty/core';

/** Where a driver row's store lives: a directory, and for redis the server and store id. */
export interface StorePlace {
  dir: string;
  redisUrl?: string;
  storeId?: string;
}

/** One driver configuration the bench measures (a row in every table). */
export interface DriverRow {
  id: string;
  /** The package whose `createDriver` opens it. */
  package: string;
  /** The built-in driver name the package registers under. */
  driverName: string;
  persistent: boolean;
  /** Several processes may share the store (contention). */
  shared: boolean;
  needsRedis: boolean;
  /** Driver options; `fallback` drops options an older driver may reject. */
  options(place: StorePlace): { preferred: Record<string, unknown>; fallback: Record<string, unknown> };
}

const local = (durability: 'none' | 'fsync') => (place: StorePlace) => ({
  preferred: { dir: place.dir, durability },
  fallback: { dir: place.dir },
});

/** Every driver row, in report order. */
export const DRIVER_ROWS: readonly DriverRow[] = [
  { id: 'memory', package: '@gitty/core', driverName: 'memory', persistent: false, shared: false, needsRedis: false, options: () => ({ preferred: {}, fallback: {} }) },
  { id: 'files', package: '@gitty/driver-files', driverName: 'files', persistent: true, shared: true, needsRedis: false, options: local('none') },
  { id: 'files-fsync', package: '@gitty/driver-files', driverName: 'files', persistent: true, shared: true, needsRedis: false, options: local('fsync') },
  { id: 'packs', package: '@gitty/driver-packs', driverName: 'packs', persistent: true, shared: true, needsRedis: false, options: local('none') },
  { id: 'sqlite', package: '@gitty/driver-sqlite', driverName: 'sqlite', persistent: true, shared: true, needsRedis: false, options: local('none') },
  {
    id: 'redis', package: '@gitty/driver-redis', driverName: 'redis', persistent: true, shared: true, needsRedis: true,
    options: (place) => {
      const base = { url: place.redisUrl, prefix: 'gitty-bench', storeId: place.storeId ?? 'bench' };
      return {
        preferred: { ...base, inner: { driver: 'files', dir: place.dir, durability: 'none' } },
        fallback: { ...base, inner: { driver: 'files', dir: place.dir } },
      };
    },
  },
];

/**
 * Rows only some workloads run: the files driver with its object journal (ingest), and a redis
 * node over a files store with the files driver's default durability (replicate's durable latency).
 */
export const EXTRA_ROWS: readonly DriverRow[] = [
  // The files driver with its object journal (ingest): new objects appended to one file per process.
  {
    id: 'files-journal', package: '@gitty/driver-files', driverName: 'files', persistent: true, shared: true, needsRedis: false,
    options: (place) => ({ preferred: { dir: place.dir, durability: 'none', journal: true }, fallback: { dir: place.dir, durability: 'none', journal: true } }),
  },
  {
    id: 'files-journal-fsync', package: '@gitty/driver-files', driverName: 'files', persistent: true, shared: true, needsRedis: false,
    options: (place) => ({ preferred: { dir: place.dir, durability: 'fsync', journal: true }, fallback: { dir: place.dir, durability: 'fsync', journal: true } }),
  },
  {
    id: 'redis-fsync', package: '@gitty/driver-redis', driverName: 'redis', persistent: true, shared: true, needsRedis: true,
    options: (place) => {
      const options = { url: place.redisUrl, prefix: 'gitty-bench', storeId: place.storeId ?? 'bench', inner: { driver: 'files', dir: place.dir } };
      return { preferred: options, fallback: options };
    },
  },
];

/** A row's factory, or why it is not available. */
export type DriverAvailability = { available: true; factory: DriverFactory } | { available: false; reason: string };

const loaded = new Map<string, Promise<DriverAvailability>>();

// A variable specifier keeps bundlers and tsc from requiring the package to exist at build time:
// drivers land while the bench is in use, and a missing one is a skipped row, not a failure.
async function importPackage(spec: string): Promise<unknown> {
  return import(spec);
}

function factoryOf(module: unknown): DriverFactory | undefined {
  const m = module as { createDriver?: unknown };
  return typeof m.createDriver === 'function' ? (m.createDriver as DriverFactory) : undefined;
}

/**
 * Import a driver package lazily. Available when it exports `createDriver`; the factory is also
 * registered under its built-in name, so wrapping drivers (redis) can open it as their inner.
 */
export function loadDriver(row: DriverRow): Promise<DriverAvailability> {
  const cached = loaded.get(row.package);
  if (cached) return cached;
  const attempt = (async (): Promise<DriverAvailability> => {
    if (row.package === '@gitty/core') return { available: true, factory: createMemoryDriver };
    try {
      const factory = factoryOf(await importPackage(row.package));
      if (!factory) return { available: false, reason: `${row.package} does not export createDriver yet` };
      registerDriver(row.driverName, factory);
      return { available: true, factory };
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      return { available: false, reason: `${row.package} cannot be imported (${message})` };
    }
  })();
  loaded.set(row.package, attempt);
  return attempt;
}

/** Make sure the drivers a row's inner config names are registered (redis over files). */
export async function loadInnerDrivers(row: DriverRow): Promise<void> {
  if (row.needsRedis) {
    const files = DRIVER_ROWS.find((r) => r.id === 'files')!;
    const inner = await loadDriver(files);
    if (!inner.available) throw new Error(`the redis row needs the files driver: ${inner.reason}`);
  }
}

/** Rows that were opened without their preferred options (the driver rejected one), for the report's notes. */
export const fallbacksUsed = new Set<string>();

/** Open a row's driver at `place`, retrying without optional options the driver rejects. */
export async function openRowDriver(row: DriverRow, place: StorePlace): Promise<Driver> {
  const availability = await loadDriver(row);
  if (!availability.available) throw new Error(availability.reason);
  await loadInnerDrivers(row);
  const { preferred, fallback } = row.options(place);
  try {
    return await availability.factory(preferred, defaultDriverContext());
  } catch (err) {
    if (!isGittyError(err, 'INVALID_CONFIG') || JSON.stringify(preferred) === JSON.stringify(fallback)) throw err;
    fallbacksUsed.add(`${row.id}: ${err.message}`);
    return availability.factory(fallback, defaultDriverContext());
  }
}

/** Open a Store on a row's driver. */
export async function openRowStore(row: DriverRow, place: StorePlace): Promise<Store> {
  return openStore(await openRowDriver(row, place));
}

/** The row with this id (throws for an unknown id). */
export function driverRow(id: string): DriverRow {
  const row = DRIVER_ROWS.find((r) => r.id === id) ?? EXTRA_ROWS.find((r) => r.id === id);
  if (!row) throw new Error(`unknown driver row "${id}"; choose from ${DRIVER_ROWS.map((r) => r.id).join(', ')}`);
  return row;
}

import path from 'node:path';
import { nodeCompression, pakoCompression, type Compression } from './compression.js';
import { driverOptions, maxObjectSizeOf, resolvePathOptions, validateStoreConfig, type StoreConfig } from './config.js';
import type { Driver, DriverContext } from './driver.js';
import { assertDriverShape } from './driver-shape.js';
import { InvalidConfigError, StorageFullError, isGittyError } from './errors.js';
import { resolveDriverFactory } from './registry.js';
import { Store } from './store.js';

function compressionOf(config: StoreConfig): Compression {
  if (config.compression === 'pako') return pakoCompression;
  if (typeof config.compression === 'object' && config.compression !== null) return config.compression;
  return nodeCompression;
}

/**
 * Open a driver from a config: resolve the factory, then call it with the driver's options and a
 * context carrying the codec settings and a way to open inner drivers (for wrapping drivers).
 */
export async function openDriver(config: unknown, inherited?: Partial<StoreConfig>): Promise<Driver> {
  const valid = validateStoreConfig(config);
  const merged: StoreConfig = { ...inherited, ...valid } as StoreConfig;
  const factory = await resolveDriverFactory(merged.driver, merged.resolveFrom);
  const context: DriverContext = {
    compression: compressionOf(merged),
    maxObjectSize: maxObjectSizeOf(merged),
    onProgress: merged.onProgress,
    resolvePath: (relative) => path.resolve(merged.baseDir ?? process.cwd(), relative),
    openInner: (inner) => {
      if (typeof inner !== 'object' || inner === null) {
        throw new InvalidConfigError(`The ${merged.driver} driver needs "inner": the config of the local driver it wraps`);
      }
      const { driver: _d, ...rest } = merged;
      const shared: Partial<StoreConfig> = {
        maxObjectSize: rest.maxObjectSize, compression: rest.compression, resolveFrom: rest.resolveFrom, baseDir: rest.baseDir, onProgress: rest.onProgress,
      };
      return openDriver(inner, shared);
    },
  };
  let driver: Driver;
  try {
    driver = await factory(resolvePathOptions(driverOptions(merged), factory.pathOptions, merged.baseDir), context);
  } catch (err) {
    throw factoryError(err, merged.driver);
  }
  try {
    assertDriverShape(driver, merged.driver);
  } catch (err) {
    // What the factory returned is no driver, so its close may be synchronous, throw, or return
    // no promise: none of that may hide the shape error the caller needs.
    try {
      await (driver as Partial<Driver> | undefined)?.close?.();
    } catch {
      // ignored: the shape error below says what is wrong
    }
    throw err;
  }
  return driver;
}

/** errno codes that mean "no room": the disk, a quota, or the file size limit (RLIMIT_FSIZE). */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/**
 * errno codes about the machine's state rather than the config (permissions, a read-only
 * mount, I/O, descriptors): core has no typed error for them, and INVALID_CONFIG would send
 * the user to a config that is fine, so the OS error, naming its path, is thrown as it is.
 * A path that is not a folder (ENOTDIR, EEXIST, ENOENT, …) stays INVALID_CONFIG.
 */
const MACHINE_STATE = new Set(['EACCES', 'EPERM', 'EROFS', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * What a failed driver factory's error becomes: a gitty error as it is; an OS error (a
 * `SystemError`, with a `syscall`) that means no room is STORAGE_FULL, one about the machine's
 * state (see {@link MACHINE_STATE}) is passed on; anything else is INVALID_CONFIG.
 */
function factoryError(err: unknown, driver: string): unknown {
  if (isGittyError(err)) return err;
  const { code, syscall, path: file } = (err ?? {}) as NodeJS.ErrnoException;
  if (typeof code === 'string' && NO_ROOM.has(code)) return new StorageFullError(typeof file === 'string' ? file : `the ${driver} store`, { cause: err });
  if (typeof code === 'string' && typeof syscall === 'string' && MACHINE_STATE.has(code)) return err;
  return new InvalidConfigError(`The ${driver} driver failed to open: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * The context the core gives a driver factory, for constructing a driver directly (tests,
 * embedding) rather than through a config: Node's zlib, the default size limit, and inner
 * drivers opened through {@link openDriver}.
 */
export function defaultDriverContext(overrides: Partial<DriverContext> = {}): DriverContext {
  return {
    compression: nodeCompression,
    maxObjectSize: maxObjectSizeOf({ driver: 'memory' }),
    openInner: (inner) => openDriver(inner),
    resolvePath: (relative) => path.resolve(relative),
    ...overrides,
  };
}

/**
 * Open a store: `openStore({ driver: 'files', dir: './store' })`. See {@link StoreConfig}.
 * A driver instance may be given directly as `openStore(driver)` (for tests and embedding).
 */
export async function openStore(config: StoreConfig | Driver): Promise<Store> {
  if (isDriver(config)) {
    assertDriverShape(config, config.name);
    return new Store(config, { compression: nodeCompression, maxObjectSize: maxObjectSizeOf({ driver: config.name }) });
  }
  const valid = validateStoreConfig(config);
  const driver = await openDriver(valid);
  return new Store(driver, {
    compression: compressionOf(valid),
    maxObjectSize: maxObjectSizeOf(valid),
    commitCacheSize: valid.commitCacheSize,
  });
}

function isDriver(value: unknown): value is Driver {
  const v = value as Driver;
  return typeof v === 'object' && v !== null && typeof v.updateHead === 'function' && typeof v.loadObject === 'function';
}

import path from 'node:path';
import type { Compression } from './compression.js';
import type { ProgressListener } from './driver.js';
import { InvalidConfigError } from './errors.js';
import { DEFAULT_MAX_OBJECT_SIZE } from './object-codec.js';

/**
 * A store's configuration: `driver` names a built-in driver (`memory`, `files`, `packs`,
 * `sqlite`, `redis`) or a module specifier exporting a driver factory; the other keys are that
 * driver's options. A wrapping driver takes its inner driver's config under `inner`.
 * The same object, minus functions, is the JSON config file the CLI reads.
 */
export interface StoreConfig {
  driver: string;
  /** Largest object accepted or inflated, in bytes (default 64 MiB). */
  maxObjectSize?: number;
  /** zlib implementation: Node's native zlib (default) or pako (portable). */
  compression?: 'node' | 'pako' | Compression;
  /** Where relative module specifiers and packages are resolved from (default: the working directory). */
  resolveFrom?: string;
  /**
   * The folder relative path options resolve against (those the driver declares in its
   * factory's `pathOptions`, e.g. `dir`); default: the working directory. The CLI sets it to
   * the config file's folder. Inner configs inherit it.
   */
  baseDir?: string;
  /** Progress of long work while opening. */
  onProgress?: ProgressListener;
  /** How many parsed commits to keep in memory (default 10,000). */
  commitCacheSize?: number;
  [option: string]: unknown;
}

/** Keys the core consumes; everything else goes to the driver. */
export const CORE_KEYS = ['driver', 'maxObjectSize', 'compression', 'resolveFrom', 'baseDir', 'onProgress', 'commitCacheSize'] as const;

/** Validate the parts of a config the core owns; throws INVALID_CONFIG naming what is wrong. */
export function validateStoreConfig(config: unknown): StoreConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidConfigError('A store config must be an object such as { "driver": "files", "dir": "./store" }');
  }
  const c = config as Record<string, unknown>;
  if (typeof c.driver !== 'string' || c.driver.length === 0) {
    throw new InvalidConfigError(
      'The config lacks "driver": give a built-in name (memory, files, packs, sqlite, redis) or a module specifier',
    );
  }
  if (c.maxObjectSize !== undefined && !(Number.isSafeInteger(c.maxObjectSize) && (c.maxObjectSize as number) > 0)) {
    throw new InvalidConfigError('"maxObjectSize" must be a positive integer number of bytes');
  }
  if (c.compression !== undefined && c.compression !== 'node' && c.compression !== 'pako' && typeof c.compression !== 'object') {
    throw new InvalidConfigError('"compression" must be "node" or "pako"');
  }
  if (c.resolveFrom !== undefined && typeof c.resolveFrom !== 'string') {
    throw new InvalidConfigError('"resolveFrom" must be a directory path');
  }
  if (c.baseDir !== undefined && (typeof c.baseDir !== 'string' || c.baseDir.length === 0)) {
    throw new InvalidConfigError('"baseDir" must be a directory path');
  }
  if (c.commitCacheSize !== undefined && !(Number.isSafeInteger(c.commitCacheSize) && (c.commitCacheSize as number) >= 0)) {
    throw new InvalidConfigError('"commitCacheSize" must be a non-negative integer');
  }
  return c as StoreConfig;
}

/** The driver's own options: the config without the keys the core consumes. */
export function driverOptions(config: StoreConfig): Record<string, unknown> {
  const options: Record<string, unknown> = { ...config };
  for (const key of CORE_KEYS) delete options[key];
  return options;
}

/**
 * `options` with each relative path option of `pathOptions` (the factory's declaration)
 * resolved against `baseDir` (default: the working directory). Other options are untouched.
 */
export function resolvePathOptions(options: Record<string, unknown>, pathOptions: readonly string[] | undefined, baseDir?: string): Record<string, unknown> {
  if (!pathOptions?.length) return options;
  const resolved: Record<string, unknown> = { ...options };
  for (const key of pathOptions) {
    const value = options[key];
    if (typeof value === 'string' && value.length > 0) resolved[key] = path.resolve(baseDir ?? process.cwd(), value);
  }
  return resolved;
}

/** The effective maximum object size of a config. */
export function maxObjectSizeOf(config: StoreConfig): number {
  return config.maxObjectSize ?? DEFAULT_MAX_OBJECT_SIZE;
}

/**
 * Helper for driver authors: check that `options` has only `allowed` keys and that required
 * ones are present, with a message listing what is valid.
 */
export function checkDriverOptions(
  driver: string,
  options: Record<string, unknown>,
  allowed: readonly string[],
  required: readonly string[] = [],
): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidConfigError(
        `Unknown option "${key}" for the ${driver} driver; valid options: ${allowed.join(', ') || '(none)'}`,
      );
    }
  }
  for (const key of required) {
    if (options[key] === undefined) throw new InvalidConfigError(`The ${driver} driver needs the option "${key}"`);
  }
}

/** Helper for driver authors: a required string option. */
export function stringOption(driver: string, options: Record<string, unknown>, key: string): string {
  const value = options[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidConfigError(`The ${driver} driver needs "${key}" as a non-empty string`);
  }
  return value;
}

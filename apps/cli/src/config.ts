import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidConfigError, validateStoreConfig, type StoreConfig } from '@gitty/core';
import { CliError, UsageError } from './errors.js';

/** The store-selecting global options. */
export interface StoreSelectionOptions {
  store?: string;
  config?: string;
  driver?: string;
}

/** A store config and where it came from (for messages). */
export interface StoreSelection {
  config: StoreConfig;
  /** `--store ./dir`, `gitty.config.json`, … */
  origin: string;
}

/** Built-in drivers that `<driver>:<dir>` can name (those over a folder). */
const FOLDER_SPEC_DRIVERS = ['files', 'packs', 'sqlite'];

/** The config file looked for in the working directory when no store is given. */
export const DEFAULT_CONFIG_FILE = 'gitty.config.json';

/**
 * Choose the store a command works on: `--store <dir>` or `GITTY_STORE` (the files driver over
 * that directory), else `--config <file>`, else a `gitty.config.json` in the working directory.
 * `--driver` replaces the driver name in any of them. Throws a UsageError when none is given.
 */
export async function selectStore(
  options: StoreSelectionOptions,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<StoreSelection> {
  let selection: StoreSelection;
  const dir = options.store ?? env.GITTY_STORE;
  if (dir !== undefined && dir !== '') {
    selection = { config: { driver: 'files', dir: path.resolve(cwd, dir) }, origin: options.store ? `--store ${dir}` : `GITTY_STORE=${dir}` };
  } else if (options.config !== undefined) {
    selection = { config: await loadConfigFile(path.resolve(cwd, options.config)), origin: options.config };
  } else if (await isFile(path.join(cwd, DEFAULT_CONFIG_FILE))) {
    selection = { config: await loadConfigFile(path.join(cwd, DEFAULT_CONFIG_FILE)), origin: DEFAULT_CONFIG_FILE };
  } else {
    throw new UsageError(
      'No store selected',
      `give --store <dir>, set GITTY_STORE, or use --config <file> or a ${DEFAULT_CONFIG_FILE} in this directory`,
    );
  }
  if (options.driver !== undefined) selection.config = { ...selection.config, driver: options.driver };
  return selection;
}

/**
 * A store given as one argument (for `copy` and `compare`): `<driver>:<dir>` for a built-in
 * driver over a directory (`sqlite:./s`), a `.json` config file, or a directory (files driver).
 */
export async function parseStoreSpec(spec: string, cwd: string = process.cwd()): Promise<StoreSelection> {
  // Two letters at least: `C:\store` on Windows is a path, not a driver.
  const prefixed = /^([a-z][a-z0-9+.-]+):(.*)$/i.exec(spec);
  if (prefixed) {
    const [, driver = '', dir = ''] = prefixed;
    if (driver === 'redis') throw new UsageError(`"${spec}": the redis driver needs a config file`, 'write a .json config with "url" and an "inner" store config, and give its path');
    if (!FOLDER_SPEC_DRIVERS.includes(driver)) {
      throw new UsageError(
        `Unknown driver "${driver}" in "${spec}"`,
        `write <driver>:<dir> with ${FOLDER_SPEC_DRIVERS.slice(0, -1).join(', ')} or ${FOLDER_SPEC_DRIVERS.at(-1)}, or ./${spec} for a folder of that name`,
      );
    }
    if (dir === '') throw new UsageError(`No folder in "${spec}"`, `write ${driver}:<dir>`);
    return { config: { driver, dir: path.resolve(cwd, dir) }, origin: spec };
  }
  if (spec.endsWith('.json')) return { config: await loadConfigFile(path.resolve(cwd, spec)), origin: spec };
  if (spec.length === 0) throw new UsageError('An empty store argument', 'give a directory, <driver>:<dir> or a .json config file');
  return { config: { driver: 'files', dir: path.resolve(cwd, spec) }, origin: spec };
}

/**
 * Read and validate a JSON config file. Relative `dir` options (also in inner configs) and
 * module specifiers are resolved against the file's folder, so the file works from anywhere.
 */
export async function loadConfigFile(file: string): Promise<StoreConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError('INVALID_CONFIG', `Config file ${file} does not exist`, 'check the --config path');
    throw new CliError('INVALID_CONFIG', `Cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidConfigError(`Config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  let config: StoreConfig;
  try {
    config = validateStoreConfig(parsed);
  } catch (err) {
    if (err instanceof InvalidConfigError) throw new InvalidConfigError(`In ${file}: ${err.message}`);
    throw err;
  }
  const base = path.dirname(file);
  return {
    ...resolveDirs(config, base),
    resolveFrom: typeof config.resolveFrom === 'string' ? path.resolve(base, config.resolveFrom) : base,
    // Every path option a driver declares (its factory's pathOptions) is relative to the file too.
    baseDir: typeof config.baseDir === 'string' ? path.resolve(base, config.baseDir) : base,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Relative directories in a config file (`dir`, `stateDir`, … at every nesting level) mean
// "relative to the file".
function resolveDirs<T extends Record<string, unknown>>(config: T, base: string): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (/^(dir|[a-z]\w*Dir)$/.test(key) && typeof value === 'string') out[key] = path.resolve(base, value);
    else if (isPlainObject(value)) out[key] = resolveDirs(value, base);
    else out[key] = value;
  }
  return out as T;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

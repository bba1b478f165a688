import { checkDriverOptions, InvalidConfigError, stringOption, type DriverFactory } from '@gitty/core';
import { FilesDriver } from './files-driver.js';

const OPTIONS = ['dir', 'durability', 'pollInterval', 'watchLog', 'lockTimeout', 'lockStale'] as const;

function milliseconds(options: Record<string, unknown>, key: string): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidConfigError(`The files driver's "${key}" must be a non-negative number of milliseconds`);
  }
  return value;
}

/**
 * Factory for `{ driver: 'files', dir, durability?: 'fsync' | 'none', pollInterval?, watchLog?,
 * lockTimeout?, lockStale? }`.
 */
export const createDriver: DriverFactory = async (options, context) => {
  checkDriverOptions('files', options, OPTIONS, ['dir']);
  const dir = stringOption('files', options, 'dir');
  const durability = options.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'none') {
    throw new InvalidConfigError('The files driver\'s "durability" must be "fsync" or "none"');
  }
  if (options.watchLog !== undefined && typeof options.watchLog !== 'boolean') {
    throw new InvalidConfigError('The files driver\'s "watchLog" must be true or false');
  }
  return FilesDriver.open(
    {
      dir,
      durability,
      pollInterval: milliseconds(options, 'pollInterval'),
      watchLog: options.watchLog as boolean | undefined,
      lockTimeout: milliseconds(options, 'lockTimeout'),
      lockStale: milliseconds(options, 'lockStale'),
    },
    context,
  );
};

import path from 'node:path';
import { InvalidConfigError, stringOption, type DriverFactory } from '@gitty/core';
import { SwishFilesDriver, openFilesDriver } from '@gitty/driver-files';
import { PacksDriver } from './packs-driver.js';
import { packedCommitSource } from './restore-heads.js';
import { SwishPacksDriver } from './swish/swish-packs-driver.js';

/**
 * Factory for `{ driver: 'packs', dir, autoRepack?, ...files options }`: opens a files driver on
 * `dir` (heads, head log, loose objects; it validates its own options) and composes packs over it.
 * A store whose head log is missing gets its heads back from loose and packed commits alike.
 * On a SWISH-format folder it opens a {@link SwishPacksDriver} (SWISH's own pack format).
 */
export const createDriver: DriverFactory = async (options, context) => {
  const dir = path.resolve(stringOption('packs', options, 'dir'));
  const { autoRepack, ...filesOptions } = options;
  // Repack already gathers loose objects into one file; a journal under it is not tested with packs.
  if (options.journal !== undefined) throw new InvalidConfigError('The packs driver takes no "journal" option (the files driver\'s object journal is for the files driver)');
  if (autoRepack !== undefined && !(Number.isSafeInteger(autoRepack) && (autoRepack as number) >= 0)) {
    throw new InvalidConfigError('The packs driver\'s "autoRepack" must be a non-negative integer (loose objects stored before an automatic repack; 0 = never)');
  }
  // Without a head log the files driver rebuilds heads once, from loose and packed commits alike.
  const inner = await openFilesDriver({ ...filesOptions, dir }, context, {
    commitSource: (loose) => packedCommitSource(path.join(dir, 'objects', 'pack'), context.maxObjectSize, loose),
  });
  // A SWISH-format folder (detected or `format: 'swish'`) gets SWISH's pack format instead of git's.
  if (inner instanceof SwishFilesDriver) return new SwishPacksDriver(inner, { autoRepack: autoRepack as number | undefined });
  try {
    const driver = new PacksDriver(inner, {
      dir,
      compression: context.compression,
      maxObjectSize: context.maxObjectSize,
      autoRepack: autoRepack as number | undefined,
    });
    await driver.open();
    return driver;
  } catch (err) {
    await inner.close();
    throw err;
  }
};

/** `dir` in a config file is relative to that file (see the core's `baseDir`). */
createDriver.pathOptions = ['dir'];

import path from 'node:path';
import { InvalidConfigError, stringOption, type DriverFactory } from '@gitty/core';
import { existsSync } from 'node:fs';
import { SwishFilesDriver, createDriver as createFilesDriver } from '@gitty/driver-files';
import { PacksDriver } from './packs-driver.js';
import { restorePackedHeads } from './restore-heads.js';
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
  if (autoRepack !== undefined && !(Number.isSafeInteger(autoRepack) && (autoRepack as number) >= 0)) {
    throw new InvalidConfigError('The packs driver\'s "autoRepack" must be a non-negative integer (loose objects stored before an automatic repack; 0 = never)');
  }
  // Without a head log the files driver rebuilds heads from loose commits only; packed commits are added below.
  const hadLog = existsSync(path.join(dir, 'ref', 'head')); // the head log (driver-files)
  const inner = await createFilesDriver({ ...filesOptions, dir }, context);
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
    if (!hadLog && driver.packStore.packs.all.length > 0) await restorePackedHeads(driver, driver.packStore.packs, context.onProgress);
    return driver;
  } catch (err) {
    await inner.close();
    throw err;
  }
};

/** `dir` in a config file is relative to that file (see the core's `baseDir`). */
createDriver.pathOptions = ['dir'];

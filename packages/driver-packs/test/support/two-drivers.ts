// Two packs drivers on one folder in one process, for the tests of one driver's stale view of
// the packs another merged away. Each driver opened is closed by `cleanups` before the folder goes.
import { openDriver, registerDriver } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../../src/index.js';
import type { PacksDriver } from '../../src/packs-driver.js';

registerDriver('packs', createDriver);

/** Two drivers a and b on a new temp folder, and `open` for more on the same folder. */
export async function twoPacksDrivers(prefix: string, cleanups: (() => Promise<void>)[]) {
  const { dir, remove } = await tempDir(prefix);
  cleanups.push(remove);
  const open = async () => {
    const driver = (await openDriver({ driver: 'packs', dir, durability: 'none' })) as PacksDriver;
    cleanups.unshift(() => driver.close());
    return driver;
  };
  return { dir, a: await open(), b: await open(), open };
}

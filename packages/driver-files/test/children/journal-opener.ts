// Opens the store (which seals every journal whose writer is gone), prints "sealed", closes.
import { defaultDriverContext } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';

const [dir] = process.argv.slice(2) as [string];
process.stdout.write('opening\n');
const driver = await createDriver({ dir }, defaultDriverContext());
process.stdout.write('sealed\n');
await driver.close();

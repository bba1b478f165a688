// Repacks and unpacks the store in a loop until killed: a target for SIGKILL at random moments.
import { openStore, registerDriver } from '@gitty/core';
import { createDriver } from '../../src/index.js';

const [dir] = process.argv.slice(2);
registerDriver('packs', createDriver);
const store = await openStore({ driver: 'packs', dir: dir! });
process.stdout.write('ready\n');
for (;;) {
  await store.repack({ minFiles: 1, smallPack: Number.MAX_SAFE_INTEGER });
  await store.unpack();
}

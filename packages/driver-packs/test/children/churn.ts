// Repacks and unpacks the store in a loop until killed: a target for SIGKILL at random moments.
// It starts when the parent writes a line to stdin, so the parent can start the next one (tsx
// start-up) while it checks the store after the previous kill; "ready" once the store is open.
import { once } from 'node:events';
import { openStore, registerDriver } from '@gitty/core';
import { createDriver } from '../../src/index.js';

const [dir] = process.argv.slice(2);
registerDriver('packs', createDriver);
await once(process.stdin, 'data');
const store = await openStore({ driver: 'packs', dir: dir! });
process.stdout.write('ready\n');
for (;;) {
  await store.repack({ minFiles: 1, smallPack: Number.MAX_SAFE_INTEGER });
  await store.unpack();
}

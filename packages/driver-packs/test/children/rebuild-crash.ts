// A child that opens a packs store whose head log is missing and dies (SIGKILL) the moment the
// rebuilt log appears, or right after the open returns, whichever comes first.
import { existsSync, mkdirSync, watch } from 'node:fs';
import path from 'node:path';
import { defaultDriverContext } from '@gitty/core';
import { createDriver } from '../../src/index.js';

const [dir] = process.argv.slice(2) as [string];
const refDir = path.join(dir, 'ref');
mkdirSync(refDir, { recursive: true });
watch(refDir, (_event, name) => {
  if (name === 'head' && existsSync(path.join(refDir, 'head'))) process.kill(process.pid, 'SIGKILL');
});
await createDriver({ dir, durability: 'fsync' }, defaultDriverContext());
process.kill(process.pid, 'SIGKILL');

// Takes the pack lock of <folder>, prints "locked", holds it until the file <folder>/release
// appears, then prints "released" (or the error code of the lock's release). With "wait" as the
// third argument it instead tries to take the lock within 1.5 s and prints "acquired" or the code.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isGittyError } from '@gitty/core';
import { withPackLock } from '../../src/pack-lock.js';

const [folder, staleArg, mode] = process.argv.slice(2);
const staleMs = Number(staleArg);
try {
  if (mode === 'wait') {
    await withPackLock(folder!, async () => undefined, { waitMs: 1500, staleMs });
    process.stdout.write('acquired\n');
  } else {
    await withPackLock(folder!, async () => {
      process.stdout.write('locked\n');
      while (!existsSync(path.join(folder!, 'release'))) await new Promise((r) => setTimeout(r, 20));
    }, { staleMs });
    process.stdout.write('released\n');
  }
} catch (err) {
  process.stdout.write(`${isGittyError(err) ? err.code : String(err)}\n`);
}

// FileLock edges the fa-lockloose mutation run found untested: reading the owner file leaves no
// descriptor open.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock } from '@gitty/driver-files';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('FileLock descriptors', () => {
  it('taking and releasing the lock (the release reads the owner file back) leaves no descriptor open', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const lock = new FileLock(path.join(dir, 'head'));
      await lock.withLock(async () => undefined);
      const base = openFds();
      for (let i = 0; i < 5; i++) await lock.withLock(async () => undefined);
      expect(openFds()).toBe(base);
    } finally {
      await remove();
    }
  });
});

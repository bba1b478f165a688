import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { loadConfigFile } from '../src/config.js';
import { openedWith } from './fixtures/file-option-driver.js';

const driverModule = fileURLToPath(new URL('./fixtures/file-option-driver.ts', import.meta.url));

describe('relative paths in a config file', () => {
  it('every path option a driver declares (not only "dir") is relative to the config file', async () => {
    const temp = await tempDir('gitty-cli-config-paths-');
    try {
      const folder = path.join(temp.dir, 'conf');
      await mkdir(folder);
      const file = path.join(folder, 'gitty.config.json');
      await writeFile(file, JSON.stringify({ driver: driverModule, file: 'data/store.json' }));
      // The working directory is not the config's folder (vitest runs in the package folder).
      expect(process.cwd()).not.toBe(folder);
      const store = await openStore(await loadConfigFile(file));
      await store.close();
      expect(openedWith.at(-1)).toBe(path.join(folder, 'data', 'store.json'));
    } finally {
      await temp.remove();
    }
  });
});

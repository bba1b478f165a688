import { mkdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDriver, openStore, isGittyError, type StoreConfig } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { corruptExampleObject, exampleCrossProcess } from './example-driver-hooks.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// The extension path end to end: a driver that is not a built-in, named by a module specifier
// in a config, resolved relative to `resolveFrom`, runs the whole conformance suite (and the
// suite again through the pass-through wrapper).
runDriverSuite({
  name: 'example third-party driver by module specifier',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: async () => {
    const { dir, remove } = await tempDir('gitty-example-');
    const file = path.join(dir, 'store.json');
    const config: StoreConfig = { driver: './example-driver.ts', resolveFrom: here, file };
    return { driver: await openDriver(config), openAnother: () => openDriver(config), cleanup: remove, location: { file } };
  },
  corruptObject: corruptExampleObject,
  crossProcess: exampleCrossProcess,
});

describe('example third-party driver from a JSON config file', () => {
  it('opens from the config file form, persists, and its options are validated', async () => {
    const { dir, remove } = await tempDir('gitty-example-');
    try {
      await mkdir(path.join(dir, 'conf'));
      const configFile = path.join(dir, 'conf', 'gitty.json');
      const driverPath = path.relative(path.join(dir, 'conf'), path.join(here, 'example-driver.ts'));
      await writeFile(configFile, JSON.stringify({ driver: driverPath.startsWith('.') ? driverPath : `./${driverPath}`, file: path.join(dir, 'store.json') }));
      const config = { ...(JSON.parse(await readFile(configFile, 'utf8')) as StoreConfig), resolveFrom: path.dirname(configFile) };
      const store = await openStore(config);
      const c = await store.create('a.pl', 'hello from a third party');
      await store.close();
      const again = await openStore(config);
      expect((await again.get('a.pl')).commit.commit).toBe(c.commit);
      expect(again.driver.name).toBe('example-json');
      await again.close();
      const err = await openStore({ ...config, fiel: 'typo' }).catch((e: unknown) => e);
      expect(isGittyError(err, 'INVALID_CONFIG')).toBe(true);
      expect((err as Error).message).toContain('valid options: file');
    } finally {
      await remove();
    }
  });
});

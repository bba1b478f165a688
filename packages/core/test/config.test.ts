import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkDriverOptions, isGittyError, MemoryDriver, openDriver, openStore, registerDriver, resolveDriverFactory, stringOption,
  validateStoreConfig, type GittyError,
} from '@gitty/core';
import { calls } from './fixtures/factory-module.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function failure(action: () => unknown): Promise<GittyError> {
  try {
    await action();
  } catch (err) {
    if (isGittyError(err)) return err;
    throw err;
  }
  throw new Error('expected a GittyError');
}

describe('config validation', () => {
  it('rejects malformed configs with INVALID_CONFIG naming the key', async () => {
    const cases: Array<[unknown, string]> = [
      [null, 'must be an object'], [[], 'must be an object'], ['files', 'must be an object'], [{}, '"driver"'], [{ driver: '' }, '"driver"'],
      [{ driver: 'memory', maxObjectSize: -1 }, 'maxObjectSize'], [{ driver: 'memory', maxObjectSize: 1.5 }, 'maxObjectSize'],
      [{ driver: 'memory', compression: 'gzip' }, 'compression'], [{ driver: 'memory', resolveFrom: 3 }, 'resolveFrom'],
      [{ driver: 'memory', commitCacheSize: -2 }, 'commitCacheSize'],
    ];
    for (const [config, mentions] of cases) {
      expect(() => validateStoreConfig(config)).toThrow(mentions);
      const err = await failure(() => openStore(config as never));
      expect(err.code).toBe('INVALID_CONFIG');
    }
  });

  it('checkDriverOptions lists the valid options; stringOption names the missing one', () => {
    expect(() => checkDriverOptions('files', { dri: 'x' }, ['dir', 'fsync'])).toThrow('Unknown option "dri" for the files driver; valid options: dir, fsync');
    expect(() => checkDriverOptions('files', {}, ['dir'], ['dir'])).toThrow('needs the option "dir"');
    expect(() => checkDriverOptions('files', { dir: '/x' }, ['dir'], ['dir'])).not.toThrow();
    expect(() => stringOption('redis', { url: 3 }, 'url')).toThrow('"url"');
    expect(stringOption('redis', { url: 'redis://x' }, 'url')).toBe('redis://x');
  });
});

describe('driver resolution', () => {
  it('a misspelt built-in fails with DRIVER_NOT_FOUND listing the valid names', async () => {
    const err = await failure(() => openStore({ driver: 'memroy' }));
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    for (const name of ['memory', 'files', 'packs', 'sqlite', 'redis']) expect(err.message).toContain(name);
  });

  it('an unknown module specifier fails with DRIVER_NOT_FOUND', async () => {
    for (const driver of ['./no-such-driver.js', '@nobody/no-such-gitty-driver', '/definitely/not/here.js']) {
      const err = await failure(() => openStore({ driver, resolveFrom: here }));
      expect(err.code).toBe('DRIVER_NOT_FOUND');
      expect(err.message).toContain(driver);
    }
  });

  it('a module without a factory fails with DRIVER_NOT_FOUND saying so', async () => {
    const err = await failure(() => openStore({ driver: './fixtures/not-a-driver.ts', resolveFrom: here }));
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toContain('neither createDriver nor a default');
  });

  it('loads a factory by relative specifier (createDriver or default) and passes it only the driver options', async () => {
    const store = await openStore({ driver: './fixtures/factory-module.ts', resolveFrom: here, maxObjectSize: 4096, compression: 'pako', dir: 'x', flag: true });
    try {
      expect(calls.at(-1)).toEqual({ options: { dir: 'x', flag: true }, maxObjectSize: 4096, compression: 'pako' });
      expect(store.maxObjectSize).toBe(4096);
      await store.create('a.pl', 'via module');
      expect((await store.get('a.pl')).text).toBe('via module');
    } finally {
      await store.close();
    }
    const byDefault = await openStore({ driver: path.join(here, 'fixtures/default-module.ts') });
    expect(byDefault.driver).toBeInstanceOf(MemoryDriver);
    await byDefault.close();
  });

  it('a factory that throws a plain error becomes INVALID_CONFIG naming the driver', async () => {
    const err = await failure(() => openStore({ driver: './fixtures/throwing-driver.ts', resolveFrom: here }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('cannot reach the backend');
  });

  it('registerDriver makes a name resolvable; inner configs open through the context', async () => {
    registerDriver('test-wrapper', async (options, context) => context.openInner(options.inner));
    const driver = await openDriver({ driver: 'test-wrapper', inner: { driver: 'memory' } });
    expect(driver).toBeInstanceOf(MemoryDriver);
    await driver.close();
    expect(await resolveDriverFactory('test-wrapper')).toBeTypeOf('function');
    const err = await failure(() => openDriver({ driver: 'test-wrapper' }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('"inner"');
  });

  it('the memory driver refuses unknown options, listing the valid one', async () => {
    const err = await failure(() => openStore({ driver: 'memory', dir: './x' }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('valid options: id');
    expect((await failure(() => openStore({ driver: 'memory', id: 3 }))).code).toBe('INVALID_CONFIG');
  });

  it('memory stores with the same id share one backing', async () => {
    const a = await openStore({ driver: 'memory', id: 'config-test-shared' });
    const b = await openStore({ driver: 'memory', id: 'config-test-shared' });
    const c = await openStore({ driver: 'memory' });
    try {
      const v = await a.create('shared.pl', 'x');
      expect(await b.head('shared.pl')).toBe(v.commit);
      expect(await c.head('shared.pl')).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('third-party packaging', () => {
  it('a bare package name that is not installed fails with DRIVER_NOT_FOUND saying how to install it', async () => {
    const err = await failure(() => openStore({ driver: 'gitty-driver-nobody-has', resolveFrom: here }));
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toContain('npm install gitty-driver-nobody-has');
  });

  it('a bare package name is imported like a scoped one', async () => {
    // An application folder whose node_modules holds an unscoped driver package (and core).
    const app = await mkdtemp(path.join(os.tmpdir(), 'gitty-bare-app-'));
    try {
      const pkg = path.join(app, 'node_modules', 'gitty-driver-bare-fixture');
      await mkdir(pkg, { recursive: true });
      await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'gitty-driver-bare-fixture', version: '1.0.0', type: 'module', main: 'index.js' }));
      await copyFile(path.join(here, 'fixtures', 'tiny-driver.js'), path.join(pkg, 'index.js'));
      const store = await openStore({ driver: 'gitty-driver-bare-fixture', resolveFrom: app });
      try {
        await store.create('bare.md', 'from a bare-name package');
        expect((await store.get('bare.md')).text).toBe('from a bare-name package');
      } finally {
        await store.close();
      }
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });

  it('relative path options the factory declares resolve against baseDir; others are left alone', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const factory = Object.assign(async (options: Record<string, unknown>) => {
      seen.push(options);
      return new MemoryDriver();
    }, { pathOptions: ['file', 'cacheDir'] });
    registerDriver('paths-fixture', factory);
    await (await openStore({ driver: 'paths-fixture', baseDir: '/srv/conf', file: 'data/store.json', cacheDir: '/abs/cache', label: 'a/b' })).close();
    expect(seen.at(-1)).toEqual({ file: '/srv/conf/data/store.json', cacheDir: '/abs/cache', label: 'a/b' });
    await (await openStore({ driver: 'paths-fixture', file: 'here.json' })).close();
    expect(seen.at(-1)).toEqual({ file: path.resolve('here.json') });
    await expect(openStore({ driver: 'paths-fixture', baseDir: 3 } as never)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('a factory that returns no driver fails at open with DRIVER_NOT_FOUND naming the missing methods', async () => {
    registerDriver('half-driver', async () => ({ name: 'half', capabilities: { search: true }, loadObject: async () => undefined, updateHead: async () => undefined }) as never);
    const err = await failure(() => openStore({ driver: 'half-driver' }));
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    for (const method of ['getHead', 'heads', 'storeObject', 'close', 'search (capabilities.search is true)']) expect(err.message).toContain(method);
    const direct = await failure(() => openStore({ name: 'half', capabilities: {}, loadObject: async () => undefined, updateHead: async () => undefined } as never));
    expect(direct.code).toBe('DRIVER_NOT_FOUND');
  });
});

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

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_MAX_OBJECT_SIZE, InvalidArgumentError, createMemoryDriver, defaultDriverContext, nodeCompression, openDriver, openStore,
  pakoCompression, registerDriver, type Compression, type Driver, type DriverContext, type DriverFactory,
} from '@gitty/core';

const LACKS = 'storeObject, loadObject, hasObject, objects, deleteObject, getHead, heads, updateHead, rescan, close, name (a string), capabilities (an object)';
const noDriver = (name: string) => `Driver "${name}" not found: its factory returned no gitty driver: it lacks ${LACKS}`;

/** Registers a factory under a fresh name that records what it was called with and returns a memory driver. */
function capturing(pathOptions?: readonly string[]): { name: string; calls: Array<{ options: Record<string, unknown>; context: DriverContext }> } {
  const name = `open-exact-${Math.random().toString(36).slice(2)}`;
  const calls: Array<{ options: Record<string, unknown>; context: DriverContext }> = [];
  const factory: DriverFactory = async (options, context) => {
    calls.push({ options, context });
    return createMemoryDriver({}, context);
  };
  if (pathOptions) factory.pathOptions = pathOptions;
  registerDriver(name, factory);
  return { name, calls };
}

/** Registers a factory that throws `thrown` (or returns what `returns` gives). */
function failing(thrown: unknown): string {
  const name = `open-exact-fail-${Math.random().toString(36).slice(2)}`;
  registerDriver(name, async () => {
    throw thrown;
  });
  return name;
}

function returning(value: unknown): string {
  const name = `open-exact-returns-${Math.random().toString(36).slice(2)}`;
  registerDriver(name, (async () => value) as unknown as DriverFactory);
  return name;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('it succeeded');
}

/** An error shaped as Node's fs raises it; `code` may be given as a non-string to test the guards. */
function osError(code: unknown, fields: { syscall?: string; path?: string } = {}): Error {
  return Object.assign(new Error(`${String(code)}: failed`), { code }, fields);
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-open-exact-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openDriver: what the factory is given', () => {
  it('the defaults: Node\'s zlib, the default size limit, paths against the working directory', async () => {
    const { name, calls } = capturing();
    const driver = await openDriver({ driver: name });
    await driver.close();
    expect(calls).toHaveLength(1);
    const { options, context } = calls[0]!;
    expect(options).toEqual({});
    expect(context.compression).toBe(nodeCompression);
    expect(context.maxObjectSize).toBe(DEFAULT_MAX_OBJECT_SIZE);
    expect(context.onProgress).toBeUndefined();
    expect(context.resolvePath!('x/y')).toBe(path.resolve(process.cwd(), 'x/y'));
  });

  it('the config\'s core keys go to the context, the rest to the driver', async () => {
    const { name, calls } = capturing();
    const onProgress = () => undefined;
    const driver = await openDriver({ driver: name, compression: 'pako', maxObjectSize: 1234, baseDir: '/base', onProgress, resolveFrom: dir, id: 'x', other: 2 });
    await driver.close();
    const { options, context } = calls[0]!;
    expect(options).toEqual({ id: 'x', other: 2 });
    expect(context.compression).toBe(pakoCompression);
    expect(context.maxObjectSize).toBe(1234);
    expect(context.onProgress).toBe(onProgress);
    expect(context.resolvePath!('x/y')).toBe('/base/x/y');
  });

  it('compression: "node" is Node\'s zlib, an object is used as it is', async () => {
    const { name, calls } = capturing();
    await (await openDriver({ driver: name, compression: 'node' })).close();
    const custom: Compression = { name: 'custom', deflate: (d) => nodeCompression.deflate(d), inflate: (d, m) => nodeCompression.inflate(d, m) };
    await (await openDriver({ driver: name, compression: custom })).close();
    // validateStoreConfig lets null through (typeof null is 'object'): it means the default.
    await (await openDriver({ driver: name, compression: null })).close();
    expect(calls.map((c) => c.context.compression)).toEqual([nodeCompression, custom, nodeCompression]);
    expect(calls[1]!.context.compression).toBe(custom);
    expect(calls[2]!.context.compression).toBe(nodeCompression);
  });

  it('path options the factory declares resolve against baseDir', async () => {
    const { name, calls } = capturing(['dir']);
    await (await openDriver({ driver: name, dir: 'rel/store', baseDir: '/base', other: 'rel' })).close();
    expect(calls[0]!.options).toEqual({ dir: '/base/rel/store', other: 'rel' });
  });

  it('inherited settings apply where the config has none of its own', async () => {
    const { name, calls } = capturing();
    await (await openDriver({ driver: name }, { maxObjectSize: 50, compression: 'pako' })).close();
    await (await openDriver({ driver: name, maxObjectSize: 60 }, { maxObjectSize: 50 })).close();
    expect(calls.map((c) => [c.context.maxObjectSize, c.context.compression.name])).toEqual([[50, 'pako'], [60, 'node-zlib']]);
  });
});

describe('openDriver: inner drivers', () => {
  it('an inner driver inherits the size limit, compression, resolveFrom, baseDir and onProgress, not the driver', async () => {
    const inner = capturing();
    const onProgress = () => undefined;
    // The inner driver is named by a path relative to resolveFrom: it resolves only if inherited.
    await writeFile(
      path.join(dir, 'inner.mjs'),
      'export const createDriver = async (options, context) => { globalThis.__gittyInner = { options, context }; return context.openInner(options.inner); };\n',
    );
    let outerContext: DriverContext | undefined;
    const outer = `open-exact-outer-${Math.random().toString(36).slice(2)}`;
    registerDriver(outer, async (options, context) => {
      outerContext = context;
      return context.openInner(options.inner);
    });
    const driver = await openDriver({
      driver: outer, maxObjectSize: 777, compression: 'pako', resolveFrom: dir, baseDir: '/base', onProgress,
      inner: { driver: './inner.mjs', inner: { driver: inner.name, id: 'deep' } },
    });
    await driver.close();
    const middle = (globalThis as { __gittyInner?: { options: Record<string, unknown>; context: DriverContext } }).__gittyInner!;
    expect(middle.options).toEqual({ inner: { driver: inner.name, id: 'deep' } });
    for (const context of [middle.context, inner.calls[0]!.context]) {
      expect(context.maxObjectSize).toBe(777);
      expect(context.compression).toBe(pakoCompression);
      expect(context.onProgress).toBe(onProgress);
      expect(context.resolvePath!('s')).toBe('/base/s');
    }
    expect(inner.calls[0]!.options).toEqual({ id: 'deep' });
    expect(outerContext).toBeDefined();
  });

  it('openInner without an inner config object: INVALID_CONFIG naming the wrapping driver', async () => {
    const { name, calls } = capturing();
    await (await openDriver({ driver: name })).close();
    const { context } = calls[0]!;
    for (const inner of [undefined, null, 'memory', 1]) {
      let err: (Error & { code?: string }) | undefined;
      try {
        void context.openInner(inner);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, String(inner)).toBe('INVALID_CONFIG');
      expect(err?.message).toBe(`The ${name} driver needs "inner": the config of the local driver it wraps`);
    }
  });
});

describe('openDriver: a factory that returns no driver', () => {
  it('DRIVER_NOT_FOUND naming what is missing; what it returned is closed', async () => {
    const close = vi.fn(async () => undefined);
    const name = returning({ close });
    const err = await rejection(openDriver({ driver: name }));
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toBe(noDriver(name).replace('rescan, close,', 'rescan,'));
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('nothing, or an object without close: the same error, nothing to close', async () => {
    for (const value of [undefined, null, {}, { name: 'x' }]) {
      const name = returning(value);
      const err = await rejection(openDriver({ driver: name }));
      expect(err.code).toBe('DRIVER_NOT_FOUND');
      expect(err.message).toMatch(new RegExp(`^Driver "${name}" not found: its factory returned no gitty driver: it lacks storeObject, `));
    }
    expect((await rejection(openDriver({ driver: returning(undefined) }))).message).toMatch(/it lacks storeObject, .*capabilities \(an object\)$/);
  });

  it('a synchronous close, one that throws, or one that returns no promise does not hide the shape error either', async () => {
    const closes = [() => undefined, () => { throw new Error('close threw'); }, () => 'closed'];
    for (const close of closes) {
      const name = returning({ close });
      const err = await rejection(openDriver({ driver: name }));
      expect(err.code, String(close)).toBe('DRIVER_NOT_FOUND');
      expect(err.message).toBe(noDriver(name).replace('rescan, close,', 'rescan,'));
    }
  });

  it('a close that fails does not hide the shape error', async () => {
    const name = returning({ close: async () => { throw new Error('close failed'); } });
    const err = await rejection(openDriver({ driver: name }));
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toContain('its factory returned no gitty driver');
  });
});

describe('openDriver: a factory that throws', () => {
  it('a gitty error is passed on as it is', async () => {
    const thrown = new InvalidArgumentError('bad argument');
    expect(await rejection(openDriver({ driver: failing(thrown) }))).toBe(thrown);
  });

  it.each(['ENOSPC', 'EDQUOT', 'EFBIG'])('%s: STORAGE_FULL naming the path, or the store', async (code) => {
    const withPath = osError(code, { syscall: 'open', path: '/store/x' });
    const err = await rejection(openDriver({ driver: failing(withPath) }));
    expect(err.code).toBe('STORAGE_FULL');
    expect(err.message).toBe(`No room to write /store/x (${code})`);
    expect(err.cause).toBe(withPath);
    const name = failing(osError(code));
    const bare = await rejection(openDriver({ driver: name }));
    expect(bare.code).toBe('STORAGE_FULL');
    expect(bare.message).toBe(`No room to write the ${name} store (${code})`);
  });

  it.each(['EACCES', 'EPERM', 'EROFS', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM'])('%s from a system call: the OS error itself', async (code) => {
    const thrown = osError(code, { syscall: 'mkdir', path: '/store' });
    expect(await rejection(openDriver({ driver: failing(thrown) }))).toBe(thrown);
  });

  it('the same code without a system call, another code, or a code that is not a string: INVALID_CONFIG with the message', async () => {
    for (const thrown of [osError('EACCES'), osError('ENOTDIR', { syscall: 'open' }), osError(28, { syscall: 'open', path: '/p' })]) {
      const name = failing(thrown);
      const err = await rejection(openDriver({ driver: name }));
      expect(err.code).toBe('INVALID_CONFIG');
      expect(err.message).toBe(`The ${name} driver failed to open: ${thrown.message}`);
    }
  });

  it('something other than an Error: INVALID_CONFIG with its text', async () => {
    for (const [thrown, text] of [['boom', 'boom'], [undefined, 'undefined'], [null, 'null'], [42, '42']] as const) {
      const name = failing(thrown);
      const err = await rejection(openDriver({ driver: name }));
      expect(err.code).toBe('INVALID_CONFIG');
      expect(err.message).toBe(`The ${name} driver failed to open: ${text}`);
    }
  });
});

describe('defaultDriverContext', () => {
  it('Node\'s zlib, the default size limit, paths against the working directory, inner drivers through openDriver', async () => {
    const context = defaultDriverContext();
    expect(context.compression).toBe(nodeCompression);
    expect(context.maxObjectSize).toBe(DEFAULT_MAX_OBJECT_SIZE);
    expect(context.resolvePath!('a/b')).toBe(path.resolve('a/b'));
    const inner = await context.openInner({ driver: 'memory' });
    expect(inner.name).toBe('memory');
    await inner.close();
  });

  it('overrides replace single fields', () => {
    const context = defaultDriverContext({ maxObjectSize: 5 });
    expect(context.maxObjectSize).toBe(5);
    expect(context.compression).toBe(nodeCompression);
  });
});

describe('openStore', () => {
  it('a driver instance is used as it is, with the default size limit', async () => {
    const driver = (await createMemoryDriver({}, defaultDriverContext())) as Driver;
    const store = await openStore(driver);
    expect(store.driver).toBe(driver);
    expect(store.maxObjectSize).toBe(DEFAULT_MAX_OBJECT_SIZE);
    await store.close();
  });

  it('a config: the driver it names, with its size limit', async () => {
    const { name, calls } = capturing();
    const store = await openStore({ driver: name, maxObjectSize: 4321, compression: 'pako' });
    expect(store.maxObjectSize).toBe(4321);
    expect(calls[0]!.context.compression).toBe(pakoCompression);
    await store.close();
  });

  it('an object with updateHead and loadObject is taken for a driver and checked as one', async () => {
    const fake = { name: 'mine', updateHead: () => undefined, loadObject: () => undefined };
    const err = await rejection(openStore(fake as unknown as Driver));
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toBe(
      'Driver "mine" not found: its factory returned no gitty driver: it lacks storeObject, hasObject, objects, deleteObject, getHead, heads, rescan, close, capabilities (an object)',
    );
  });

  it('with only one of them, or nothing at all, it is a config, and refused as one', async () => {
    for (const config of [{ updateHead: () => undefined }, { loadObject: () => undefined }]) {
      const err = await rejection(openStore(config as unknown as Driver));
      expect(err.code).toBe('INVALID_CONFIG');
      expect(err.message).toBe('The config lacks "driver": give a built-in name (memory, files, packs, sqlite, redis) or a module specifier');
    }
    // A function carrying both methods is no driver object: refused as a config.
    const fn = Object.assign(() => undefined, { updateHead: () => undefined, loadObject: () => undefined });
    const notObject = await rejection(openStore(fn as unknown as Driver));
    expect(notObject.code).toBe('INVALID_CONFIG');
    expect(notObject.message).toBe('A store config must be an object such as { "driver": "files", "dir": "./store" }');
    const none = await rejection(openStore(null as unknown as Driver));
    expect(none.code).toBe('INVALID_CONFIG');
    expect(none.message).toBe('A store config must be an object such as { "driver": "files", "dir": "./store" }');
  });
});

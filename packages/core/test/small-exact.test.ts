import { describe, expect, it } from 'vitest';
import {
  InvalidHashError,
  MemoryBacking,
  MemoryDriver,
  checkDriverOptions,
  createMemoryDriver,
  hashObject,
  parseExactJson,
  stringOption,
  stringifyExactJson,
  validateStoreConfig,
} from '@gitty/core';
import { resolvePathOptions } from '../src/config.js';

const caught = async (f: () => unknown): Promise<{ code: unknown; message: string }> => {
  try {
    await f();
  } catch (e) {
    const err = e as { code?: unknown; message: string };
    return { code: err.code, message: err.message };
  }
  throw new Error('did not throw');
};

describe('config: exact limits and messages', () => {
  it('refuses maxObjectSize 0 and an empty baseDir, accepts commitCacheSize 0 and 10', async () => {
    expect(await caught(() => validateStoreConfig({ driver: 'memory', maxObjectSize: 0 }))).toEqual({
      code: 'INVALID_CONFIG',
      message: '"maxObjectSize" must be a positive integer number of bytes',
    });
    expect(await caught(() => validateStoreConfig({ driver: 'memory', baseDir: '' }))).toEqual({
      code: 'INVALID_CONFIG',
      message: '"baseDir" must be a directory path',
    });
    expect(validateStoreConfig({ driver: 'memory', commitCacheSize: 0 })).toEqual({ driver: 'memory', commitCacheSize: 0 });
    expect(validateStoreConfig({ driver: 'memory', commitCacheSize: 10 })).toEqual({ driver: 'memory', commitCacheSize: 10 });
  });

  it('resolvePathOptions leaves an empty path option empty', () => {
    expect(resolvePathOptions({ dir: '' }, ['dir'], '/x')).toEqual({ dir: '' });
  });

  it('checkDriverOptions names "(none)" when no option is valid; stringOption refuses an empty string', async () => {
    expect(await caught(() => checkDriverOptions('x', { a: 1 }, []))).toEqual({
      code: 'INVALID_CONFIG',
      message: 'Unknown option "a" for the x driver; valid options: (none)',
    });
    expect(await caught(() => stringOption('d', { k: '' }, 'k'))).toEqual({
      code: 'INVALID_CONFIG',
      message: 'The d driver needs "k" as a non-empty string',
    });
  });
});

describe('InvalidHashError: the quoted hash is cut to 60 characters', () => {
  it('has the exact message for a 100-character input', () => {
    const e = new InvalidHashError('a'.repeat(100));
    expect(e.code).toBe('INVALID_HASH');
    expect(e.message).toBe(`Invalid object hash "${'a'.repeat(59)}: expected 40 lower-case hex digits`);
  });
});

describe('exact JSON: exact values on the short and long paths', () => {
  it('stringify leaves digit strings as strings', () => {
    expect(stringifyExactJson({ a: '123' })).toBe('{"a":"123"}');
  });

  it('parse of text without a 16-digit run is JSON.parse itself', async () => {
    expect(Object.is(parseExactJson('-0'), -0)).toBe(true);
    let expected = '';
    try {
      JSON.parse('{');
    } catch (e) {
      expected = (e as Error).message;
    }
    expect(await caught(() => parseExactJson('{'))).toEqual({ code: undefined, message: expected });
  });

  it('long-path objects have ordinary writable, enumerable, configurable keys', () => {
    const o = parseExactJson('{"a":12345678901234567}') as Record<string, unknown>;
    expect(Object.keys(o)).toEqual(['a']);
    expect(Object.getOwnPropertyDescriptor(o, 'a')).toEqual({ value: 12345678901234567n, writable: true, enumerable: true, configurable: true });
    o.a = 1;
    expect(o.a).toBe(1);
    delete o.a;
    expect(Object.keys(o)).toEqual([]);
  });

  it('long-path numbers with fractions and exponents parse to their values', () => {
    expect(parseExactJson('[1.25, 1e+5, 1e10, 1234567890123456789]')).toEqual([1.25, 100000, 10000000000, 1234567890123456789n]);
  });
});

describe('memory driver: exact capabilities and messages', () => {
  it('has all four capabilities', () => {
    expect(new MemoryDriver().capabilities).toEqual({ rawObjects: true, watch: true, sharedHeads: true, objectTimes: true });
  });

  it('names a corrupted backing object, garbage raw bytes and a closed driver exactly', async () => {
    const backing = new MemoryBacking();
    const driver = new MemoryDriver(backing);
    const data = new TextEncoder().encode('hello');
    const hash = hashObject('blob', data);
    await driver.storeObject(hash, 'blob', data);
    backing.objects.get(hash)!.data = new TextEncoder().encode('other');
    expect(await caught(() => driver.loadObject(hash))).toEqual({ code: 'CORRUPT_OBJECT', message: `Corrupt object ${hash} in memory: content does not match its hash` });
    expect(await caught(() => driver.storeRaw(hash, new Uint8Array([1, 2, 3])))).toEqual({
      code: 'CORRUPT_OBJECT',
      message: `Corrupt object ${hash} in raw object: cannot inflate: incorrect header check`,
    });
    await driver.close();
    expect(await caught(() => driver.loadObject(hash))).toEqual({ code: 'CLOSED', message: 'The memory driver is closed' });
  });

  it('the factory refuses unknown options and a non-string id exactly', async () => {
    expect(await caught(() => createMemoryDriver({ x: 1 }, {} as never))).toEqual({ code: 'INVALID_CONFIG', message: 'Unknown option "x" for the memory driver; valid options: id' });
    expect(await caught(() => createMemoryDriver({ id: 5 }, {} as never))).toEqual({
      code: 'INVALID_CONFIG',
      message: 'The memory driver\'s "id" must be a string',
    });
  });
});

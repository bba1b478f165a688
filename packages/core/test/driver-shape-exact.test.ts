import { describe, expect, it } from 'vitest';
import { isGittyError } from '@gitty/core';
import { assertDriverShape } from '../src/driver-shape.js';

const REQUIRED = ['storeObject', 'loadObject', 'hasObject', 'objects', 'deleteObject', 'getHead', 'heads', 'updateHead', 'rescan', 'close'];

/** A plain object with every required method, a name and the given capabilities, plus `extra`. */
function shaped(capabilities: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const driver: Record<string, unknown> = { name: 'shaped', capabilities };
  for (const method of REQUIRED) driver[method] = () => undefined;
  return Object.assign(driver, extra);
}

/** The message of the DRIVER_NOT_FOUND `assertDriverShape` throws, or undefined when it accepts. */
function refusal(driver: unknown): string | undefined {
  try {
    assertDriverShape(driver, 'mine');
  } catch (err) {
    expect(isGittyError(err) && err.code).toBe('DRIVER_NOT_FOUND');
    return (err as Error).message;
  }
  return undefined;
}

const lacks = (what: string) => `Driver "mine" not found: its factory returned no gitty driver: it lacks ${what}`;

describe('assertDriverShape', () => {
  it('accepts every required method, a string name and a capabilities object', () => {
    expect(refusal(shaped({}))).toBeUndefined();
  });

  it('names each method a capability promises when it is missing', () => {
    const promises: Array<[string, string[]]> = [
      ['rawObjects', ['loadRaw', 'storeRaw']],
      ['objectTimes', ['objectTime']],
      ['watch', ['watch']],
      ['packs', ['repack', 'unpack']],
      ['reindex', ['reindex']],
      ['query', ['queryFiles', 'queryHistory']],
      ['search', ['search']],
    ];
    for (const [capability, methods] of promises) {
      expect(refusal(shaped({ [capability]: true })), capability).toBe(
        lacks(methods.map((method) => `${method} (capabilities.${capability} is true)`).join(', ')),
      );
      // With each method but one present, only that one is named.
      for (const method of methods) {
        const others = Object.fromEntries(methods.filter((m) => m !== method).map((m) => [m, () => undefined]));
        expect(refusal(shaped({ [capability]: true }, others)), `${capability} ${method}`).toBe(lacks(`${method} (capabilities.${capability} is true)`));
      }
      const all = Object.fromEntries(methods.map((m) => [m, () => undefined]));
      expect(refusal(shaped({ [capability]: true }, all)), capability).toBeUndefined();
      // Only `true` promises: false, absent or another truthy value does not.
      expect(refusal(shaped({ [capability]: false }))).toBeUndefined();
      expect(refusal(shaped({ [capability]: 'yes' }))).toBeUndefined();
      // A method that is there but not a function is missing.
      expect(refusal(shaped({ [capability]: true }, Object.fromEntries(methods.map((m) => [m, 'no']))))).toBe(
        lacks(methods.map((method) => `${method} (capabilities.${capability} is true)`).join(', ')),
      );
    }
    // Capabilities without methods of their own promise none.
    expect(refusal(shaped({ sharedHeads: true, objectBatches: true, headBatches: true }))).toBeUndefined();
    // Several at once, in the order of the check.
    expect(refusal(shaped({ search: true, rawObjects: true }, { storeRaw: () => undefined }))).toBe(
      lacks('loadRaw (capabilities.rawObjects is true), search (capabilities.search is true)'),
    );
  });

  it('each required method, the name and the capabilities in order, joined by ", "', () => {
    for (const method of REQUIRED) {
      expect(refusal(shaped({}, { [method]: undefined })), method).toBe(lacks(method));
      expect(refusal(shaped({}, { [method]: {} })), method).toBe(lacks(method));
    }
    expect(refusal(shaped({}, { name: 7 }))).toBe(lacks('name (a string)'));
    expect(refusal(shaped({}, { name: '' }))).toBeUndefined();
    expect(refusal(shaped(null as unknown as Record<string, unknown>))).toBe(lacks('capabilities (an object)'));
    expect(refusal(shaped('all' as unknown as Record<string, unknown>))).toBe(lacks('capabilities (an object)'));
    expect(refusal(shaped({}, { getHead: 1, close: 2, name: undefined, capabilities: true }))).toBe(
      lacks('getHead, close, name (a string), capabilities (an object)'),
    );
  });

  it('something that is not an object is read as an empty one: a function with every method still lacks all of them', () => {
    const all = `${REQUIRED.join(', ')}, name (a string), capabilities (an object)`;
    for (const value of [undefined, null, 'driver', 42, true]) expect(refusal(value), String(value)).toBe(lacks(all));
    // A function's own `name` is a string already; give it every method and capabilities too.
    const { name: _name, ...rest } = shaped({});
    const fn = Object.assign(() => undefined, rest);
    expect(typeof fn.name).toBe('string');
    expect(refusal(fn)).toBe(lacks(all));
  });
});

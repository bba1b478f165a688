import { describe, expect, it } from 'vitest';
import { boundedStamp, compareStamps, compareStreamIds, generationOf, StoreKeys, UNKNOWN_STAMP } from '../src/keys.js';

// The Redis key names and the orderings replication relies on, exactly: a wrong key splits a
// store across slots or mixes two stores; a wrong order makes nodes ignore newer changes.

describe('StoreKeys', () => {
  it('names every key and channel under one hash tag', () => {
    const keys = new StoreKeys('gitty', 'notes');
    expect({ ...keys }).toEqual({
      prefix: 'gitty',
      storeId: 'notes',
      base: 'gitty:{notes}:',
      heads: 'gitty:{notes}:heads',
      stamps: 'gitty:{notes}:stamps',
      stream: 'gitty:{notes}:stream',
      epoch: 'gitty:{notes}:epoch',
      seq: 'gitty:{notes}:seq',
      epochAt: 'gitty:{notes}:epoch-at',
      server: 'gitty:{notes}:server',
      members: 'gitty:{notes}:members',
      lostFrom: 'gitty:{notes}:lost-from',
      fetchChannel: 'gitty:{notes}:fetch',
      readyChannel: 'gitty:{notes}:ready',
    });
    expect(keys.requestKey('r1')).toBe('gitty:{notes}:req:r1');
    expect(keys.objectKey('ab12')).toBe('gitty:{notes}:obj:ab12');
    expect(keys.claimKey('ab12')).toBe('gitty:{notes}:claim:ab12');
  });
});

describe('compareStreamIds', () => {
  it.each([
    ['1-0', '2-0', -1],
    ['2-0', '1-0', 1],
    ['10-0', '9-0', 1],
    ['5-1', '5-2', -1],
    ['5-10', '5-9', 1],
    ['5-3', '5-3', 0],
    ['5', '5-0', 0],
    ['5', '5-1', -1],
    ['1-5', '1', 1],
    ['18446744073709551615-0', '18446744073709551614-9', 1],
    ['9007199254740993-1', '9007199254740993-2', -1],
  ])('orders %s against %s as %i', (a, b, sign) => {
    expect(compareStreamIds(a, b)).toBe(sign);
  });
});

describe('compareStamps', () => {
  it.each([
    ['1:5', '2:0', -1],
    ['2:0', '1:5', 1],
    ['10:1', '9:99', 1],
    ['3:4', '3:5', -1],
    ['3:5', '3:4', 1],
    ['3:10', '3:9', 1],
    ['3:4', '3:4', 0],
    [UNKNOWN_STAMP, '0:1', -1],
    ['4', '4:0', 0],
    ['4', '4:1', -1],
  ])('orders %s against %s as %i', (a, b, sign) => {
    expect(compareStamps(a, b)).toBe(sign);
  });

  it('ranks the unknown stamp 0:0 below any known change', () => {
    expect(UNKNOWN_STAMP).toBe('0:0');
    expect(compareStamps(UNKNOWN_STAMP, '1:0')).toBe(-1);
  });
});

describe('generationOf', () => {
  it.each([
    [null, 0],
    [undefined, 0],
    ['', 0],
    ['7:abc', 7],
    ['0:abc', 0],
    ['12', 12],
    ['-3:x', 0],
    ['x:1', 0],
    ['1.5:x', 0],
    ['99999999999999999999:x', 0],
  ])('reads %j as generation %i', (epoch, gen) => {
    expect(generationOf(epoch)).toBe(gen);
  });
});

describe('boundedStamp', () => {
  it('keeps a stamp of this generation or an older one', () => {
    expect(boundedStamp('3:9', '3:abc')).toBe('3:9');
    expect(boundedStamp('2:9', '3:abc')).toBe('2:9');
    expect(boundedStamp('0:0', null)).toBe('0:0');
  });

  it('brings a stamp from a later generation down to <generation>:0', () => {
    expect(boundedStamp('4:1', '3:abc')).toBe('3:0');
    expect(boundedStamp('1700000000000:5', '2:abc')).toBe('2:0');
    expect(boundedStamp('1:1', null)).toBe('0:0');
  });
});

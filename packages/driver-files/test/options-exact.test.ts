import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { FILES_OPTION_KEYS, parseFilesOptions } from '@gitty/driver-files';

// Every refusal of the files driver's config is exact (code and message), and every default
// is the documented one: a config that slips through or a default that changes silently
// changes what a store promises (durability, lock timing).
const refuses = (options: Record<string, unknown>, message: string) =>
  expect(() => parseFilesOptions({ dir: '/tmp/x', ...options })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message }));

const ms = (key: string, min: number) => `The files driver's "${key}" must be a number of milliseconds >= ${min}`;

describe('parseFilesOptions', () => {
  it('fills in the documented defaults and makes dir absolute', () => {
    expect(parseFilesOptions({ dir: 'rel/store' })).toStrictEqual({
      dir: path.resolve('rel/store'),
      journal: undefined,
      journalSealAt: undefined,
      journalSealAfter: undefined,
      format: undefined,
      compactAt: undefined,
      compactRatio: undefined,
      durability: 'fsync',
      groupCommit: true,
      pollInterval: 1000,
      watchLog: true,
      lockStale: undefined,
      lockTimeout: undefined,
    });
  });

  it('keeps every given value', () => {
    expect(parseFilesOptions({
      dir: '/s', durability: 'none', groupCommit: false, pollInterval: 0, watchLog: false, lockStale: 2000, lockTimeout: 0,
      format: 'git', compactAt: 0, compactRatio: 1.5, journal: true, journalSealAt: 4096, journalSealAfter: 10,
    })).toStrictEqual({
      dir: '/s', durability: 'none', groupCommit: false, pollInterval: 0, watchLog: false, lockStale: 2000, lockTimeout: 0,
      format: 'git', compactAt: 0, compactRatio: 1.5, journal: true, journalSealAt: 4096, journalSealAfter: 10,
    });
    expect(parseFilesOptions({ dir: '/s', durability: 'fsync', groupCommit: true, watchLog: true, format: 'swish', compactAt: false, journal: false }))
      .toMatchObject({ durability: 'fsync', groupCommit: true, watchLog: true, format: 'swish', compactAt: false, journal: false });
  });

  it('lists the keys it accepts and refuses others', () => {
    expect(FILES_OPTION_KEYS).toEqual([
      'dir', 'durability', 'groupCommit', 'pollInterval', 'watchLog', 'lockStale', 'lockTimeout', 'format', 'compactAt', 'compactRatio',
      'journal', 'journalSealAt', 'journalSealAfter',
    ]);
    expect(() => parseFilesOptions({ dir: '/s', journal: true }, ['dir'])).toThrow(expect.objectContaining({
      code: 'INVALID_CONFIG', message: 'Unknown option "journal" for the files driver; valid options: dir',
    }));
    refuses({ colour: 'red' }, `Unknown option "colour" for the files driver; valid options: ${FILES_OPTION_KEYS.join(', ')}`);
  });

  it('needs dir, as a non-empty string', () => {
    expect(() => parseFilesOptions({})).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: 'The files driver needs the option "dir"' }));
    expect(() => parseFilesOptions({ dir: '' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: 'The files driver needs "dir" as a non-empty string' }));
  });

  it('refuses a bad durability, boolean or format with the exact message', () => {
    refuses({ durability: 'always' }, 'The files driver\'s "durability" must be "fsync" or "none"');
    refuses({ groupCommit: 'yes' }, 'The files driver\'s "groupCommit" must be true or false');
    refuses({ watchLog: 1 }, 'The files driver\'s "watchLog" must be true or false');
    refuses({ format: 'svn' }, 'The files driver\'s "format" must be "git" or "swish"');
    refuses({ journal: 'yes' }, 'The files driver\'s "journal" must be true or false');
    refuses({ journal: true, format: 'swish' }, 'The files driver\'s "journal" is not for SWISH-format stores (SWISH reads loose objects only)');
  });

  it('refuses compaction thresholds out of range', () => {
    const at = 'The files driver\'s "compactAt" must be a number of bytes >= 0 or false';
    for (const compactAt of [-1, 'big', true, Number.NaN]) refuses({ compactAt }, at);
    const ratio = 'The files driver\'s "compactRatio" must be a number >= 1.5';
    for (const compactRatio of [1.49, '2', Number.NaN, Number.POSITIVE_INFINITY]) refuses({ compactRatio }, ratio);
  });

  it('refuses journal seal sizes that are not whole, safe and at least 4 KiB', () => {
    const sealAt = 'The files driver\'s "journalSealAt" must be a whole number of bytes >= 4096';
    for (const journalSealAt of [4095, 4096.5, '8192', 2 ** 53]) refuses({ journalSealAt }, sealAt);
  });

  it('refuses times below their minimum, non-numbers and non-finite numbers', () => {
    for (const [key, min] of [['journalSealAfter', 10], ['pollInterval', 0], ['lockStale', 2000], ['lockTimeout', 0]] as const) {
      for (const value of [min - 0.5, String(min), Number.POSITIVE_INFINITY, Number.NaN, null]) refuses({ [key]: value }, ms(key, min));
      expect(parseFilesOptions({ dir: '/s', [key]: min + 0.5 })[key]).toBe(min + 0.5);
    }
  });
});

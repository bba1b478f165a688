import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { CliError, UsageError } from '../src/errors.js';
import { DEFAULT_CONFIG_FILE, loadConfigFile, parseStoreSpec, selectStore } from '../src/config.js';

// Store selection: which source wins, exact configs, exact refusals.
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string; hint?: string };
  }
  throw new Error('resolved');
}

describe('config', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let withDefault: string;
  let noDefault: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-config-exact-'));
    withDefault = path.join(dir, 'with-default');
    noDefault = path.join(dir, 'no-default');
    await mkdir(withDefault);
    await mkdir(noDefault);
    await writeFile(path.join(withDefault, DEFAULT_CONFIG_FILE), JSON.stringify({ driver: 'packs', dir: 'here' }));
    await writeFile(path.join(dir, 'other.json'), JSON.stringify({ driver: 'sqlite', dir: '../abs-store' }));
    // A folder named like the default config file is no config.
    await mkdir(path.join(noDefault, DEFAULT_CONFIG_FILE));
  });
  afterAll(async () => remove());

  it('DEFAULT_CONFIG_FILE is gitty.config.json', () => {
    expect(DEFAULT_CONFIG_FILE).toBe('gitty.config.json');
  });

  describe('selectStore', () => {
    it('--store wins over GITTY_STORE, --config and the default file, resolved against cwd', async () => {
      expect(await selectStore({ store: 's', config: 'other.json' }, { GITTY_STORE: 'env' }, withDefault)).toEqual({
        config: { driver: 'files', dir: path.join(withDefault, 's') }, origin: '--store s',
      });
    });

    it('GITTY_STORE comes next, when not empty', async () => {
      expect(await selectStore({ config: path.join(dir, 'other.json') }, { GITTY_STORE: '/abs/env' }, withDefault)).toEqual({
        config: { driver: 'files', dir: '/abs/env' }, origin: 'GITTY_STORE=/abs/env',
      });
      expect(await selectStore({}, { GITTY_STORE: '' }, withDefault)).toMatchObject({ origin: 'gitty.config.json' });
      // An empty --store counts as given (GITTY_STORE is not consulted) and selects nothing.
      expect((await rejection(selectStore({ store: '' }, { GITTY_STORE: 'e' }, noDefault))).message).toBe('No store selected');
    });

    it('--config comes next, read relative to cwd, its dirs relative to the file', async () => {
      expect(await selectStore({ config: '../other.json' }, {}, withDefault)).toEqual({
        config: { driver: 'sqlite', dir: path.join(path.dirname(dir), 'abs-store'), resolveFrom: dir, baseDir: dir }, origin: '../other.json',
      });
    });

    it('then gitty.config.json in cwd (a file, not a folder of that name)', async () => {
      expect(await selectStore({}, {}, withDefault)).toEqual({
        config: { driver: 'packs', dir: path.join(withDefault, 'here'), resolveFrom: withDefault, baseDir: withDefault }, origin: 'gitty.config.json',
      });
      // A folder without any gitty.config.json.
      expect((await rejection(selectStore({}, {}, path.join(dir, 'with-default', '..', 'no-default', '..')))).message).toBe('No store selected');
      const err = await rejection(selectStore({}, {}, noDefault));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toBe('No store selected');
      expect(err.hint).toBe('give --store <dir>, set GITTY_STORE, or use --config <file> or a gitty.config.json in this directory');
    });

    it('--driver replaces the driver of any selection', async () => {
      expect(await selectStore({ store: 's', driver: 'sqlite' }, {}, dir)).toEqual({ config: { driver: 'sqlite', dir: path.join(dir, 's') }, origin: '--store s' });
      expect(await selectStore({ driver: 'files' }, {}, withDefault)).toMatchObject({ config: { driver: 'files', dir: path.join(withDefault, 'here') } });
    });

    it('defaults to the process environment and working directory', async () => {
      const saved = process.env.GITTY_STORE;
      process.env.GITTY_STORE = 'from-process';
      try {
        expect(await selectStore({})).toEqual({ config: { driver: 'files', dir: path.resolve('from-process') }, origin: 'GITTY_STORE=from-process' });
      } finally {
        if (saved === undefined) delete process.env.GITTY_STORE;
        else process.env.GITTY_STORE = saved;
      }
    });
  });

  describe('parseStoreSpec', () => {
    it('reads <driver>:<dir> for the folder drivers', async () => {
      expect(await parseStoreSpec('sqlite:s', dir)).toEqual({ config: { driver: 'sqlite', dir: path.join(dir, 's') }, origin: 'sqlite:s' });
      expect(await parseStoreSpec('packs:/abs', dir)).toEqual({ config: { driver: 'packs', dir: '/abs' }, origin: 'packs:/abs' });
      expect(await parseStoreSpec('files:a:b', dir)).toEqual({ config: { driver: 'files', dir: path.join(dir, 'a:b') }, origin: 'files:a:b' });
    });

    it('refuses redis, unknown drivers and a missing folder', async () => {
      const redis = await rejection(parseStoreSpec('redis:x', dir));
      expect(redis).toBeInstanceOf(UsageError);
      expect([redis.message, redis.hint]).toEqual(['"redis:x": the redis driver needs a config file', 'write a .json config with "url" and an "inner" store config, and give its path']);
      const unknown = await rejection(parseStoreSpec('Bo.g+us-1:/x', dir));
      expect(unknown).toBeInstanceOf(UsageError);
      expect([unknown.message, unknown.hint]).toEqual([
        'Unknown driver "Bo.g+us-1" in "Bo.g+us-1:/x"', 'write <driver>:<dir> with files, packs or sqlite, or ./Bo.g+us-1:/x for a folder of that name',
      ]);
      expect((await rejection(parseStoreSpec('memory:x', dir))).message).toBe('Unknown driver "memory" in "memory:x"');
      const empty = await rejection(parseStoreSpec('packs:', dir));
      expect(empty).toBeInstanceOf(UsageError);
      expect([empty.message, empty.hint]).toEqual(['No folder in "packs:"', 'write packs:<dir>']);
    });

    it('takes a one-letter prefix and other forms as a folder', async () => {
      expect(await parseStoreSpec('C:store', dir)).toEqual({ config: { driver: 'files', dir: path.join(dir, 'C:store') }, origin: 'C:store' });
      expect(await parseStoreSpec('1x:store', dir)).toEqual({ config: { driver: 'files', dir: path.join(dir, '1x:store') }, origin: '1x:store' });
      expect(await parseStoreSpec('plain', dir)).toEqual({ config: { driver: 'files', dir: path.join(dir, 'plain') }, origin: 'plain' });
      expect(await parseStoreSpec('x/files:y', dir)).toEqual({ config: { driver: 'files', dir: path.join(dir, 'x/files:y') }, origin: 'x/files:y' });
    });

    it('reads a .json spec as a config file, relative to cwd', async () => {
      expect(await parseStoreSpec('other.json', dir)).toEqual({
        config: { driver: 'sqlite', dir: path.join(path.dirname(dir), 'abs-store'), resolveFrom: dir, baseDir: dir }, origin: 'other.json',
      });
    });

    it('refuses an empty spec', async () => {
      const err = await rejection(parseStoreSpec('', dir));
      expect(err).toBeInstanceOf(UsageError);
      expect([err.message, err.hint]).toEqual(['An empty store argument', 'give a directory, <driver>:<dir> or a .json config file']);
    });

    it('defaults to the working directory', async () => {
      expect(await parseStoreSpec('rel')).toEqual({ config: { driver: 'files', dir: path.resolve('rel') }, origin: 'rel' });
    });
  });

  describe('loadConfigFile', () => {
    it('resolves dir, *Dir keys at every level, resolveFrom and baseDir against the file\'s folder', async () => {
      const file = path.join(dir, 'nested.json');
      await writeFile(file, JSON.stringify({
        driver: 'redis', url: 'redis://x', stateDir: 's', dir: '/abs', dirty: 'keep', myDirs: 'keep', Dir: 'keep', xdir: 'keep', count: 3, list: ['a'],
        inner: { driver: 'files', dir: 'inner', cacheDir: 'c', deep: { dir: 'd', n: null } }, resolveFrom: 'mods', baseDir: 'base',
      }));
      expect(await loadConfigFile(file)).toEqual({
        driver: 'redis', url: 'redis://x', stateDir: path.join(dir, 's'), dir: '/abs', dirty: 'keep', myDirs: 'keep', Dir: 'keep', xdir: 'keep', count: 3, list: ['a'],
        inner: { driver: 'files', dir: path.join(dir, 'inner'), cacheDir: path.join(dir, 'c'), deep: { dir: path.join(dir, 'd'), n: null } },
        resolveFrom: path.join(dir, 'mods'), baseDir: path.join(dir, 'base'),
      });
    });

    it('leaves a non-string dir alone', async () => {
      const file = path.join(dir, 'numdir.json');
      await writeFile(file, JSON.stringify({ driver: 'x', dir: 5, fooDir: true }));
      expect(await loadConfigFile(file)).toEqual({ driver: 'x', dir: 5, fooDir: true, resolveFrom: dir, baseDir: dir });
    });

    it('a missing file is INVALID_CONFIG with the --config hint', async () => {
      const file = path.join(dir, 'missing.json');
      const err = await rejection(loadConfigFile(file));
      expect(err).toBeInstanceOf(CliError);
      expect(err).toMatchObject({ code: 'INVALID_CONFIG', message: `Config file ${file} does not exist`, hint: 'check the --config path' });
    });

    it('an unreadable file is INVALID_CONFIG with the reason', async () => {
      const err = await rejection(loadConfigFile(dir));
      expect(err).toBeInstanceOf(CliError);
      expect(err).toMatchObject({ code: 'INVALID_CONFIG', message: `Cannot read config file ${dir}: EISDIR: illegal operation on a directory, read` });
      expect(err.hint).toBeUndefined();
    });

    it('bad JSON and a config the core refuses are INVALID_CONFIG naming the file', async () => {
      const broken = path.join(dir, 'broken.json');
      await writeFile(broken, '{ "driver": ');
      expect(await rejection(loadConfigFile(broken))).toMatchObject({ code: 'INVALID_CONFIG', message: `Config file ${broken} is not valid JSON: Unexpected end of JSON input` });
      const noDriver = path.join(dir, 'nodriver.json');
      await writeFile(noDriver, JSON.stringify({ dir: 'x' }));
      expect(await rejection(loadConfigFile(noDriver))).toMatchObject({
        code: 'INVALID_CONFIG',
        message: `In ${noDriver}: The config lacks "driver": give a built-in name (memory, files, packs, sqlite, redis) or a module specifier`,
      });
      const list = path.join(dir, 'list.json');
      await writeFile(list, '[]');
      expect(await rejection(loadConfigFile(list))).toMatchObject({
        code: 'INVALID_CONFIG', message: `In ${list}: A store config must be an object such as { "driver": "files", "dir": "./store" }`,
      });
    });
  });
});

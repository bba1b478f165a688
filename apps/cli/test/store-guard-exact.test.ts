import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import type { StoreSelection } from '../src/config.js';
import { CliError } from '../src/errors.js';
import { prepareStoreFolders, storeFolderPaths, type StoreAccess } from '../src/store-guard.js';

// Opening never turns an unrelated folder into a store: each access, each refusal, exactly.
async function refusal(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  }
  throw new Error('resolved');
}

const sel = (config: Record<string, unknown>, origin = '--store x'): StoreSelection => ({ config: config as StoreSelection['config'], origin });

describe('prepareStoreFolders', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let files: string;
  let sqlite: string;
  let objectsOnly: string;
  let refOnly: string;
  let other: string;
  let empty: string;
  let plainFile: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-guard-exact-'));
    files = path.join(dir, 'files');
    sqlite = path.join(dir, 'sqlite');
    objectsOnly = path.join(dir, 'objects-only');
    refOnly = path.join(dir, 'ref-only');
    other = path.join(dir, 'other');
    empty = path.join(dir, 'empty');
    plainFile = path.join(dir, 'plain-file');
    for (const d of [path.join(files, 'objects'), path.join(files, 'ref'), path.join(sqlite, 'objects'), path.join(sqlite, 'ref'), path.join(objectsOnly, 'objects'), path.join(refOnly, 'ref'), other, empty]) {
      await mkdir(d, { recursive: true });
    }
    await writeFile(path.join(other, 'passwd'), 'x');
    await writeFile(plainFile, 'x');
  });
  afterAll(async () => remove());

  it('opens a store with either marker, for every access, and defaults to existing', async () => {
    for (const access of ['existing', 'reindex', 'create-if-empty', 'init'] as StoreAccess[]) {
      for (const d of [files, objectsOnly, refOnly]) await prepareStoreFolders(sel({ driver: 'files', dir: d }), access);
    }
    await prepareStoreFolders(sel({ driver: 'packs', dir: files }));
  });

  it('a missing folder: refused unless the access creates, then made (with parents)', async () => {
    const missing = path.join(dir, 'missing', 'deep');
    for (const access of ['existing', 'reindex'] as StoreAccess[]) {
      const err = await refusal(prepareStoreFolders(sel({ driver: 'files', dir: missing }, 'GITTY_STORE=m'), access));
      expect([err.code, err.message, err.hint]).toEqual(['NO_STORE', `No store at ${missing}`, `create one with \`gitty --store ${missing} init\`, or check GITTY_STORE=m`]);
    }
    await expect(stat(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    await prepareStoreFolders(sel({ driver: 'files', dir: missing }), 'create-if-empty');
    expect((await stat(missing)).isDirectory()).toBe(true);
    const second = path.join(dir, 'init-missing', 'x');
    await prepareStoreFolders(sel({ driver: 'files', dir: second }), 'init');
    expect(await readdir(second)).toEqual([]);
  });

  it('the init command names the driver unless it is files, quoting the folder for a shell', async () => {
    const odd = path.join(dir, "it's here");
    const err = await refusal(prepareStoreFolders(sel({ driver: 'sqlite', dir: odd })));
    expect(err.hint).toBe(`create one with \`gitty --store '${dir}/it'\\''s here' --driver sqlite init\`, or check --store x`);
    const plain = path.join(dir, 'a@b%c+d=e:f,g.h-i_j');
    expect((await refusal(prepareStoreFolders(sel({ driver: 'packs', dir: plain })))).hint).toBe(`create one with \`gitty --store ${plain} --driver packs init\`, or check --store x`);
    expect((await refusal(prepareStoreFolders(sel({ driver: 5, dir: path.join(dir, 'nodriver') })))).hint).toBe(`create one with \`gitty --store ${dir}/nodriver init\`, or check --store x`);
    expect((await refusal(prepareStoreFolders(sel({ dir: path.join(dir, 'nodriver') })))).hint).toBe(`create one with \`gitty --store ${dir}/nodriver init\`, or check --store x`);
    expect((await refusal(prepareStoreFolders(sel({ driver: 'my driver', dir: path.join(dir, 'nd2') })))).hint).toBe(
      `create one with \`gitty --store ${dir}/nd2 --driver 'my driver' init\`, or check --store x`,
    );
  });

  it('a file where the folder should be is refused for every access', async () => {
    for (const access of ['existing', 'reindex', 'create-if-empty', 'init'] as StoreAccess[]) {
      const err = await refusal(prepareStoreFolders(sel({ driver: 'files', dir: plainFile }, 'cfg.json'), access));
      expect([err.code, err.message, err.hint]).toEqual(['NO_STORE', `${plainFile} is not a directory`, 'check cfg.json']);
    }
  });

  it('a folder without markers: only init takes it, or create-if-empty when it is empty', async () => {
    const notStore = (d: string) => [`${d} is not a gitty store (no objects/ or ref/ folder)`, `create one with \`gitty --store ${d} init\`, or check the path`];
    for (const access of ['existing', 'reindex', 'create-if-empty'] as StoreAccess[]) {
      const err = await refusal(prepareStoreFolders(sel({ driver: 'files', dir: other }), access));
      expect([err.code, err.message, err.hint]).toEqual(['NO_STORE', ...notStore(other)]);
    }
    for (const access of ['existing', 'reindex'] as StoreAccess[]) {
      expect([(await refusal(prepareStoreFolders(sel({ driver: 'files', dir: empty }), access))).message]).toEqual([notStore(empty)[0]]);
    }
    await prepareStoreFolders(sel({ driver: 'files', dir: empty }), 'create-if-empty');
    await prepareStoreFolders(sel({ driver: 'files', dir: other }), 'init');
    expect(await readdir(other)).toEqual(['passwd']);
    expect(await readdir(empty)).toEqual([]);
  });

  it('a driver this CLI does not know: only the folder\'s existence is checked', async () => {
    await prepareStoreFolders(sel({ driver: './my-driver.js', dir: other }));
    await prepareStoreFolders(sel({ driver: 'memory', dir: empty }));
    await prepareStoreFolders(sel({ dir: other }));
  });

  it('sqlite needs its index except for init and reindex', async () => {
    for (const access of ['existing', 'create-if-empty'] as StoreAccess[]) {
      const err = await refusal(prepareStoreFolders(sel({ driver: 'sqlite', dir: sqlite }), access));
      expect([err.code, err.message, err.hint]).toEqual(['NO_STORE', `${sqlite} has no sqlite index (index.sqlite)`, `build it with \`gitty --store ${sqlite} --driver sqlite reindex\``]);
    }
    await prepareStoreFolders(sel({ driver: 'sqlite', dir: sqlite }), 'reindex');
    await prepareStoreFolders(sel({ driver: 'sqlite', dir: sqlite }), 'init');
    // Other folder drivers never need it.
    await prepareStoreFolders(sel({ driver: 'packs', dir: sqlite }), 'existing');
    await writeFile(path.join(sqlite, 'index.sqlite'), '');
    await prepareStoreFolders(sel({ driver: 'sqlite', dir: sqlite }), 'existing');
  });

  it('checks every dir of nested configs with its own driver, in order', async () => {
    const missing = path.join(dir, 'inner-missing');
    const err = await refusal(prepareStoreFolders(sel({ driver: 'redis', url: 'redis://x', inner: { driver: 'packs', dir: missing } })));
    expect(err.message).toBe(`No store at ${missing}`);
    expect(err.hint).toBe(`create one with \`gitty --store ${missing} --driver packs init\`, or check --store x`);
    const nested = await refusal(prepareStoreFolders(sel({ driver: 'files', dir: files, inner: { dir: other, driver: 'files' } })));
    expect(nested.message).toBe(`${other} is not a gitty store (no objects/ or ref/ folder)`);
    // Not a dir: numbers, lists and keys named otherwise.
    await prepareStoreFolders(sel({ driver: 'files', dir: files, stateDir: '/nonexistent', list: [{ dir: '/nonexistent' }], n: { dir: 5 } }));
  });
});

describe('storeFolderPaths', () => {
  it('lists every dir, nested ones included, in config order, absolute', () => {
    expect(storeFolderPaths(sel({ driver: 'redis', a: { dir: 'rel' }, dir: '/top', inner: { driver: 'files', dir: '/in', deeper: { dir: '/deep' } }, x: null, y: ['z'] }))).toEqual([
      path.resolve('rel'), '/top', '/in', '/deep',
    ]);
    expect(storeFolderPaths(sel({ driver: 'memory' }))).toEqual([]);
  });
});

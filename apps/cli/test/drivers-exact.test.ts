import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DriverContext, DriverFactory } from '@gitty/core';

// drivers.ts in the test process: registerBuiltinDrivers registers files, packs, sqlite and
// redis with the core's registry as lazy factories that import their package on first use.
// Every test takes a fresh copy of the core and of drivers.ts (the registration runs once per
// module instance, and an earlier test may have run it), with the driver packages mocked:
// what each factory hands on, which export it picks, and its exact refusals.

const PACKAGES = {
  files: '@gitty/driver-files',
  packs: '@gitty/driver-packs',
  sqlite: '@gitty/driver-sqlite',
  redis: '@gitty/driver-redis',
} as const;
type Name = keyof typeof PACKAGES;
const NAMES = Object.keys(PACKAGES) as Name[];

const mocked = new Set<string>();
const dirs: string[] = [];

afterEach(async () => {
  for (const pkg of mocked) vi.doUnmock(pkg);
  mocked.clear();
  vi.resetModules();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function mock(pkg: string, module: () => Record<string, unknown>): void {
  mocked.add(pkg);
  vi.doMock(pkg, module);
}

/**
 * Mock `pkg` so that importing it rejects with `error`, as a missing or broken package does.
 * A mock factory that throws is wrapped by vitest (its own message, no `code`), so the mock is
 * a module whose `then` appears after vitest has read the factory's result: the `import()`
 * that resolves to it then rejects with `error` itself.
 */
function mockFailingImport(pkg: string, error: unknown): void {
  mock(pkg, () => {
    let reads = 0;
    return {
      get then() {
        reads += 1;
        return reads === 1 ? undefined : (_resolve: unknown, reject: (err: unknown) => void) => reject(error);
      },
    };
  });
}

/** A fresh core and drivers.ts, the built-ins registered. */
async function fresh(): Promise<{ core: typeof import('@gitty/core'); registerBuiltinDrivers: () => void }> {
  vi.resetModules();
  const core = await import('@gitty/core');
  const { registerBuiltinDrivers } = await import('../src/drivers.js');
  registerBuiltinDrivers();
  return { core, registerBuiltinDrivers };
}

const context = { tag: 'context' } as unknown as DriverContext;

async function failure(factory: DriverFactory): Promise<{ name: string; code: unknown; driver: unknown; message: string; cause: unknown }> {
  try {
    await factory({}, context);
  } catch (err) {
    const e = err as Error & { code?: unknown; driver?: unknown };
    return { name: e.name, code: e.code, driver: e.driver, message: e.message, cause: e.cause };
  }
  throw new Error('the factory did not fail');
}

describe('registerBuiltinDrivers', () => {
  it('registers each built-in name as a factory of its own package, handing options and context to its createDriver', async () => {
    for (const name of NAMES) {
      mock(PACKAGES[name], () => ({ createDriver: (options: unknown, ctx: unknown) => ({ from: PACKAGES[name], options, ctx }), default: undefined }));
    }
    const { core } = await fresh();
    for (const name of NAMES) {
      const factory = await core.resolveDriverFactory(name);
      expect(factory.pathOptions).toEqual(name === 'redis' ? ['stateDir'] : ['dir']);
      const driver = (await factory({ dir: '/d', n: 1 }, context)) as unknown as { from: string; options: unknown; ctx: unknown };
      expect(driver).toEqual({ from: PACKAGES[name], options: { dir: '/d', n: 1 }, ctx: context });
      expect(driver.ctx).toBe(context);
    }
    // memory stays the core's own; an unknown name is still refused by the core.
    expect(await core.resolveDriverFactory('memory')).toBe(core.createMemoryDriver);
    await expect(core.resolveDriverFactory('nope')).rejects.toMatchObject({
      code: 'DRIVER_NOT_FOUND',
      message: 'Driver "nope" not found: not a built-in driver (memory, files, packs, sqlite, redis), and no package "nope" is installed: npm install nope',
    });
  });

  it('imports a package only when its factory is called', async () => {
    const loaded: string[] = [];
    for (const name of NAMES) {
      mock(PACKAGES[name], () => {
        loaded.push(name);
        return { createDriver: () => ({ name }), default: undefined };
      });
    }
    const { core } = await fresh();
    const factories = await Promise.all(NAMES.map((name) => core.resolveDriverFactory(name)));
    expect(loaded).toEqual([]);
    expect(await factories[2]!({}, context)).toEqual({ name: 'sqlite' });
    expect(loaded).toEqual(['sqlite']);
  });

  it('registers once: a later call leaves a driver registered since in place', async () => {
    const { core, registerBuiltinDrivers } = await fresh();
    const own: DriverFactory = () => Promise.reject(new Error('unused'));
    for (const name of NAMES) core.registerDriver(name, own);
    registerBuiltinDrivers();
    for (const name of NAMES) expect(await core.resolveDriverFactory(name)).toBe(own);
  });

  it('opens a real files and packs store through the registered factories', async () => {
    const { core } = await fresh();
    for (const name of ['files', 'packs'] as const) {
      const base = await mkdtemp(path.join(tmpdir(), `gitty-drivers-${name}-`));
      dirs.push(base);
      const store = await core.openStore({ driver: name, dir: path.join(base, 'store') });
      try {
        expect(store.driver.name).toBe(name);
        await store.create('a.txt', new TextEncoder().encode(`in ${name}`));
      } finally {
        await store.close();
      }
      const again = await core.openStore({ driver: name, dir: path.join(base, 'store') });
      try {
        expect(new TextDecoder().decode((await again.get('a.txt')).data)).toBe(`in ${name}`);
      } finally {
        await again.close();
      }
    }
  });
});

describe('which export a driver package gives', () => {
  it('takes createDriver when it is a function, even with a default export', async () => {
    const createDriver = vi.fn(() => 'from createDriver');
    const other = vi.fn(() => 'from default');
    mock(PACKAGES.packs, () => ({ createDriver, default: other }));
    const { core } = await fresh();
    expect(await (await core.resolveDriverFactory('packs'))({ a: 1 }, context)).toBe('from createDriver');
    expect(createDriver).toHaveBeenCalledWith({ a: 1 }, context);
    expect(other).not.toHaveBeenCalled();
  });

  it('takes the default export when createDriver is no function', async () => {
    const fallback = vi.fn(() => 'from default');
    mock(PACKAGES.files, () => ({ createDriver: 'not a function', default: fallback }));
    const { core } = await fresh();
    expect(await (await core.resolveDriverFactory('files'))({ b: 2 }, context)).toBe('from default');
    expect(fallback).toHaveBeenCalledWith({ b: 2 }, context);
  });

  it('refuses a package that exports neither, naming it', async () => {
    mock(PACKAGES.redis, () => ({ createDriver: undefined, default: { createDriver: () => 'nested' } }));
    const { core } = await fresh();
    expect(await failure(await core.resolveDriverFactory('redis'))).toEqual({
      name: 'DriverNotFoundError',
      code: 'DRIVER_NOT_FOUND',
      driver: '@gitty/driver-redis',
      message: 'Driver "@gitty/driver-redis" not found: @gitty/driver-redis does not export createDriver yet',
      cause: undefined,
    });
  });
});

describe('a driver package that cannot be loaded', () => {
  it('says which package to install when it is missing (each built-in)', async () => {
    const errors = new Map<Name, Error>();
    for (const name of NAMES) {
      const missing = Object.assign(new Error(`Cannot find package '${PACKAGES[name]}' imported from /somewhere/drivers.js`), { code: 'ERR_MODULE_NOT_FOUND' });
      errors.set(name, missing);
      mockFailingImport(PACKAGES[name], missing);
    }
    const { core } = await fresh();
    for (const name of NAMES) {
      const pkg = PACKAGES[name];
      expect(await failure(await core.resolveDriverFactory(name))).toEqual({
        name: 'DriverNotFoundError',
        code: 'DRIVER_NOT_FOUND',
        driver: pkg,
        message: `Driver "${pkg}" not found: ${pkg} is not installed: npm install -g ${pkg} (next to @gitty/cli; in a project: npm install ${pkg})`,
        cause: errors.get(name),
      });
    }
  });

  it('takes require\'s MODULE_NOT_FOUND as missing too', async () => {
    const missing = Object.assign(new Error("Cannot find module '@gitty/driver-sqlite'\nRequire stack:\n- /x.js"), { code: 'MODULE_NOT_FOUND' });
    mockFailingImport(PACKAGES.sqlite, missing);
    const { core } = await fresh();
    expect((await failure(await core.resolveDriverFactory('sqlite'))).message).toBe(
      'Driver "@gitty/driver-sqlite" not found: @gitty/driver-sqlite is not installed: npm install -g @gitty/driver-sqlite (next to @gitty/cli; in a project: npm install @gitty/driver-sqlite)',
    );
  });

  it('reports the first line of any other load error: a package the driver imports that is missing, a broken build', async () => {
    // Not found, but another package (the driver's own dependency): the driver is installed.
    const dependency = Object.assign(new Error("Cannot find package 'better-sqlite3' imported from /n/driver-sqlite/dist/index.js\nDid you mean to import better-sqlite3/lib/index.js?"), { code: 'ERR_MODULE_NOT_FOUND' });
    mockFailingImport(PACKAGES.sqlite, dependency);
    // The package's own name with another code: not a missing package.
    const broken = Object.assign(new Error("Unexpected token in '@gitty/driver-redis'\n    at line 3"), { code: 'ERR_INVALID_PACKAGE_CONFIG' });
    mockFailingImport(PACKAGES.redis, broken);
    const { core } = await fresh();
    expect(await failure(await core.resolveDriverFactory('sqlite'))).toEqual({
      name: 'DriverNotFoundError',
      code: 'DRIVER_NOT_FOUND',
      driver: '@gitty/driver-sqlite',
      message: "Driver \"@gitty/driver-sqlite\" not found: cannot load @gitty/driver-sqlite: Cannot find package 'better-sqlite3' imported from /n/driver-sqlite/dist/index.js",
      cause: dependency,
    });
    expect(await failure(await core.resolveDriverFactory('redis'))).toEqual({
      name: 'DriverNotFoundError',
      code: 'DRIVER_NOT_FOUND',
      driver: '@gitty/driver-redis',
      message: "Driver \"@gitty/driver-redis\" not found: cannot load @gitty/driver-redis: Unexpected token in '@gitty/driver-redis'",
      cause: broken,
    });
  });

  it('does not take a missing-looking error that is no Error as missing', async () => {
    const notAnError = { code: 'ERR_MODULE_NOT_FOUND', message: "Cannot find package '@gitty/driver-files'" };
    mockFailingImport(PACKAGES.files, notAnError);
    const { core } = await fresh();
    expect((await failure(await core.resolveDriverFactory('files'))).message).toBe(
      "Driver \"@gitty/driver-files\" not found: cannot load @gitty/driver-files: Cannot find package '@gitty/driver-files'",
    );
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_DRIVERS, defaultDriverContext, resolveDriverFactory, type DriverFactory } from '@gitty/core';

let dir: string;

/** Write an ES module into the scratch folder; returns its absolute path. */
async function module(name: string, source: string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, source);
  return file;
}

/** What a factory returns when called: the fixtures return a marker string instead of a driver. */
async function markerOf(factory: DriverFactory): Promise<unknown> {
  return (factory as unknown as (o: object, c: unknown) => Promise<unknown>)({}, defaultDriverContext());
}

async function refusal(driver: string, from = dir): Promise<{ code?: string; message: string }> {
  try {
    await resolveDriverFactory(driver, from);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error(`resolveDriverFactory accepted ${driver}`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-registry-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveDriverFactory', () => {
  it('takes createDriver, a default function, or a default object\'s createDriver, in that order', async () => {
    const named = await module('named.mjs', "export const createDriver = async () => 'named';\nexport default async () => 'default';\n");
    const byDefault = await module('default.mjs', "export default async () => 'default';\n");
    const nested = await module('nested.mjs', "export default { createDriver: async () => 'nested' };\n");
    expect(await markerOf(await resolveDriverFactory('./named.mjs', dir))).toBe('named');
    expect(await markerOf(await resolveDriverFactory(byDefault, '/'))).toBe('default');
    expect(await markerOf(await resolveDriverFactory(pathToFileURL(nested).href))).toBe('nested');
    expect(named).toContain(dir);
  });

  it('refuses a module whose exports hold no factory', async () => {
    await module('object-default.mjs', 'export default { createDriver: 42 };\n');
    await module('nothing.mjs', 'export const createDriver = "not a function";\n');
    for (const spec of ['./object-default.mjs', './nothing.mjs']) {
      const err = await refusal(spec);
      expect(err.code).toBe('DRIVER_NOT_FOUND');
      expect(err.message).toContain('neither createDriver nor a default driver factory');
    }
  });

  it('a module that fails while loading says it cannot be imported, with the first line of why', async () => {
    await module('broken.mjs', "import 'gitty-dependency-nobody-has';\nexport const createDriver = async () => 'x';\n");
    const err = await refusal('./broken.mjs');
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toContain('cannot import it (');
    expect(err.message).toContain('gitty-dependency-nobody-has');
    expect(err.message).not.toContain('\n');
  });

  it('an installed package whose own dependency is missing is not reported as "not installed"', async () => {
    const app = path.join(dir, 'app');
    const pkg = path.join(app, 'node_modules', 'gitty-driver-half-installed');
    await mkdir(pkg, { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'gitty-driver-half-installed', type: 'module', main: 'index.js' }));
    await writeFile(path.join(pkg, 'index.js'), "import 'gitty-inner-dependency-missing';\nexport const createDriver = async () => 'x';\n");
    const err = await refusal('gitty-driver-half-installed', app);
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toContain('cannot import it');
    expect(err.message).not.toContain('npm install gitty-driver-half-installed');
    const missing = await refusal('gitty-driver-not-installed-at-all', app);
    expect(missing.message).toContain('no package "gitty-driver-not-installed-at-all" is installed: npm install gitty-driver-not-installed-at-all');
  });

  it('a name that is neither built in, a module specifier nor a package name lists the built-ins', async () => {
    for (const name of ['no such driver', '-dash', '']) {
      const err = await refusal(name);
      expect(err.code).toBe('DRIVER_NOT_FOUND');
      expect(err.message).toContain(`not a built-in driver (${Object.keys(BUILTIN_DRIVERS).join(', ')}) nor a module specifier`);
    }
  });

  it('the memory driver is always registered', async () => {
    expect(await resolveDriverFactory('memory')).toBeTypeOf('function');
  });
});

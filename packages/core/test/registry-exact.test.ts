import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_DRIVERS, createMemoryDriver, defaultDriverContext, registerDriver, resolveDriverFactory, type DriverFactory } from '@gitty/core';

let dir: string;
/** An empty folder: nothing resolves from it. */
let empty: string;
const savedScript = process.argv[1];

async function write(file: string, source: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, source);
  return file;
}

/** An installed ESM package `name` under `app/node_modules` whose index.js is `source`. */
async function installPackage(app: string, name: string, source: string): Promise<void> {
  const pkg = path.join(app, 'node_modules', name);
  await write(path.join(pkg, 'package.json'), JSON.stringify({ name, type: 'module', main: 'index.js' }));
  await write(path.join(pkg, 'index.js'), source);
}

async function markerOf(factory: DriverFactory): Promise<unknown> {
  return (factory as unknown as (o: object, c: unknown) => Promise<unknown>)({}, defaultDriverContext());
}

async function refusal(driver: string, from: string | undefined = empty): Promise<Error & { code?: string; driver?: string }> {
  try {
    await resolveDriverFactory(driver, from);
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error(`resolveDriverFactory accepted ${driver}`);
}

const NAMES = 'memory, files, packs, sqlite, redis';
const notInstalled = (name: string) => `Driver "${name}" not found: not a built-in driver (${NAMES}), and no package "${name}" is installed: npm install ${name}`;
const neither = (name: string) => `Driver "${name}" not found: not a built-in driver (${NAMES}) nor a module specifier such as "./my-driver.js", "my-package" or "@scope/my-package"`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-registry-exact-'));
  empty = path.join(dir, 'empty');
  await mkdir(empty);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.argv[1] = savedScript!;
});

describe('resolveDriverFactory: exact answers', () => {
  it('the built-in names and their packages', () => {
    expect(BUILTIN_DRIVERS).toEqual({
      memory: '@gitty/core', files: '@gitty/driver-files', packs: '@gitty/driver-packs', sqlite: '@gitty/driver-sqlite', redis: '@gitty/driver-redis',
    });
  });

  it('memory is the memory driver\'s factory; a registered factory is found by its name', async () => {
    expect(await resolveDriverFactory('memory')).toBe(createMemoryDriver);
    const mine = (async () => 'mine') as unknown as DriverFactory;
    registerDriver('gitty-exact-registered', mine);
    expect(await resolveDriverFactory('gitty-exact-registered', empty)).toBe(mine);
  });

  it('a module without a factory: the exact message, naming the specifier', async () => {
    await write(path.join(dir, 'nothing.mjs'), 'export const createDriver = "not a function";\nexport const other = 1;\n');
    const err = await refusal('./nothing.mjs', dir);
    expect(err.code).toBe('DRIVER_NOT_FOUND');
    expect(err.message).toBe('Driver "./nothing.mjs" not found: the module exports neither createDriver nor a default driver factory');
  });

  it('a createDriver that is not a function gives way to a default function', async () => {
    await write(path.join(dir, 'fallback.mjs'), "export const createDriver = 1;\nexport default async () => 'default';\n");
    expect(await markerOf(await resolveDriverFactory('./fallback.mjs', dir))).toBe('default');
  });

  it('names that are neither a module specifier nor a package name: the exact message', async () => {
    for (const name of ['', ' ', 'no such driver', 'x y', '-dash', '_under', 'x!', 'x\n']) {
      const err = await refusal(name);
      expect(err.code, JSON.stringify(name)).toBe('DRIVER_NOT_FOUND');
      expect(err.message, JSON.stringify(name)).toBe(neither(name));
      expect(err.cause).toBeUndefined();
    }
  });

  it('each of . / @ : \\ makes a name a module specifier, imported rather than refused', async () => {
    for (const name of ['-x/y', '-x@y', '-x:y', '-x\\y']) {
      const err = await refusal(name);
      expect(err.code, name).toBe('DRIVER_NOT_FOUND');
      expect(err.message, name).toBe(`Driver "${name}" not found: cannot import it (Cannot find module '${name}')`);
      expect((err.cause as { code?: string }).code, name).toBe('MODULE_NOT_FOUND');
    }
    const dot = await refusal('.x');
    expect(dot.message).toMatch(new RegExp(`^Driver "\\.x" not found: cannot import it \\(Cannot find module '${escape(path.join(empty, '.x'))}'[^\\n]*\\)$`));
  });

  it('valid package names that are not installed say how to install them, with the resolution error as cause', async () => {
    for (const name of ['gitty-exact-nope', '9lives-nope', '~tilde-nope', 'x_9~y-nope', 'UPPER-nope']) {
      const err = await refusal(name);
      expect(err.code, name).toBe('DRIVER_NOT_FOUND');
      expect(err.message, name).toBe(notInstalled(name));
      const cause = err.cause as Error & { code?: string };
      expect(cause.code, name).toBe('MODULE_NOT_FOUND');
      expect(cause.message, name).toContain(`Cannot find module '${name}'`);
      expect(cause.message, name).toContain(path.join(empty, 'noop.js'));
    }
  });

  it('a relative path resolves against resolveFrom, an absolute path as it is', async () => {
    const file = await write(path.join(dir, 'sub', 'relative.mjs'), "export const createDriver = async () => 'relative';\n");
    expect(await markerOf(await resolveDriverFactory('./relative.mjs', path.join(dir, 'sub')))).toBe('relative');
    expect(await markerOf(await resolveDriverFactory(file, empty))).toBe('relative');
  });

  it('without resolveFrom, relative paths resolve against the working directory', async () => {
    await write(path.join(dir, 'cwd-relative.mjs'), "export const createDriver = async () => 'cwd';\n");
    const spec = `./${path.relative(process.cwd(), path.join(dir, 'cwd-relative.mjs'))}`;
    expect(await markerOf(await resolveDriverFactory(spec))).toBe('cwd');
  });

  it('a missing relative file is imported as a path: the message names the absolute file', async () => {
    const err = await refusal('./gone.mjs');
    expect(err.message).toMatch(new RegExp(`^Driver "\\./gone\\.mjs" not found: cannot import it \\(Cannot find module '${escape(path.join(empty, 'gone.mjs'))}'[^\\n]*\\)$`));
    expect((err.cause as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('an installed package is imported from resolveFrom\'s node_modules', async () => {
    const app = path.join(dir, 'app-ok');
    await installPackage(app, 'gitty-exact-driver-ok', "export default { createDriver: async () => 'package' };\n");
    expect(await markerOf(await resolveDriverFactory('gitty-exact-driver-ok', app))).toBe('package');
  });

  it('the main script\'s folder is tried after resolveFrom', async () => {
    const scriptDir = path.join(dir, 'script');
    const app = path.join(dir, 'app-first');
    await installPackage(scriptDir, 'gitty-exact-driver-script', "export const createDriver = async () => 'script';\n");
    await installPackage(scriptDir, 'gitty-exact-driver-both', "export const createDriver = async () => 'script';\n");
    await installPackage(app, 'gitty-exact-driver-both', "export const createDriver = async () => 'app';\n");
    process.argv[1] = path.join(scriptDir, 'main.js');
    expect(await markerOf(await resolveDriverFactory('gitty-exact-driver-script', empty))).toBe('script');
    expect(await markerOf(await resolveDriverFactory('gitty-exact-driver-both', app))).toBe('app');
    // Installed beside the script but broken there: "cannot import", not "not installed",
    // although resolveFrom has no such package.
    await installPackage(scriptDir, 'gitty-exact-driver-broken', "import 'gitty-exact-dependency-missing';\nexport const createDriver = async () => 'x';\n");
    const err = await refusal('gitty-exact-driver-broken');
    expect(err.message).toBe('Driver "gitty-exact-driver-broken" not found: cannot import it (Cannot find module \'gitty-exact-driver-broken\')');
    expect((err.cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('a built-in name prefers the package installed where resolveFrom points', async () => {
    // Only the first place tried is pinned: the later ones (the main script's folder, then core's
    // own static import()) resolve through NODE_PATH and the install layout, which differ
    // between a pnpm run, the mutation sandbox and an application.
    const app = path.join(dir, 'app-builtin');
    await installPackage(app, '@gitty/driver-files', "export const createDriver = async () => 'app files';\n");
    await installPackage(app, '@gitty/driver-packs', "export default async () => 'app packs';\n");
    expect(await markerOf(await resolveDriverFactory('files', app))).toBe('app files');
    expect(await markerOf(await resolveDriverFactory('packs', app))).toBe('app packs');
  });

  it('a built-in name no place can import: install the package, with the application\'s failure as cause', async () => {
    // A broken copy where resolveFrom points (found before NODE_PATH's copies) and no main
    // script; core itself does not depend on the driver packages, so its own import() fails
    // too (registry-builtins.test.ts mocks the case where it succeeds).
    process.argv[1] = undefined as unknown as string;
    const app = path.join(dir, 'app-broken-builtins');
    for (const name of ['sqlite', 'redis']) {
      await installPackage(app, `@gitty/driver-${name}`, `throw new Error('broken copy of ${name}');\n`);
      const err = await refusal(name, app);
      expect(err.code, name).toBe('DRIVER_NOT_FOUND');
      expect(err.message).toBe(`Driver "${name}" not found: install @gitty/driver-${name} (npm install @gitty/driver-${name}) in your application`);
      expect((err.cause as Error).message).toBe(`broken copy of ${name}`);
    }
  });

  it('without a main script only resolveFrom is tried', async () => {
    process.argv[1] = undefined as unknown as string;
    const err = await refusal('gitty-exact-nope-either');
    expect(err.message).toBe(notInstalled('gitty-exact-nope-either'));
  });

  it('a module that throws something other than an Error cannot be imported, for no reason it can name', async () => {
    await write(path.join(dir, 'throws-string.mjs'), "throw 'oops';\n");
    const err = await refusal('./throws-string.mjs', dir);
    expect(err.message).toBe('Driver "./throws-string.mjs" not found: cannot import it (cannot be imported)');
    expect(err.cause).toBe('oops');
  });

  it('only the first line of the import error is the reason', async () => {
    await write(path.join(dir, 'throws-lines.mjs'), "throw new Error('first line\\nsecond line');\n");
    const err = await refusal('./throws-lines.mjs', dir);
    expect(err.message).toBe('Driver "./throws-lines.mjs" not found: cannot import it (first line)');
    expect((err.cause as Error).message).toBe('first line\nsecond line');
  });

  it('an installed package that throws a "not found" object (not an Error) naming itself is not "not installed"', async () => {
    const app = path.join(dir, 'app-object');
    await installPackage(app, 'gitty-exact-throws-object', "throw { code: 'MODULE_NOT_FOUND', message: \"Cannot find module 'gitty-exact-throws-object'\" };\n");
    const err = await refusal('gitty-exact-throws-object', app);
    expect(err.message).toBe('Driver "gitty-exact-throws-object" not found: cannot import it (cannot be imported)');
  });

  it('an installed package that throws null cannot be imported, for no reason it can name', async () => {
    const app = path.join(dir, 'app-null');
    await installPackage(app, 'gitty-exact-throws-null', 'throw null;\n');
    const err = await refusal('gitty-exact-throws-null', app);
    expect(err.message).toBe('Driver "gitty-exact-throws-null" not found: cannot import it (cannot be imported)');
    expect(err.cause).toBe(null);
  });

  it('an Error naming the package but without a "not found" code is not "not installed"', async () => {
    const app = path.join(dir, 'app-named');
    await installPackage(app, 'gitty-exact-named', "throw new Error(\"Cannot find module 'gitty-exact-named'\");\n");
    const err = await refusal('gitty-exact-named', app);
    expect(err.message).toBe('Driver "gitty-exact-named" not found: cannot import it (Cannot find module \'gitty-exact-named\')');
  });

  it('an ESM "cannot find package" error naming the package itself counts as not installed', async () => {
    const app = path.join(dir, 'app-esm');
    await installPackage(
      app,
      'gitty-exact-esm-missing',
      "throw Object.assign(new Error(\"Cannot find package 'gitty-exact-esm-missing' imported from x\"), { code: 'ERR_MODULE_NOT_FOUND' });\n",
    );
    const err = await refusal('gitty-exact-esm-missing', app);
    expect(err.message).toBe(notInstalled('gitty-exact-esm-missing'));
  });
});

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DriverFactory } from './driver.js';
import { DriverNotFoundError } from './errors.js';
import { createDriver as createMemoryDriver } from './memory-driver.js';

/** Built-in driver names and their packages. */
export const BUILTIN_DRIVERS = {
  memory: '@gitty/core',
  files: '@gitty/driver-files',
  packs: '@gitty/driver-packs',
  sqlite: '@gitty/driver-sqlite',
  redis: '@gitty/driver-redis',
} as const;

export type BuiltinDriverName = keyof typeof BUILTIN_DRIVERS;

const registered = new Map<string, DriverFactory>([['memory', createMemoryDriver]]);

/** Register a factory under a name, e.g. to make a bundled driver available without module resolution. */
export function registerDriver(name: string, factory: DriverFactory): void {
  registered.set(name, factory);
}

// Static import() strings so bundlers can see the built-ins; each may fail where the package
// is not installed, or not resolvable from core's own location (pnpm's strict layout).
const builtinImports: Record<Exclude<BuiltinDriverName, 'memory'>, () => Promise<unknown>> = {
  files: () => import('@gitty/driver-files' as string),
  packs: () => import('@gitty/driver-packs' as string),
  sqlite: () => import('@gitty/driver-sqlite' as string),
  redis: () => import('@gitty/driver-redis' as string),
};

function factoryOf(module: unknown, spec: string): DriverFactory {
  const m = module as { createDriver?: unknown; default?: unknown };
  const candidate = typeof m.createDriver === 'function'
    ? m.createDriver
    : typeof m.default === 'function'
      ? m.default
      : typeof (m.default as { createDriver?: unknown } | undefined)?.createDriver === 'function'
        ? (m.default as { createDriver: unknown }).createDriver
        : undefined;
  if (typeof candidate !== 'function') {
    throw new DriverNotFoundError(spec, 'the module exports neither createDriver nor a default driver factory');
  }
  return candidate as DriverFactory;
}

/** A path (`./x.js`, `/abs`, `C:\\x`), URL (`file:`) or scoped package (`@scope/x`). */
function isModuleSpecifier(name: string): boolean {
  return /[./@:\\]/.test(name);
}

/** An unscoped npm package name (`gitty-driver-jsonfile`), optionally with a subpath. */
function isPackageName(name: string): boolean {
  return /^[a-z0-9~][a-z0-9._~-]*(\/[^/].*)?$/i.test(name);
}

/** True when `err` says that `spec` itself (not something it imports) could not be found. */
function isMissingModule(err: unknown, spec: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && err instanceof Error && err.message.includes(`'${spec}'`);
}

async function importFrom(spec: string, base: string): Promise<unknown> {
  if (spec.startsWith('file:')) return import(spec);
  if (spec.startsWith('.') || path.isAbsolute(spec)) {
    return import(pathToFileURL(path.resolve(base, spec)).href);
  }
  // Resolve a package as the application sees it (its node_modules), not as core does.
  const require = createRequire(path.join(base, 'noop.js'));
  return import(pathToFileURL(require.resolve(spec)).href);
}

/**
 * Find the factory for a driver name or module specifier. Built-in names are tried through
 * the registry, then a static import, then resolution from `resolveFrom` (default: the
 * working directory) and the main script's folder.
 */
export async function resolveDriverFactory(driver: string, resolveFrom?: string): Promise<DriverFactory> {
  const known = registered.get(driver);
  if (known) return known;
  const bases = [resolveFrom ?? process.cwd()];
  if (process.argv[1]) bases.push(path.dirname(path.resolve(process.argv[1])));

  if (driver in builtinImports) {
    const name = driver as keyof typeof builtinImports;
    const spec = BUILTIN_DRIVERS[name];
    const errors: unknown[] = [];
    for (const base of bases) {
      try {
        return factoryOf(await importFrom(spec, base), spec);
      } catch (err) {
        errors.push(err);
      }
    }
    try {
      return factoryOf(await builtinImports[name](), spec);
    } catch (err) {
      errors.push(err);
    }
    throw new DriverNotFoundError(driver, `install ${spec} (npm install ${spec}) in your application`, {
      cause: errors[0],
    });
  }

  const names = Object.keys(BUILTIN_DRIVERS).join(', ');
  if (!isModuleSpecifier(driver) && !isPackageName(driver)) {
    throw new DriverNotFoundError(driver, `not a built-in driver (${names}) nor a module specifier such as "./my-driver.js", "my-package" or "@scope/my-package"`);
  }
  const errors: unknown[] = [];
  for (const base of bases) {
    try {
      return factoryOf(await importFrom(driver, base), driver);
    } catch (err) {
      if (err instanceof DriverNotFoundError) throw err;
      errors.push(err);
    }
  }
  if (!isModuleSpecifier(driver) && errors.every((err) => isMissingModule(err, driver))) {
    throw new DriverNotFoundError(driver, `not a built-in driver (${names}), and no package "${driver}" is installed: npm install ${driver}`, { cause: errors[0] });
  }
  const reason = errors[0] instanceof Error ? errors[0].message.split('\n')[0] : 'cannot be imported';
  throw new DriverNotFoundError(driver, `cannot import it (${reason})`, { cause: errors[0] });
}

import { DriverNotFoundError, registerDriver, type DriverFactory } from '@gitty/core';

/**
 * A factory that imports its driver package only when a store is opened with it, so that
 * `gitty get` on a files store never loads SQLite or Redis clients. The import is resolved
 * from this package (its own dependencies), never from the working directory.
 */
function lazyFactory(pkg: string, load: () => Promise<unknown>): DriverFactory {
  return async (options, context) => {
    let module: { createDriver?: unknown; default?: unknown };
    try {
      module = (await load()) as typeof module;
    } catch (err) {
      throw new DriverNotFoundError(pkg, `cannot load ${pkg}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    const factory = typeof module.createDriver === 'function' ? module.createDriver : module.default;
    if (typeof factory !== 'function') throw new DriverNotFoundError(pkg, `${pkg} does not export createDriver yet`);
    return (factory as DriverFactory)(options, context);
  };
}

let registered = false;

/** Register the built-in drivers with the core's registry (idempotent). */
export function registerBuiltinDrivers(): void {
  if (registered) return;
  registered = true;
  registerDriver('files', lazyFactory('@gitty/driver-files', () => import('@gitty/driver-files')));
  registerDriver('packs', lazyFactory('@gitty/driver-packs', () => import('@gitty/driver-packs')));
  registerDriver('sqlite', lazyFactory('@gitty/driver-sqlite', () => import('@gitty/driver-sqlite')));
  registerDriver('redis', lazyFactory('@gitty/driver-redis', () => import('@gitty/driver-redis')));
}

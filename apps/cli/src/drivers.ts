import { DriverNotFoundError, registerDriver, type DriverFactory } from '@gitty/core';
import { installHint, isMissingPackage } from './optional-package.js';

/**
 * A factory that imports its driver package only when a store is opened with it, so that
 * `gitty get` on a files store never loads SQLite or Redis clients. The import is resolved
 * from this package (its own dependencies), never from the working directory.
 */
function lazyFactory(pkg: string, load: () => Promise<unknown>, pathOptions: readonly string[]): DriverFactory {
  const factory: DriverFactory = async (options, context) => {
    let module: { createDriver?: unknown; default?: unknown };
    try {
      module = (await load()) as typeof module;
    } catch (err) {
      // sqlite and redis are optional peer dependencies of the CLI: say what to install.
      if (isMissingPackage(err, pkg)) throw new DriverNotFoundError(pkg, `${pkg} is not installed: ${installHint(pkg)}`, { cause: err });
      throw new DriverNotFoundError(pkg, `cannot load ${pkg}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    const create = typeof module.createDriver === 'function' ? module.createDriver : module.default;
    if (typeof create !== 'function') throw new DriverNotFoundError(pkg, `${pkg} does not export createDriver yet`);
    return (create as DriverFactory)(options, context);
  };
  // Declared here as the packages declare them, since the core sees this factory, not theirs.
  factory.pathOptions = pathOptions;
  return factory;
}

let registered = false;

/** Register the built-in drivers with the core's registry (idempotent). */
export function registerBuiltinDrivers(): void {
  if (registered) return;
  registered = true;
  registerDriver('files', lazyFactory('@gitty/driver-files', () => import('@gitty/driver-files'), ['dir']));
  registerDriver('packs', lazyFactory('@gitty/driver-packs', () => import('@gitty/driver-packs'), ['dir']));
  registerDriver('sqlite', lazyFactory('@gitty/driver-sqlite', () => import('@gitty/driver-sqlite'), ['dir']));
  registerDriver('redis', lazyFactory('@gitty/driver-redis', () => import('@gitty/driver-redis'), ['stateDir']));
}

import { registerDriver, type DriverFactory } from '@gitty/core';

// Static import() strings (so bundlers see them), each guarded: a driver package that is not
// installed leaves that driver to the core's own resolution, which names what to install.
const BUILTINS: Record<string, () => Promise<unknown>> = {
  files: () => import('@gitty/driver-files' as string),
  packs: () => import('@gitty/driver-packs' as string),
  sqlite: () => import('@gitty/driver-sqlite' as string),
  redis: () => import('@gitty/driver-redis' as string),
};

let registered: Promise<string[]> | undefined;

/**
 * Register the built-in drivers this app depends on with the core's registry, so that a config
 * naming `files`, `packs`, `sqlite` or `redis` resolves from the server's own dependencies
 * (pnpm's strict layout keeps them out of the core's reach). Returns the names registered.
 * Runs once per process.
 */
export function registerBuiltinDrivers(): Promise<string[]> {
  registered ??= (async () => {
    const names: string[] = [];
    for (const [name, load] of Object.entries(BUILTINS)) {
      try {
        const module = (await load()) as { createDriver?: DriverFactory };
        if (typeof module.createDriver === 'function') {
          registerDriver(name, module.createDriver);
          names.push(name);
        }
      } catch {
        // Not installed or not built: the core's resolver reports it if a config asks for it.
      }
    }
    return names;
  })();
  return registered;
}

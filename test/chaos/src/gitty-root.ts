import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Core = typeof import('@gitty/core');

/** This checkout's root: the default code under test. */
export const THIS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const DRIVER_PACKAGES = { files: 'driver-files', packs: 'driver-packs', sqlite: 'driver-sqlite', redis: 'driver-redis' } as const;

/**
 * Load `@gitty/core` and the drivers from the TypeScript sources of a checkout at `root` (this
 * one by default, or e.g. a worktree of an older commit), so a campaign can run against any
 * version of the code. Each driver is registered under its built-in name, so configs (and the
 * redis driver's `inner`) resolve to that checkout's drivers only.
 */
export async function loadGitty(root: string): Promise<Core> {
  const source = (pkg: string) => pathToFileURL(path.join(root, 'packages', pkg, 'src', 'index.ts')).href;
  const core = (await import(source('core'))) as Core;
  for (const [name, pkg] of Object.entries(DRIVER_PACKAGES)) {
    const module = (await import(source(pkg))) as { createDriver: Parameters<Core['registerDriver']>[1] };
    core.registerDriver(name, module.createDriver);
  }
  return core;
}

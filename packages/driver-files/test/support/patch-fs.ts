// Wrapping one node:fs function for a test, named ESM imports included (syncBuiltinESMExports),
// so a module under test meets the failure or race the test stages.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/** How to undo the patches in place, newest last; a test may undo the newest itself. */
export const restores: (() => void)[] = [];

/** Replace `fs[name]` with `make(original)` until undone. */
export function patch<K extends keyof typeof fs>(name: K, make: (original: (typeof fs)[K]) => (typeof fs)[K]): void {
  const original = fs[name];
  (fs as Record<string, unknown>)[name] = make(original);
  syncBuiltinESMExports();
  restores.push(() => {
    (fs as Record<string, unknown>)[name] = original;
    syncBuiltinESMExports();
  });
}

/** Undo every patch still in place, newest first (for afterEach). */
export function undoPatches(): void {
  while (restores.length > 0) restores.pop()!();
}

/**
 * Push "FileHandle.sync" to `events` on every FileHandle flush until undone (FileHandle's
 * prototype is not exported, so it is taken from a handle opened on `dir`).
 */
export async function recordHandleSyncs(dir: string, events: string[]): Promise<void> {
  const probe = await fs.promises.open(dir, 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const original = proto.sync;
  proto.sync = function (this: unknown) {
    events.push('FileHandle.sync');
    return original.call(this);
  };
  restores.push(() => {
    proto.sync = original;
  });
}

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Record every path the process opens, reads or lists through node:fs (callback, sync and
 * promise forms), including through the ESM named imports drivers use (synced with
 * `syncBuiltinESMExports`). `stop()` restores the originals.
 */
export function spyOnFileAccess(): { paths: string[]; stop: () => void } {
  const paths: string[] = [];
  const restore: Array<() => void> = [];
  const wrap = (target: Record<string, unknown>, key: string) => {
    const original = target[key] as AnyFn;
    target[key] = function (this: unknown, path: unknown, ...rest: unknown[]) {
      paths.push(String(path));
      return original.call(this, path, ...rest);
    };
    restore.push(() => (target[key] = original));
  };
  const promises = fs.promises as unknown as Record<string, unknown>;
  for (const key of ['open', 'readFile', 'readdir', 'opendir']) wrap(promises, key);
  const sync = fs as unknown as Record<string, unknown>;
  for (const key of ['open', 'openSync', 'readFile', 'readFileSync', 'readdir', 'readdirSync', 'createReadStream', 'opendirSync']) wrap(sync, key);
  syncBuiltinESMExports();
  return {
    paths,
    stop: () => {
      for (const undo of restore) undo();
      syncBuiltinESMExports();
    },
  };
}

// Head logs written line by line for the compaction tests (exact and mutants), handed to
// HeadLogCompaction as `{ file, withLock }` over a real FileLock: only compaction is under test.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileLock, type HeadLog } from '@gitty/driver-files';

/** A 40-hex hash of `n`, zero-padded. */
export const h = (n: number): string => n.toString(16).padStart(40, '0');
/** One head log line moving `name` from `old` to `next`. */
export const line = (name: string, old: string | null, next: string | null) => `${JSON.stringify({ name, old, new: next })}\n`;
export const EPOCH_LINE = `${JSON.stringify({ epoch: 'e0', created: 1 })}\n`;
/** The length of one line of `logIn` (82 bytes). */
export const LINE = line('a', h(1), h(2)).length;
/** The epoch on the first line of the log at `file`. */
export const epochOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as { epoch: string }).epoch;

/** A log at `dir`/head of `count` changes of head `a`, as `{ file, withLock }`. */
export function logIn(dir: string, count: number): { dir: string; file: string; log: HeadLog } {
  const file = path.join(dir, 'head');
  let text = EPOCH_LINE;
  for (let n = 1; n <= count; n++) text += line('a', n === 1 ? null : h(n - 1), h(n));
  writeFileSync(file, text);
  const lock = new FileLock(file);
  const log = { file, withLock: <T>(work: () => Promise<T>) => lock.withLock(work) } as unknown as HeadLog;
  return { dir, file, log };
}

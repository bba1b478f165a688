import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import type { HeadChange } from '@gitty/core';
import { HeadLog, type HeadLogPosition } from '@gitty/driver-files';

/** A writer that took the log's lock over (children/log-thief.ts). */
export const thief = fileURLToPath(new URL('./children/log-thief.ts', import.meta.url));

/** A fake commit hash numbered `n`. */
export const h = (n: number): string => n.toString(16).padStart(40, '0');

/** Run a TypeScript child to completion, synchronously (from inside a hook), and parse its one line of JSON. */
export function runChild<T>(script: string, args: string[]): T {
  const result = spawnSync(process.execPath, tsNodeArgs(script, args), { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`child failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as T;
}

/** The heads the log holds, as any reader replays them. */
export async function logHeads(file: string): Promise<Record<string, string>> {
  const read = (await new HeadLog(file, { durability: 'none' }).readFrom())!;
  const result: Record<string, string> = {};
  for (const change of read.events) {
    if (change.new === null) delete result[change.name];
    else result[change.name] = change.new;
  }
  return result;
}

/** A head log in a temp folder holding `changes` (one append each), passed with the place after them. */
export async function withHeadLog(prefix: string, changes: HeadChange[][], use: (log: HeadLog, file: string, at: HeadLogPosition) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir(prefix);
  const file = path.join(dir, 'ref', 'head');
  const log = new HeadLog(file, { durability: 'none' });
  try {
    let at = await log.withLock(() => log.create([]));
    for (const batch of changes) at = await log.withLock(() => log.append(at, batch));
    await use(log, file, at);
  } finally {
    log.close();
    await remove();
  }
}

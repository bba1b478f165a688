// What the real-SWISH test files share: opening a SWISH-format store, reading SWISH's dump, and a
// SWISH process that keeps running.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, Store } from '@gitty/core';
import { createDriver } from '@gitty/driver-files';
import type { DumpedFile } from '@gitty/driver-test/swish';

/** A SWISH-format files store on `dir` (durability none). */
export async function openSwish(dir: string, options: Record<string, unknown> = {}): Promise<Store> {
  const context = defaultDriverContext();
  return new Store(await createDriver({ dir, durability: 'none', format: 'swish', ...options }, context), context);
}

// A dumped version's metadata: SWISH's dump adds `text` and, on the head, `symbolic: "HEAD"`.
export function dumpedMeta(version: DumpedFile['history'][number]): Record<string, unknown> {
  const { text: _t, symbolic: _s, ...meta } = version;
  return meta;
}

/** The file `name` of a SWISH dump (throws when the dump lacks it). */
export function fileOf(dump: DumpedFile[], name: string): DumpedFile {
  const file = dump.find((f) => f.name === name);
  if (!file) throw new Error(`SWISH's dump lacks ${name}`);
  return file;
}

/** A SWISH process that keeps running, as a SWISH server does (test/fixtures/swish/running-swish.pl). */
export function startRunningSwish(bin: string, dir: string): { ask: (command: string) => Promise<Record<string, unknown>>; stop: () => Promise<void> } {
  const lib = path.join(path.dirname(bin), 'lib', 'gitty');
  const script = fileURLToPath(new URL('../fixtures/swish/running-swish.pl', import.meta.url));
  const child = spawn('swipl', ['-g', `use_module('${lib}')`, script, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return {
    ask: (command) => new Promise((resolve, reject) => {
      waiting.push((line) => {
        const reply = JSON.parse(line) as Record<string, unknown>;
        if (reply.error !== undefined) reject(new Error(`running SWISH: ${command}: ${String(reply.error)}`));
        else resolve(reply);
      });
      child.stdin!.write(`${command}\n`);
    }),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.on('exit', () => resolve());
      child.stdin!.end();
    }),
  };
}


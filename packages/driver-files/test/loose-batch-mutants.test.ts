// Mutant-killing tests of loose-batch.ts (s5-fb2 survivors): a batch with durability 'none' runs
// no `sync -f` however many files it wrote, and off Linux the batch never runs `sync -f` but
// flushes file by file. The batch binds execFile and fsync when it loads (promisify), so both
// are recorded by mocks, as in loose-batch-exact.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashObject } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjectBatch } from '../src/loose-batch.js';
import { batchIn } from './support/loose-batch.js';

const rec = vi.hoisted(() => ({ events: [] as string[], fdPaths: new Map<number, string>() }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const { openNotingPaths } = await import('./support/fd-paths.js');
  return {
    ...real,
    open: openNotingPaths(real.open, rec.fdPaths),
    fsync: (fd: number, callback: (e: Error | null) => void) =>
      real.fsync(fd, (e) => {
        if (!e) rec.events.push(`fsync ${rec.fdPaths.get(fd) ?? `fd:${fd}`}`);
        callback(e);
      }),
  };
});

vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:child_process')>();
  return {
    ...real,
    // A `sync -f` that always works: only whether it is run is in question here.
    execFile: (command: string, args: string[], _options: unknown, callback: (e: Error | null, stdout: string, stderr: string) => void) => {
      rec.events.push(`exec ${command} ${args.join(' ')}`);
      setImmediate(() => callback(null, '', ''));
    },
  };
});

const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  Object.defineProperty(process, 'platform', platform);
  rec.events.length = 0;
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function batchOf(durability: 'fsync' | 'none') {
  const { dir, remove } = await tempDir('gitty-batch-mutants-');
  cleanups.push(remove);
  return batchIn(dir, durability);
}

/** Adds `count` new objects: 64 is where a flushing batch would switch to one `sync -f`. */
async function addAll(batch: LooseObjectBatch, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const data = new TextEncoder().encode(`m${i}`);
    await batch.add(hashObject('blob', data), 'blob', data);
  }
}

describe('LooseObjectBatch.commit', () => {
  it('with durability none, 64 new files still run no `sync -f` (nothing is flushed at all)', async () => {
    const { batch } = await batchOf('none');
    await addAll(batch, 64);
    rec.events.length = 0;
    expect(await batch.commit()).toEqual({ objects: 64 });
    expect(rec.events).toEqual([]);
  });

  it('off Linux, 64 new files are flushed file by file, with no `sync -f` (syncfs is Linux only)', async () => {
    Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
    const { batch } = await batchOf('fsync');
    await addAll(batch, 64);
    rec.events.length = 0;
    expect(await batch.commit()).toEqual({ objects: 64 });
    expect(rec.events.filter((e) => e.startsWith('exec'))).toEqual([]);
    expect(rec.events.filter((e) => e.startsWith('fsync '))).toHaveLength(64);
  });

  it('on Linux (the same 64 files) it is one `sync -f` of the objects folder instead', async () => {
    Object.defineProperty(process, 'platform', { ...platform, value: 'linux' });
    const { root, batch } = await batchOf('fsync');
    await addAll(batch, 64);
    rec.events.length = 0;
    expect(await batch.commit()).toEqual({ objects: 64 });
    expect(rec.events).toEqual([`exec sync -f ${root}`]);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '@gitty/core';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { retiredLogFile } from '@gitty/driver-files';
import { CommandChild } from './command-child.js';
import { openFiles } from './support.js';

const crasher = fileURLToPath(new URL('./children/compact-crasher.ts', import.meta.url));
const STEPS = ['afterScan', 'afterSnapshot', 'afterStage', 'afterTailCopy', 'afterSync', 'afterLink', 'afterRename'] as const;

function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!;
  } catch {
    return 'gone';
  }
}

/** What a compaction may leave behind and must not outlive the next write and gc. */
const leftover = (name: string) => name.startsWith('.tmp-') || name.endsWith('.lock') || name.endsWith('.compacting') || name.includes('.vetoed-');

const epochOf = async (dir: string) => (JSON.parse((await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n')[0]!) as { epoch: string }).epoch;

/** Every head, and every commit of every head's history. */
async function contents(store: Store): Promise<{ heads: Record<string, string>; commits: Set<string> }> {
  const heads: Record<string, string> = {};
  const commits = new Set<string>();
  for await (const { name, head } of store.driver.heads()) {
    heads[name] = head;
    for await (const commit of store.walk(head)) commits.add(commit.commit);
  }
  return { heads, commits };
}

/** Kill the child (continuing it if it is stopped, so it dies), close the stores, remove the folder. */
async function cleanUp(child: CommandChild, stores: Store[], remove: () => Promise<void>): Promise<void> {
  child.kill();
  if (processState(child.process.pid!) === 'T') child.process.kill('SIGCONT');
  for (const store of stores) await store.close();
  await remove();
}

async function crashAt(step: (typeof STEPS)[number]): Promise<void> {
  const { dir, remove } = await tempDir(`gitty-compact-kill-${step}-`);
  const observer = await openStore(await openFiles(dir, { pollInterval: 0, watchLog: false, compactAt: false }));
  const writer = await openStore(await openFiles(dir, { durability: 'fsync', compactAt: false }));
  const child = new CommandChild(crasher, [dir, step]);
  try {
    const acknowledged = new Map<string, string>();
    const write = async (name: string, text: string) => {
      const head = acknowledged.get(name);
      const commit = head ? await writer.update(name, text, { previous: head }) : await writer.create(name, text);
      acknowledged.set(name, commit.commit);
      return commit.commit;
    };
    const all: string[] = [];
    for (let i = 0; i < 30; i++) all.push(await write(`f${i % 6}.txt`, `before ${i}`));
    await observer.driver.watch!(() => undefined);
    const epoch = await epochOf(dir);
    expect(await child.next()).toBe('ready');
    const inLock = step !== 'afterScan' && step !== 'afterSnapshot';
    if (inLock) {
      expect(await child.next()).toBe('stopped');
      await waitFor(() => processState(child.process.pid!) === 'T', 30_000);
      // Written while the compaction runs (after its scan): only the tail copy brings them over.
      for (let i = 0; i < 5; i++) all.push(await write(`f${i}.txt`, `during ${i}`));
      all.push(await write('new.txt', 'created during'));
      child.process.kill('SIGCONT');
    }
    expect(await child.exit()).toBe(-1);

    // The reader that was open all along, and a fresh open, see exactly what was acknowledged.
    await observer.rescan();
    const fresh = await openStore(await openFiles(dir, { compactAt: false, lockTimeout: 5000 }));
    try {
      for (const store of [observer, fresh]) {
        const seen = await contents(store);
        expect(seen.heads).toEqual(Object.fromEntries(acknowledged));
        for (const commit of all) expect(seen.commits.has(commit)).toBe(true);
      }
      expect((await fresh.fsck()).errors).toEqual([]);
      // The old log stays until the rename; from the rename on the new one is in place.
      if (step === 'afterRename') {
        expect(await epochOf(dir)).not.toBe(epoch);
        expect((await readFile(retiredLogFile(path.join(dir, 'ref', 'head'), epoch))).length).toBeGreaterThan(0);
      } else {
        expect(await epochOf(dir)).toBe(epoch);
      }
      // The dead holder's locks are taken over at once: writing and compacting work.
      await write('f0.txt', 'after the crash');
      await fresh.gc();
      expect((await readdir(path.join(dir, 'ref'))).filter(leftover)).toEqual([]);
      await observer.rescan();
      await write('f1.txt', 'after gc');
      await observer.rescan();
      for (const store of [observer, fresh]) {
        await store.rescan();
        expect((await contents(store)).heads).toEqual(Object.fromEntries(acknowledged));
      }
      const lines = (await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n').filter(Boolean);
      expect(lines.length).toBe(1 + acknowledged.size + 1); // header, one line per head, the write after gc
    } finally {
      await fresh.close();
    }
  } finally {
    await cleanUp(child, [observer, writer], remove);
  }
}

describe('SIGKILL at each step of a compaction', () => {
  it.each(STEPS)('%s: the store opens clean and nothing acknowledged is lost', async (step) => {
    await crashAt(step);
  }, 90_000);
});

/**
 * The compactor stalls (SIGSTOP) at a step for longer than lockStale; a writer in another
 * process takes the lock over and writes, acknowledged; then the compactor goes on. Between
 * the tail copy and the rename the writer's line is only in the old log: the rename must not
 * drop it (the writer vetoes the switch). Before and after those steps the switch goes through.
 */
async function stallAt(step: (typeof STEPS)[number]): Promise<void> {
  const { dir, remove } = await tempDir(`gitty-compact-stall-${step}-`);
  const writer = await openStore(await openFiles(dir, { durability: 'fsync', compactAt: false, lockStale: 2000, lockTimeout: 20_000 }));
  const observer = await openStore(await openFiles(dir, { pollInterval: 0, watchLog: false, compactAt: false }));
  const child = new CommandChild(crasher, [dir, step, 'stall']);
  try {
    const acknowledged = new Map<string, string>();
    const all: string[] = [];
    const write = async (name: string, text: string) => {
      const head = acknowledged.get(name);
      const commit = head ? await writer.update(name, text, { previous: head }) : await writer.create(name, text);
      acknowledged.set(name, commit.commit);
      all.push(commit.commit);
    };
    for (let i = 0; i < 30; i++) await write(`f${i % 6}.txt`, `before ${i}`);
    await observer.driver.watch!(() => undefined);
    const epoch = await epochOf(dir);
    expect(await child.next()).toBe('ready');
    expect(await child.next()).toBe('stopped');
    await waitFor(() => processState(child.process.pid!) === 'T', 30_000);
    // The first of these waits for the stalled holder's lock to go stale, then takes it over.
    for (let i = 0; i < 5; i++) await write(`f${i}.txt`, `during the stall ${i}`);
    await write('new.txt', 'created during the stall');
    child.process.kill('SIGCONT');
    const vetoable = step === 'afterStage' || step === 'afterTailCopy' || step === 'afterSync' || step === 'afterLink';
    const outcome = await child.next();
    expect(await child.exit()).toBe(0);

    await observer.rescan();
    const fresh = await openStore(await openFiles(dir, { compactAt: false }));
    try {
      for (const store of [observer, fresh, writer]) {
        await store.rescan();
        const seen = await contents(store);
        expect(seen.heads).toEqual(Object.fromEntries(acknowledged));
        for (const commit of all) expect(seen.commits.has(commit)).toBe(true);
      }
      expect((await fresh.fsck()).errors).toEqual([]);
      expect(outcome).toBe(vetoable ? 'survived gave up' : 'survived switched');
      expect(await epochOf(dir) === epoch).toBe(vetoable);
      await fresh.gc();
      await write('f0.txt', 'after gc');
      await observer.rescan();
      expect((await contents(observer)).heads).toEqual(Object.fromEntries(acknowledged));
      // (The writer may keep its lock across a burst: only the compaction's leftovers count.)
      expect((await readdir(path.join(dir, 'ref'))).filter((n) => leftover(n) && !n.endsWith('.lock'))).toEqual([]);
    } finally {
      await fresh.close();
    }
  } finally {
    await cleanUp(child, [observer, writer], remove);
  }
}

describe('SIGSTOP past lockStale at each step of a compaction, a writer taking its lock over', () => {
  it.each(STEPS)('%s: every acknowledged write survives the compaction going on', async (step) => {
    await stallAt(step);
  }, 90_000);
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { openStore, type Store } from '@gitty/core';
import { spawnTs, tempDir, waitFor } from '@gitty/driver-test/harness';
import { openFiles } from './support.js';

const stalledWriter = fileURLToPath(new URL('./children/stalled-writer.ts', import.meta.url));

/** The child's stdout lines: `next(...prefixes)` resolves the first line starting with one of them. */
function linesOf(child: ChildProcess): { next: (...prefixes: string[]) => Promise<string> } {
  const seen: string[] = [];
  const waiters: { prefixes: string[]; resolve: (line: string) => void }[] = [];
  let stderr = '';
  let exited = false;
  const fits = (line: string, prefixes: string[]) => prefixes.some((p) => line.startsWith(p));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(line);
    for (const w of [...waiters]) {
      if (!fits(line, w.prefixes)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  child.once('exit', () => (exited = true));
  return {
    next: async (...prefixes) => {
      const found = seen.find((l) => fits(l, prefixes));
      if (found) return found;
      return new Promise((resolve, reject) => {
        waiters.push({ prefixes, resolve });
        const fail = () => setTimeout(() => reject(new Error(`child exited before "${prefixes.join('|')}": ${stderr}`)), 200);
        if (exited) fail();
        else child.once('exit', fail);
      });
    },
  };
}

/** The process state letter from /proc (T: stopped). */
function state(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!;
  } catch {
    return 'gone';
  }
}

/** Every successor of `head` in the log as replayed, and the final head of `name`. */
async function replayed(dir: string, name: string): Promise<string[]> {
  const lines = (await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n').slice(1).filter(Boolean);
  return lines.map((l) => { try { return JSON.parse(l) as { name: string; old: string | null; new: string | null }; } catch { return undefined; } })
    .filter((e) => e?.name === name).map((e) => `${e!.old?.slice(0, 8)}->${e!.new?.slice(0, 8)}`);
}

async function stalledRace(point: 'beforeCheck' | 'beforeWrite'): Promise<void> {
  const { dir, remove } = await tempDir('gitty-stall-');
  let parent: Store | undefined;
  const child = spawnTs(stalledWriter, [dir, 'race.txt', point, 'SIGSTOP'], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    const seed = await openStore(await openFiles(dir));
    const base = await seed.create('race.txt', 'base\n');
    await seed.close();
    const out = linesOf(child);
    expect(await out.next('ready')).toBe(`ready ${base.commit}`);
    child.stdin!.write('go\n');
    // The child stops itself inside the lock, at `point`.
    await waitFor(() => state(child.pid!) === 'T', 60_000);

    // Another writer waits for the lock to go stale (no refresh while stopped) and wins.
    parent = await openStore(await openFiles(dir, { lockStale: 2000, lockTimeout: 60_000, pollInterval: 0 }));
    const winner = await parent.update('race.txt', 'written by the parent\n', { previous: base.commit });

    child.kill('SIGCONT');
    const result = await out.next('ok', 'error');
    // The stalled child must not also be acknowledged from the same head.
    expect(result).toBe('error NOT_AT_HEAD');

    const fresh = await openStore(await openFiles(dir));
    try {
      expect(await fresh.head('race.txt')).toBe(winner.commit);
      const history: string[] = [];
      for await (const c of fresh.walk(winner.commit)) history.push(c.commit);
      expect(history).toEqual([winner.commit, base.commit]);
      expect((await fresh.fsck()).errors).toEqual([]);
    } finally {
      await fresh.close();
    }
    await parent.rescan();
    expect(await parent.head('race.txt')).toBe(winner.commit);
    // Whatever the child's line did in the log, replay makes the parent's change the only one in force.
    expect((await replayed(dir, 'race.txt'))[1]).toBe(`${base.commit.slice(0, 8)}->${winner.commit.slice(0, 8)}`);
  } finally {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await parent?.close();
    await remove();
  }
}

describe('a lock holder that stalls past lockStale (SIGSTOP) and then resumes', () => {
  it('is not acknowledged when it stalled before checking the log end', async () => {
    await stalledRace('beforeCheck');
  }, 120_000);

  it('is not acknowledged when it stalled between checking the log end and writing its line', async () => {
    await stalledRace('beforeWrite');
  }, 120_000);
});

describe('a lock holder that died (SIGKILL) on this host', () => {
  it('is taken over at once, not after lockStale', async () => {
    const { dir, remove } = await tempDir('gitty-dead-');
    const child = spawnTs(stalledWriter, [dir, 'dead.txt', 'beforeCheck', 'SIGKILL'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let parent: Store | undefined;
    try {
      const seed = await openStore(await openFiles(dir));
      const base = await seed.create('dead.txt', 'base\n');
      await seed.close();
      const out = linesOf(child);
      await out.next('ready');
      const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      child.stdin!.write('go\n');
      expect(await exited).toBe('SIGKILL');
      // The dead child's lock folder is still there.
      expect(readFileSync(path.join(dir, 'ref', 'head.lock', 'owner'), 'utf8')).toContain(`"pid":${child.pid}`);

      // lockStale is a minute: only the dead-holder check can let this through in time.
      parent = await openStore(await openFiles(dir, { lockStale: 60_000, lockTimeout: 20_000 }));
      const started = Date.now();
      const next = await parent.update('dead.txt', 'after the crash\n', { previous: base.commit });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await parent.head('dead.txt')).toBe(next.commit);
    } finally {
      child.kill('SIGKILL');
      await parent?.close();
      await remove();
    }
  }, 60_000);
});

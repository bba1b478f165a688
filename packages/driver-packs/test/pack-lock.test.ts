import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTs, tempDir, tsNodeArgs, waitFor } from '@gitty/driver-test/harness';
import { packLockHooks, withPackLock } from '../src/pack-lock.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const holderScript = path.join(here, 'children', 'lock-holder.ts');
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  for (const c of cleanups.splice(0)) await c();
});

/** A child's stdout lines so far, and a promise of its exit. */
function watch(child: ChildProcess): { lines: string[]; exited: Promise<void> } {
  children.push(child);
  const lines: string[] = [];
  let buffer = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  return { lines, exited: new Promise((r) => child.once('exit', () => r())) };
}

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-packs-lock-');
  cleanups.push(remove);
  return path.join(dir, 'pack');
}

describe('the pack lock', () => {
  it('two waiters that both judged a dead owner\'s lock stale do not both take it', async () => {
    const dir = await folder();
    // A lock left by a process that died on this host.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    await mkdir(path.join(dir, 'pack.lock'), { recursive: true });
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNs = readlinkSync('/proc/self/ns/pid');
    await writeFile(path.join(dir, 'pack.lock', 'owner'), JSON.stringify({ host: os.hostname(), boot, pidNs, pid: dead.pid, token: 'dead' }));
    // The first waiter pauses right after judging the lock stale, until the second broke it and holds it.
    let secondHolds!: () => void;
    const held = new Promise<void>((r) => (secondHolds = r));
    let judged = 0;
    packLockHooks.afterJudgedStale = async () => {
      if (judged++ === 0) await held;
    };
    cleanups.push(async () => {
      packLockHooks.afterJudgedStale = undefined;
    });
    let inside = 0;
    let most = 0;
    const enter = async () => {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 300));
      inside--;
    };
    const first = withPackLock(dir, enter);
    await waitFor(() => judged === 1);
    const second = withPackLock(dir, async () => {
      secondHolds();
      await enter();
    });
    await Promise.all([first, second]);
    expect(most).toBe(1);
  });

  it('a holder stopped past the stale time loses the lock, and its release then leaves the new holder\'s lock alone', async () => {
    const dir = await folder();
    const holder = spawnTs(holderScript, [dir, '1000']);
    const a = watch(holder);
    await waitFor(() => a.lines.includes('locked'), 30_000);
    holder.kill('SIGSTOP');
    let releaseB!: () => void;
    const bHolds = new Promise<void>((r) => (releaseB = r));
    let bInside = false;
    const b = withPackLock(dir, async () => {
      bInside = true;
      await bHolds;
    }, { staleMs: 1000 });
    await waitFor(() => bInside, 20_000);
    holder.kill('SIGCONT');
    await writeFile(path.join(dir, 'release'), '');
    await a.exited;
    // B still holds the lock: nobody else may take it.
    await expect(withPackLock(dir, async () => 'C got in', { waitMs: 800, staleMs: 60_000 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
    releaseB();
    await b;
    expect(await withPackLock(dir, async () => 'free again', { waitMs: 5000 })).toBe('free again');
  });

  it('a process in another pid namespace of the same host does not take a live holder\'s lock for dead', async () => {
    const dir = await folder();
    await withPackLock(dir, async () => {
      // This process's pid does not exist inside a fresh pid namespace.
      const unshare = process.getuid?.() === 0 ? ['--pid', '--fork'] : ['--user', '--map-root-user', '--pid', '--fork'];
      const child = spawn('unshare', [...unshare, process.execPath, ...tsNodeArgs(holderScript, [dir, '30000', 'wait'])], { stdio: ['ignore', 'pipe', 'pipe'] });
      const c = watch(child);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await c.exited;
      expect(c.lines, err).toEqual(['LOCK_TIMEOUT']);
    });
  });

  it('a live holder on another host whose clock runs two minutes behind keeps its lock', async () => {
    const dir = await folder();
    const lockPath = path.join(dir, 'pack.lock');
    await mkdir(lockPath, { recursive: true });
    await writeFile(path.join(lockPath, 'owner'), JSON.stringify({ host: 'another-host', pid: 4242, token: 'remote' }));
    // The remote holder touches its lock as it should, with its own (slow) clock.
    const touch = async () => {
      const behind = new Date(Date.now() - 120_000);
      await utimes(lockPath, behind, behind).catch(() => undefined);
    };
    await touch();
    const refresher = setInterval(() => void touch(), 100);
    cleanups.push(async () => clearInterval(refresher));
    await expect(withPackLock(dir, async () => 'taken', { waitMs: 1500 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
  });
});

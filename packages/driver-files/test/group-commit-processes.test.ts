import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openStore } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { openFiles } from './support.js';

const child = fileURLToPath(new URL('./children/group-writers.ts', import.meta.url));
/** Kill rounds (default 2: seconds on an idle machine; GROUP_CRASH_ROUNDS=20 for a long run). */
const CRASH_ROUNDS = Number(process.env.GROUP_CRASH_ROUNDS ?? 2);

interface Ack {
  name: string;
  commit: string;
  previous: string | null;
}

interface Writers {
  process: ChildProcess;
  acks: Ack[];
  /** Resolves after "finished" and a clean exit; rejects when the process fails. */
  finished: Promise<void>;
  /** Resolves when `count` acknowledgements have arrived. */
  acked(count: number): Promise<void>;
  /** Resolves when the process is gone (by any signal). */
  exited: Promise<void>;
}

function startWriters(dir: string, id: number, writers: number, ops: number, mode: 'own' | 'shared', names = 4): Writers {
  const proc = spawnTs(child, [dir, String(id), String(writers), String(ops), mode, String(names)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Ack[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let stderr = '';
  let finishedLine = false;
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line === 'finished') {
      finishedLine = true;
      return;
    }
    if (!line.startsWith('{"name"')) return;
    acks.push(JSON.parse(line) as Ack);
    for (const w of waiters.filter((x) => acks.length >= x.count)) w.resolve();
  });
  const exitCode = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const finished = exitCode.then((code) => {
    if (code !== 0 || !finishedLine) throw new Error(`group writers ${id} exited ${String(code)}: ${stderr}`);
  });
  finished.catch(() => undefined); // a killed process is no failure unless someone waits for it to finish
  return {
    process: proc,
    acks,
    finished,
    acked: (count) => new Promise<void>((resolve, reject) => {
      if (acks.length >= count) resolve();
      else waiters.push({ count, resolve });
      void exitCode.then((code) => {
        if (acks.length < count) reject(new Error(`group writers ${id} exited ${String(code)} before ${count} acknowledgements: ${stderr}`));
      });
    }),
    exited: exitCode.then(() => undefined),
  };
}

/** Every acknowledged commit is in its name's history, exactly once; every head's objects exist; fsck is clean. Returns the heads. */
async function checkStore(dir: string, acks: readonly Ack[]): Promise<void> {
  const driver = await openFiles(dir);
  const store = await openStore(driver);
  try {
    const seen = new Map<string, number>();
    for await (const { name, head } of driver.heads()) {
      for await (const commit of store.walk(head)) {
        expect(commit.name).toBe(name);
        expect(await driver.hasObject(commit.data)).toBe(true);
        seen.set(commit.commit, (seen.get(commit.commit) ?? 0) + 1);
      }
    }
    const lost = acks.filter((a) => seen.get(a.commit) !== 1);
    expect(lost, 'acknowledged commits missing from their file\'s history').toEqual([]);
    const report = await store.fsck();
    expect(report.errors).toEqual([]);
  } finally {
    await store.close();
  }
}

describe('group commit across processes', () => {
  it('SIGKILL mid-group-commit (32 writers in one process): every acknowledged version survives, no head names a missing object, fsck is clean', async () => {
    const { dir, remove } = await tempDir('gitty-group-crash-');
    try {
      const acknowledged: Ack[] = [];
      let seed = 17;
      // The next process starts (tsx start-up) while the previous one is checked; it waits for
      // the lock while a killed holder's lock is taken over.
      let next = startWriters(dir, 0, 32, 0, 'own');
      for (let round = 0; round < CRASH_ROUNDS; round++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const writers = next;
        // Killed at a random moment once its 32 writers are all busy: it always has flushes in flight.
        await writers.acked(40 + (seed % 40));
        writers.process.kill('SIGKILL');
        await writers.exited;
        if (round + 1 < CRASH_ROUNDS) next = startWriters(dir, round + 1, 32, 0, 'own');
        expect(writers.process.signalCode).toBe('SIGKILL');
        acknowledged.push(...writers.acks);
        await checkStore(dir, acknowledged);
      }
    } finally {
      await remove();
    }
  }, 120_000);

  it('two processes × 16 writers on the same four names: CAS holds (one line of history per name), nothing acknowledged is lost', async () => {
    const { dir, remove } = await tempDir('gitty-group-mp-');
    try {
      const ops = Number(process.env.GROUP_MP_OPS ?? 6);
      const processes = [0, 1].map((id) => startWriters(dir, id, 16, ops, 'shared', 4));
      await Promise.all(processes.map((p) => p.finished));
      const acks = processes.flatMap((p) => p.acks);
      expect(acks).toHaveLength(2 * 16 * ops);
      // CAS: no two acknowledged changes replaced the same head of a name.
      const replaced = new Set<string>();
      for (const ack of acks) {
        const key = `${ack.name} ${ack.previous ?? 'none'}`;
        expect(replaced.has(key), `two acknowledged changes from ${key}`).toBe(false);
        replaced.add(key);
      }
      await checkStore(dir, acks);
    } finally {
      await remove();
    }
  }, 120_000);
});

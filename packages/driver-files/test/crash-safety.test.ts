import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, openStore } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { createDriver, TEMP_PREFIX } from '@gitty/driver-files';

const writer = fileURLToPath(new URL('./children/crash-writer.ts', import.meta.url));
/**
 * Kill rounds, each at a new seeded-random moment of a later write (0-150 ms after the first
 * acknowledged one). 12 keep a CI run to seconds; GITTY_CRASH_ROUNDS=50 or more hunts longer.
 */
const ROUNDS = Number(process.env.GITTY_CRASH_ROUNDS ?? 12);

interface Writer {
  child: ChildProcess;
  /** Tell it to open the store and write; SIGKILL it `afterMs` after its first acknowledged write. Resolves with the commits it acknowledged. */
  runAndKill(afterMs: number): Promise<{ name: string; commit: string }[]>;
}

function startWriter(dir: string, round: number): Writer {
  const child = spawnTs(writer, [dir, String(round)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const done: { name: string; commit: string }[] = [];
  let stderr = '';
  let killAfter = 0;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [word, name, commit] = line.split(' ');
    if (word === 'done' && name && commit) {
      // The clock starts at the first acknowledged write, so every round (however loaded the
      // machine) has something to lose and is then killed at a random point of a later write.
      if (done.length === 0) setTimeout(() => child.kill('SIGKILL'), killAfter);
      done.push({ name, commit });
    }
  });
  const exited = new Promise<{ name: string; commit: string }[]>((resolve, reject) => {
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(done) : reject(new Error(`writer ended without SIGKILL: ${stderr}`))));
  });
  return {
    child,
    runAndKill(afterMs) {
      killAfter = afterMs;
      child.stdin!.write('go\n');
      return exited;
    },
  };
}

async function tempFiles(dir: string): Promise<number> {
  let count = 0;
  for (const folder of await readdir(path.join(dir, 'objects'))) {
    for (const file of await readdir(path.join(dir, 'objects', folder)).catch(() => [])) if (file.startsWith(TEMP_PREFIX)) count++;
  }
  return count;
}

describe('crash safety', () => {
  it(`after ${ROUNDS} SIGKILLs at random moments a fresh open sees a consistent store with every acknowledged commit`, async () => {
    const { dir, remove } = await tempDir('gitty-crash-');
    // Writers are started a few rounds ahead: their tsx start-up overlaps the earlier rounds.
    const AHEAD = 3;
    const waiting = Array.from({ length: AHEAD }, (_, round) => startWriter(dir, round));
    try {
      const acknowledged: { name: string; commit: string }[] = [];
      let seed = 42;
      for (let round = 0; round < ROUNDS; round++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const acked = await waiting.shift()!.runAndKill(seed % 150);
        acknowledged.push(...acked);
        if (round + AHEAD < ROUNDS) waiting.push(startWriter(dir, round + AHEAD));
        const store = await openStore(await createDriver({ dir, durability: 'none' }, defaultDriverContext()));
        try {
          const report = await store.fsck();
          expect(report.errors).toEqual([]);
          for (const { name, commit } of acked) {
            const history = [];
            for await (const c of store.walk(name)) history.push(c.commit);
            expect(history).toContain(commit);
          }
        } finally {
          await store.close();
        }
      }
      expect(acknowledged.length).toBeGreaterThanOrEqual(ROUNDS);
      // Every acknowledged commit survived all the crashes; temp files left by killed writers
      // are never listed as objects, and prune sweeps them (their writers are gone).
      const store = await openStore(await createDriver({ dir, durability: 'none' }, defaultDriverContext()));
      try {
        for (const { commit } of acknowledged) expect(await store.has(commit)).toBe(true);
        for await (const hash of store.driver.objects()) expect(hash).toMatch(/^[0-9a-f]{40}$/);
        await store.driver.prune!();
        expect(await tempFiles(dir)).toBe(0);
        expect((await store.fsck()).ok).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      for (const { child } of waiting) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await remove();
    }
  }, 240_000);
});

import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import type { FilesDriver } from '@gitty/driver-files';
import { journalFiles } from './journal-support.js';
import { openFiles } from './support.js';

// The object journal across processes: a version another process acknowledged is readable here
// at once, while it is still only in that process's journal; and two journaling processes
// updating the same names by CAS lose nothing and leave only loose objects once closed.

const liveWriter = fileURLToPath(new URL('./children/journal-live-writer.ts', import.meta.url));
const casWriters = fileURLToPath(new URL('./children/journal-cas-writers.ts', import.meta.url));

/** Versions per writer in the live-read test (JOURNAL_MP_OPS=200 for a long run). */
const LIVE_OPS = Number(process.env.JOURNAL_MP_OPS ?? 40);
/** Updates per writer in the CAS test. */
const CAS_OPS = Number(process.env.JOURNAL_MP_OPS ?? 6);

function looseFile(dir: string, hash: string): string {
  return path.join(dir, 'objects', hash.slice(0, 2), hash.slice(2));
}

/** Lines of a child as they come; resolves `exited` with its exit code, rejecting with stderr on failure. */
function follow(child: ChildProcess, onLine: (line: string) => void): { exited: Promise<void> } {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', onLine);
  const exited = new Promise<void>((resolve, reject) => {
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`child exited ${String(code ?? signal)}: ${stderr}`))));
  });
  exited.catch(() => undefined);
  return { exited };
}

/** After every writer closed: no journal left, every object a loose file, fsck clean. */
async function checkSealed(dir: string): Promise<{ driver: FilesDriver; store: Store }> {
  expect(journalFiles(dir), 'journal files left after every writer closed').toEqual([]);
  const driver = await openFiles(dir);
  const store = await openStore(driver);
  for await (const hash of driver.objects()) expect(existsSync(looseFile(dir, hash)), `${hash} is a loose file`).toBe(true);
  const report = await store.fsck();
  expect(report.errors).toEqual([]);
  return { driver, store };
}

describe('object journal across processes', () => {
  for (const durability of ['fsync', 'none'] as const) {
    it(`durability ${durability}: every version the writer acknowledges is readable at once by another process, from its live journal`, async () => {
      const { dir, remove } = await tempDir('gitty-journal-live-');
      const writers = 4;
      const child = spawnTs(liveWriter, [dir, durability, String(writers), String(LIVE_OPS)], { stdio: ['pipe', 'pipe', 'pipe'] });
      const reader = await openStore(await openFiles(dir));
      try {
        const acks: { name: string; commit: string; data: string }[] = [];
        let fromJournal = 0;
        // Each acknowledgement is checked as it arrives, one after the other; the writer keeps
        // its journal until told to close, so every read below happens while it is live.
        let checks: Promise<void> = Promise.resolve();
        let finished!: () => void;
        let failed!: (err: unknown) => void;
        const allChecked = new Promise<void>((resolve, reject) => {
          finished = resolve;
          failed = reject;
        });
        const { exited } = follow(child, (line) => {
          if (line === 'finished') {
            checks = checks.then(() => finished());
            return;
          }
          if (!line.startsWith('{')) return;
          const ack = JSON.parse(line) as { name: string; commit: string; data: string };
          acks.push(ack);
          checks = checks.then(async () => {
            if (!existsSync(looseFile(dir, ack.commit))) fromJournal++;
            // No retry, no wait: the object must be found on the first lookup.
            const version = await reader.get(ack.commit);
            expect(version.text).toBe(ack.data);
            expect(version.commit.name).toBe(ack.name);
            // Only the head needs a refresh; it may already be a later version of the name.
            await reader.rescan();
            let found = false;
            for await (const c of reader.walk((await reader.head(ack.name))!)) {
              if (c.commit === ack.commit) {
                found = true;
                break;
              }
            }
            expect(found, `${ack.commit} in the history of ${ack.name}`).toBe(true);
          }).catch((err: unknown) => {
            failed(err);
            checks = new Promise(() => undefined);
          });
        });
        await Promise.race([allChecked, exited.then(() => { throw new Error('writer exited before finishing'); })]);
        expect(acks).toHaveLength(writers * LIVE_OPS);
        // The writer never sealed while we read: every version was read from its journal.
        expect(fromJournal).toBe(acks.length);
        expect(journalFiles(dir).length).toBeGreaterThan(0);
        child.stdin!.end('close\n');
        await exited;
        const { store } = await checkSealed(dir);
        try {
          for (const ack of acks) expect((await store.get(ack.commit)).text).toBe(ack.data);
        } finally {
          await store.close();
        }
      } finally {
        await reader.close();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await remove();
      }
    }, 60_000);
  }

  it('two journaling processes × 8 writers CAS the same four names: one line of history per name, nothing acknowledged lost, all loose after close', async () => {
    const { dir, remove } = await tempDir('gitty-journal-cas-');
    const writers = 8;
    const children = [0, 1].map((id) => spawnTs(casWriters, [dir, String(id), String(writers), String(CAS_OPS), '4']));
    try {
      const acks: { name: string; commit: string; previous: string | null }[] = [];
      await Promise.all(children.map((child) => follow(child, (line) => {
        if (line.startsWith('{')) acks.push(JSON.parse(line) as { name: string; commit: string; previous: string | null });
      }).exited));
      expect(acks).toHaveLength(2 * writers * CAS_OPS);
      // CAS: no two acknowledged changes replaced the same head of a name.
      const replaced = new Set<string>();
      for (const ack of acks) {
        const key = `${ack.name} ${ack.previous ?? 'none'}`;
        expect(replaced.has(key), `two acknowledged changes from ${key}`).toBe(false);
        replaced.add(key);
      }
      const { driver, store } = await checkSealed(dir);
      try {
        const seen = new Map<string, number>();
        for await (const { name, head } of driver.heads()) {
          for await (const commit of store.walk(head)) {
            expect(commit.name).toBe(name);
            seen.set(commit.commit, (seen.get(commit.commit) ?? 0) + 1);
          }
        }
        expect(acks.filter((a) => seen.get(a.commit) !== 1), 'acknowledged commits not exactly once in their history').toEqual([]);
        expect(seen.size).toBe(acks.length);
      } finally {
        await store.close();
      }
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await remove();
    }
  }, 90_000);
});

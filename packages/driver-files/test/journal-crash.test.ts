import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, encodeObject, openStore } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { encodeRecords } from '../src/journal-format.js';
import { journalFiles, journalRecords } from './journal-support.js';
import { openFiles } from './support.js';

// SIGKILL a process writing through the object journal at seeded-random moments, then open the
// store afresh (which seals the dead writer's journal): nothing acknowledged may be lost, and
// the seal must leave only loose objects. Some rounds first add a torn half-record, or a record
// whose CRC fails followed by garbage, to the dead journal: the seal must ignore that tail.

const writerScript = fileURLToPath(new URL('./children/journal-crash-writer.ts', import.meta.url));
/** Kill rounds per durability (default 3: one of each tail; GITTY_CRASH_ROUNDS=30 hunts longer). */
const ROUNDS = Number(process.env.GITTY_CRASH_ROUNDS ?? 3);
/** Concurrent writers in the child: one journal append and flush then covers several records. */
const WRITERS = 8;
const TAILS = ['as killed', 'torn half-record', 'bad CRC and garbage'] as const;
type Tail = (typeof TAILS)[number];

interface Ack {
  name: string;
  commit: string;
  data: string;
}

interface Writer {
  child: ChildProcess;
  /** Let it open the store and write; SIGKILL it `afterMs` after its first acknowledgement. Resolves with what it acknowledged. */
  runAndKill(afterMs: number): Promise<Ack[]>;
}

function startWriter(dir: string, durability: 'fsync' | 'none', round: number): Writer {
  const child = spawnTs(writerScript, [dir, durability, String(round), String(WRITERS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acks: Ack[] = [];
  let stderr = '';
  let killAfter = 0;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    // The clock starts at the first acknowledgement: every round has something to lose.
    if (acks.length === 0) setTimeout(() => child.kill('SIGKILL'), killAfter);
    acks.push(JSON.parse(line) as Ack);
  });
  const exited = new Promise<Ack[]>((resolve, reject) => {
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(acks) : reject(new Error(`writer ended without SIGKILL: ${stderr}`))));
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

/** An object no writer stores, as a whole journal record. */
function strayRecord(label: string): { hash: string; record: Buffer } {
  const { hash, raw } = encodeObject('blob', Buffer.from(`stray ${label} ${Math.random()}\n`.repeat(20)), defaultDriverContext().compression);
  return { hash, record: encodeRecords([{ hash, raw }]) };
}

/** Append `tail` to the dead journal; resolves the hashes of objects in it that must not be sealed. */
function damageTail(journal: string, tail: Tail, seed: number): string[] {
  if (tail === 'as killed') return [];
  if (tail === 'torn half-record') {
    const { hash, record } = strayRecord('torn');
    appendFileSync(journal, record.subarray(0, 24 + ((seed >> 3) % (record.length - 28))));
    return [hash];
  }
  // A whole record whose CRC does not check (its content still hashes right), then garbage.
  const { hash, record } = strayRecord('bad crc');
  record[record.length - 1]! ^= 0x5a;
  const garbage = Buffer.alloc(64 + (seed % 200));
  for (let i = 0; i < garbage.length; i++) garbage[i] = (seed * (i + 7) * 2654435761) >>> 24;
  appendFileSync(journal, Buffer.concat([record, garbage]));
  return [hash];
}

async function crashRounds(durability: 'fsync' | 'none', seed: number): Promise<void> {
  const { dir, remove } = await tempDir(`gitty-journal-crash-${durability}-`);
  // Writers are started ahead: their tsx start-up overlaps the checks of earlier rounds. They
  // open the store only when told to, so nobody seals a dead journal before it is damaged.
  const AHEAD = 2;
  const waiting = Array.from({ length: Math.min(AHEAD, ROUNDS) }, (_, round) => startWriter(dir, durability, round));
  const acknowledged: Ack[] = [];
  const strays: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const writer = waiting.shift()!;
      const acks = await writer.runAndKill(seed % 150);
      if (round + AHEAD < ROUNDS) waiting.push(startWriter(dir, durability, round + AHEAD));
      expect(acks.length).toBeGreaterThan(0);
      acknowledged.push(...acks);

      // Every acknowledged version's commit is a whole record of the dead writer's journal:
      // the round tested the journal, and acknowledgement came after the append.
      const dead = journalFiles(dir).filter((f) => path.basename(f).includes(`-${writer.child.pid}-`));
      expect(dead.length).toBeGreaterThan(0);
      const recorded = new Set(dead.flatMap((f) => journalRecords(f).filter((r) => r.crcOk).map((r) => r.hash)));
      expect(acks.filter((a) => !recorded.has(a.commit)), 'acknowledged commits not in the journal').toEqual([]);
      const tail = TAILS[round % TAILS.length]!;
      strays.push(...damageTail(dead[dead.length - 1]!, tail, seed));

      const driver = await openFiles(dir, { durability });
      const store = await openStore(driver);
      try {
        expect(journalFiles(dir), `journal files left after the open sealed (tail: ${tail})`).toEqual([]);
        const histories = new Map<string, Set<string>>();
        for await (const { name, head } of driver.heads()) {
          const history = new Set<string>();
          for await (const c of store.walk(head)) history.add(c.commit);
          histories.set(name, history);
        }
        for (const ack of acknowledged) {
          const version = await store.get(ack.commit);
          expect(version.text).toBe(ack.data);
          expect(version.commit.name).toBe(ack.name);
          expect(histories.get(ack.name)?.has(ack.commit), `${ack.commit} in the history of ${ack.name}`).toBe(true);
        }
        const report = await store.fsck();
        expect(report.errors).toEqual([]);
        for await (const hash of driver.objects()) {
          expect(existsSync(path.join(dir, 'objects', hash.slice(0, 2), hash.slice(2))), `${hash} is a loose file`).toBe(true);
        }
        for (const stray of strays) expect(await driver.hasObject(stray), `the damaged tail's ${stray} was sealed`).toBe(false);
        expect((await driver.stats()).journals).toBe(0);
      } finally {
        await store.close();
      }
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(ROUNDS);
  } finally {
    for (const { child } of waiting) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await remove();
  }
}

describe('object journal: SIGKILL of the writer', () => {
  for (const [durability, seed] of [['fsync', 7], ['none', 11]] as const) {
    it(`durability ${durability}: after ${ROUNDS} kills at random moments (${WRITERS} concurrent writers), the next open seals the dead journal, every acknowledged version reads back exactly, only loose objects remain, fsck is clean, a damaged tail is ignored`, async () => {
      await crashRounds(durability, seed);
    }, 120_000);
  }
});

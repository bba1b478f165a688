import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { isGittyError, type Store } from '@gitty/core';
import { startSentinelSet, tempDir, waitFor } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode } from './helpers.js';

/** Writes its own names in a loop, recording each acknowledged commit with the time it was acknowledged. */
class Burst {
  readonly acked: Array<{ name: string; commit: string; at: number }> = [];
  readonly lastOk = new Map<string, string>();
  unknown = 0;
  failed = 0;
  conflicts = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly store: Store, private readonly names: string[]) {
    this.done = this.run();
  }

  ackedAfter(time: number): number {
    return this.acked.filter((a) => a.at > time).length;
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const name = this.names[i % this.names.length]!;
      try {
        const head = await this.store.head(name);
        const c = head ? await this.store.update(name, `${name} ${i}`, { previous: head }) : await this.store.create(name, `${name} ${i}`);
        this.acked.push({ name, commit: c.commit, at: Date.now() });
        this.lastOk.set(name, c.commit);
      } catch (err) {
        if (isGittyError(err, 'NOT_AT_HEAD') || isGittyError(err, 'FILE_EXISTS')) this.conflicts++; // after an unknown outcome
        else if (!isGittyError(err, 'REDIS_UNAVAILABLE')) throw err;
        else if (/outcome/.test(err.message)) this.unknown++;
        else this.failed++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/**
 * A master, two replicas and three sentinels; two nodes write their own names in bursts; the
 * master is killed mid-burst. Checks that the writers go on after the promotion and that every
 * acknowledged update survives (on the new master and both nodes). Resolves the nodes' rollback count.
 */
export async function failoverScenario(replicaAcks: number): Promise<{ rollbacks: number }> {
  const set = await startSentinelSet({ replicas: 2 });
  const cleanups: Array<() => Promise<void>> = [set.stop];
  try {
      const storeId = 'sentinel';
      const config = async () => {
        const made = await tempDir('gitty-redis-sentinel-');
        cleanups.push(made.remove);
        return {
          sentinels: set.sentinels.map(({ host, port }) => ({ host, port })), name: set.name, storeId,
          inner: innerFor(made.dir), stateDir: made.dir, replicaAcks, replicaAckTimeoutMs: 1_000, commandTimeoutMs: 2_000, blockMs: 300,
        };
      };
      const a = await openNode(await config());
      cleanups.push(() => a.store.close());
      const b = await openNode(await config());
      cleanups.push(() => b.store.close());
      const bursts = [new Burst(a.store, ['a0.txt', 'a1.txt', 'a2.txt']), new Burst(b.store, ['b0.txt', 'b1.txt', 'b2.txt'])];
      let promoted = 0;
      try {
        await waitFor(() => bursts.every((burst) => burst.acked.length >= 15), 20_000);
        const oldPort = await set.masterPort();
        await set.servers.find((s) => s.port === oldPort)!.kill();
        promoted = await set.waitForFailover(oldPort);
        const promotedAt = Date.now();
        await waitFor(() => bursts.every((burst) => burst.ackedAfter(promotedAt) >= 15), 30_000, 50);
      } finally {
        for (const burst of bursts) await burst.stop();
      }
      const raw = new Redis(promoted);
      try {
        await a.store.rescan();
        await b.store.rescan();
        const keys = new StoreKeys('gitty', storeId);
        for (const burst of bursts) {
          for (const [name, last] of burst.lastOk) {
            const head = await a.store.head(name);
            expect(await b.store.head(name)).toBe(head);
            expect(await raw.hget(keys.heads, name)).toBe(head);
            // The newest acknowledged version is the head, or the parent of a write whose outcome was unknown.
            if (head !== last) expect((await a.store.commit(head!)).previous).toBe(last);
          }
          for (const n of [a, b]) {
            for (const name of new Set(burst.acked.map((x) => x.name))) {
              const history = new Set((await n.store.history(name, { depth: 10_000 })).history.map((c) => c.commit));
              for (const { commit } of burst.acked.filter((x) => x.name === name)) expect(history.has(commit)).toBe(true);
            }
          }
        }
      } finally {
        raw.disconnect();
      }
    const stats = [await a.store.driverStats(), await b.store.driverStats()];
    return { rollbacks: stats.reduce((sum, s) => sum + (s['redis.rollbacks'] ?? 0), 0) };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

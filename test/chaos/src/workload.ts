import type { Store } from '@gitty/core';
import { seededRandom } from '@gitty/driver-test/harness';
import { monotonicMs, type HistoryWriter, type OpKind } from './history.js';

/** What one client runs. */
export interface WorkloadSpec {
  client: number;
  /** How many times this client was (re)started: part of every op id, so ids never repeat. */
  incarnation: number;
  seed: number;
  /** The few file names every client works on (frequent conflicts). */
  names: string[];
  /** Maintenance this row's drivers support, run by a second loop of the same client. */
  maintenance: Array<'gc' | 'repack' | 'reindex' | 'rescan'>;
  /** gc's grace period: short, so gc races writers. */
  gcGraceMs: number;
  /** Milliseconds between maintenance calls. */
  maintenanceEveryMs: number;
}

const DATA_OPS: Array<[OpKind, number]> = [
  ['update', 40], ['create', 10], ['delete', 5], ['get', 20], ['history', 10], ['save-load', 10],
];

/** The error code of anything thrown: a GittyError's code, an errno code, else `ERROR`. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'ERROR';
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function weighted(random: () => number, table: Array<[OpKind, number]>): OpKind {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [op, w] of table) {
    r -= w;
    if (r < 0) return op;
  }
  return table[0]![0];
}

/**
 * A seeded random mix of operations on one store, every invocation and completion recorded.
 * Updates use the last head this client saw and, on NOT_AT_HEAD, read the head and retry.
 */
export class Workload {
  private readonly random: () => number;
  private readonly known = new Map<string, string>();
  private counter = 0;
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  /** Operations completed (any outcome). */
  completed = 0;

  constructor(
    private readonly store: Store,
    private readonly history: HistoryWriter,
    private readonly spec: WorkloadSpec,
  ) {
    this.random = seededRandom((spec.seed ^ Math.imul(spec.client + 1, 0x9e3779b1) ^ Math.imul(spec.incarnation + 1, 0x85ebca6b)) >>> 0);
  }

  /** Start the data loop and, when the row has maintenance, the maintenance loop. */
  start(): void {
    this.loops.push(this.dataLoop());
    if (this.spec.maintenance.length > 0) this.loops.push(this.maintenanceLoop());
  }

  /** Finish the operations under way, start no more. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private nextId(): string {
    return `${this.spec.client}.${this.spec.incarnation}.${this.counter++}`;
  }

  private async dataLoop(): Promise<void> {
    while (!this.stopping) {
      const op = weighted(this.random, DATA_OPS);
      const name = pick(this.random, this.spec.names);
      if (op === 'update') await this.updateWithRetry(name);
      else if (op === 'create') await this.create(name);
      else if (op === 'delete') await this.remove(name);
      else if (op === 'get') await this.get(name);
      else if (op === 'history') await this.readHistory(name);
      else await this.saveLoad();
      // Yield to the event loop so IPC and timers run between synchronous-heavy calls.
      await new Promise((r) => setImmediate(r));
    }
  }

  private async maintenanceLoop(): Promise<void> {
    while (!this.stopping) {
      await new Promise((r) => setTimeout(r, this.spec.maintenanceEveryMs * (0.5 + this.random())));
      if (this.stopping) break;
      const op = pick(this.random, this.spec.maintenance);
      await this.call(op, undefined, undefined, async () => {
        if (op === 'gc') await this.store.gc({ graceMs: this.spec.gcGraceMs });
        else if (op === 'repack') await this.store.repack();
        else if (op === 'reindex') await this.store.reindex();
        else await this.store.rescan();
        return {};
      });
    }
  }

  private data(id: string): string {
    return `${id} ${Math.floor(this.random() * 1e9).toString(36)}\n`.repeat(1 + Math.floor(this.random() * 4));
  }

  /** Record the invocation, run `body`, record the outcome; never throws. */
  private async call(
    op: OpKind,
    name: string | undefined,
    previous: string | undefined,
    body: (id: string) => Promise<{ commit?: string; previous?: string; writtenBy?: string }>,
  ): Promise<{ ok: boolean; code?: string; head?: string | null }> {
    const id = this.nextId();
    this.history.write({ type: 'invoke', id, client: this.spec.client, time: monotonicMs(), op, name, previous });
    try {
      const result = await body(id);
      this.history.write({ type: 'ok', id, time: monotonicMs(), ...result });
      return { ok: true };
    } catch (err) {
      const code = errorCode(err);
      const head = (err as { head?: unknown }).head;
      const message = err instanceof Error ? err.message.slice(0, 300) : String(err);
      this.history.write({
        type: 'fail', id, time: monotonicMs(), code, message,
        ...(typeof head === 'string' || head === null ? { head } : {}),
      });
      return { ok: false, code, head: typeof head === 'string' ? head : null };
    } finally {
      this.completed++;
    }
  }

  private async get(name: string): Promise<void> {
    const result = await this.call('get', name, undefined, async () => {
      const version = await this.store.get(name);
      const { commit, previous, op } = version.commit;
      this.known.set(name, commit);
      return { commit, ...(previous ? { previous } : {}), ...(typeof op === 'string' ? { writtenBy: op } : {}) };
    });
    if (!result.ok && result.code === 'NOT_FOUND') this.known.delete(name);
  }

  private async updateWithRetry(name: string): Promise<void> {
    for (let attempt = 0; attempt < 3 && !this.stopping; attempt++) {
      if (!this.known.has(name)) await this.get(name);
      const previous = this.known.get(name);
      if (!previous) return; // the file does not exist (or could not be read)
      const result = await this.call('update', name, previous, async (id) => {
        const commit = await this.store.update(name, this.data(id), { previous, op: id });
        this.known.set(name, commit.commit);
        return { commit: commit.commit, previous };
      });
      if (result.ok || result.code !== 'NOT_AT_HEAD') return;
      this.known.delete(name); // re-read (recording the head's own previous) before retrying
    }
  }

  private async create(name: string): Promise<void> {
    const result = await this.call('create', name, undefined, async (id) => {
      const commit = await this.store.create(name, this.data(id), { op: id });
      this.known.set(name, commit.commit);
      return { commit: commit.commit };
    });
    if (!result.ok && result.code === 'FILE_EXISTS') this.known.delete(name);
  }

  private async remove(name: string): Promise<void> {
    if (!this.known.has(name)) await this.get(name);
    const previous = this.known.get(name);
    if (!previous) return;
    const result = await this.call('delete', name, previous, async () => {
      await this.store.delete(name, { previous });
      this.known.delete(name);
      return {};
    });
    if (!result.ok) this.known.delete(name);
  }

  private async readHistory(name: string): Promise<void> {
    await this.call('history', name, undefined, async () => {
      const window = await this.store.history(name, { depth: 5 });
      for (let i = 1; i < window.history.length; i++) {
        if (window.history[i - 1]!.previous !== window.history[i]!.commit) {
          throw Object.assign(new Error(`history of ${name} is not a chain at ${window.history[i - 1]!.commit}`), { code: 'BROKEN_HISTORY' });
        }
      }
      return {};
    });
  }

  private async saveLoad(): Promise<void> {
    await this.call('save-load', undefined, undefined, async (id) => {
      const data = this.data(id);
      const hash = await this.store.save(data);
      const loaded = await this.store.load(hash);
      if (new TextDecoder().decode(loaded.data) !== data) {
        throw Object.assign(new Error(`object ${hash} loaded different bytes than saved`), { code: 'MISMATCH' });
      }
      return {};
    });
  }
}

import { closeSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The operations a client invokes. */
export type OpKind =
  | 'create' | 'update' | 'delete' | 'get' | 'history' | 'save-load'
  | 'gc' | 'repack' | 'reindex' | 'rescan';

/** An operation started: written before the call, so a kill leaves an invocation without completion. */
export interface Invoke {
  type: 'invoke';
  /** Unique operation id: `<client>.<incarnation>.<counter>`; also stored as `op` in written commits. */
  id: string;
  client: number;
  time: number;
  op: OpKind;
  name?: string;
  /** For update and delete: the head the call replaces. */
  previous?: string;
}

/** An operation finished without error. */
export interface Ok {
  type: 'ok';
  id: string;
  time: number;
  /** create/update: the new commit; get: the head read. */
  commit?: string;
  /** The previous of `commit` (as read or written). */
  previous?: string;
  /** get: the operation that wrote the commit read (its `op` meta). */
  writtenBy?: string;
}

/** An operation failed with an error: `code` is the GittyError code, or the errno code / `ERROR`. */
export interface Fail {
  type: 'fail';
  id: string;
  time: number;
  code: string;
  message: string;
  /** NOT_AT_HEAD / FILE_EXISTS: the actual head the error carried. */
  head?: string | null;
}

/**
 * Milliseconds on the system-wide monotonic clock (CLOCK_MONOTONIC): comparable across the
 * processes of one machine and untouched by the clock jumps the nemesis injects (libfaketime is
 * told not to fake the monotonic clock).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** One line of the history. */
export type HistoryEvent = Invoke | Ok | Fail;

/**
 * Appends history lines synchronously (one write per line, O_APPEND), so a process killed with
 * SIGKILL loses at most the line it was writing, never an earlier one.
 */
export class HistoryWriter {
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  write(event: HistoryEvent): void {
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * The lines of a file, read in chunks: a 30-minute run's history outgrows the longest string V8
 * can hold (about 512 MiB), so the file is never read whole.
 */
function* fileLines(file: string): Generator<string> {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 22);
    let rest = '';
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const lines = (rest + chunk.toString('utf8', 0, n)).split('\n');
      rest = lines.pop()!;
      yield* lines;
    }
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}

/** Every event of every `history-*.jsonl` file in `dir`, in time order (ties keep file order). */
export function readHistory(dir: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const file of readdirSync(dir).filter((f) => /^history-.*\.jsonl$/.test(f)).sort()) {
    for (const line of fileLines(path.join(dir, file))) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        // A line torn by SIGKILL mid-write: its operation counts as unknown.
      }
    }
  }
  const order = events.map((_, i) => i);
  order.sort((a, b) => events[a]!.time - events[b]!.time || a - b);
  return order.map((i) => events[i]!);
}

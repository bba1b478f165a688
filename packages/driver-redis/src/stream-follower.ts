import type { RedisClient } from './cas-script.js';
import { isReady } from './connection.js';
import type { StoreKeys } from './keys.js';

/** One stream entry: its id and its fields (values as bytes: inline objects are binary). */
export interface StreamEntry {
  id: string;
  fields: Map<string, Buffer>;
}

/** Raw XRANGE/XREAD entries (`[id, [field, value, …]]`) as {@link StreamEntry}s. */
export function toEntries(raw: ReadonlyArray<[Buffer, Buffer[]]>): StreamEntry[] {
  return raw.map(([id, flat]) => {
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!.toString('latin1'), flat[i + 1]!);
    return { id: id.toString(), fields };
  });
}

/** What the follower reports to. */
export interface FollowerHandlers {
  /** The id after which to read (the node's cursor). */
  cursor(): string;
  /** New entries, in stream order; awaited before the next read. */
  onEntries(entries: StreamEntry[]): Promise<void>;
  /** A read timed out with nothing new (a good moment to check the epoch). */
  onIdle(): Promise<void>;
}

const BATCH = 500;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Follows the store's stream with XREAD BLOCK on a connection of its own (a blocked connection
 * can do nothing else), handing each batch to the node in order. Survives Redis going away:
 * while the connection is down it waits, and ioredis reconnects.
 */
export class StreamFollower {
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** When Redis last answered a read (or the follower started), on the monotonic clock (performance.now). */
  lastReply = performance.now();

  constructor(
    private readonly conn: RedisClient,
    private readonly keys: StoreKeys,
    private readonly blockMs: number,
    private readonly handlers: FollowerHandlers,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop reading and close the connection (which also ends a blocked XREAD). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.conn.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!isReady(this.conn)) {
        await sleep(50);
        continue;
      }
      try {
        const reply = (await this.conn.xreadBuffer(
          'COUNT', BATCH, 'BLOCK', this.blockMs, 'STREAMS', this.keys.stream, this.handlers.cursor(),
        )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
        if (this.stopped) break;
        this.lastReply = performance.now();
        const entries = reply?.[0] ? toEntries(reply[0][1]) : [];
        if (entries.length > 0) await this.handlers.onEntries(entries);
        else await this.handlers.onIdle();
      } catch {
        if (this.stopped) break;
        await sleep(50);
      }
    }
  }
}

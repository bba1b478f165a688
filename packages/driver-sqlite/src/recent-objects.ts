import type { GitObject } from '@gitty/core';

/** Keep at most this many recently written objects. */
const MAX_ENTRIES = 256;
/** …and at most this many bytes of them. */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * Objects this process wrote a moment ago, so that indexing the head that a write just moved
 * does not read back the commit and blob it has just stored. A bounded FIFO: a miss only costs
 * a read of the object.
 */
export class RecentObjects {
  private readonly entries = new Map<string, GitObject>();
  private bytes = 0;

  remember(hash: string, type: string, data: Uint8Array): void {
    if (data.length > MAX_BYTES || this.entries.has(hash)) return;
    this.entries.set(hash, { type, data: Uint8Array.from(data) });
    this.bytes += data.length;
    while (this.entries.size > MAX_ENTRIES || this.bytes > MAX_BYTES) {
      const oldest = this.entries.keys().next().value as string;
      this.bytes -= this.entries.get(oldest)!.data.length;
      this.entries.delete(oldest);
    }
  }

  get(hash: string): GitObject | undefined {
    return this.entries.get(hash);
  }

  forget(hash: string): void {
    const found = this.entries.get(hash);
    if (!found) return;
    this.bytes -= found.data.length;
    this.entries.delete(hash);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

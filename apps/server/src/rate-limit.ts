import type { WriteRateLimit } from './options.js';

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * An in-process token bucket per client key: each write takes a token, tokens refill at
 * `rate` per second up to `burst`. Idle full buckets are forgotten so memory stays bounded
 * by the number of recently active clients.
 */
export class WriteRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    private readonly limit: WriteRateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Take a token for `client`: 0 when allowed, else the seconds to wait before retrying. */
  take(client: string): number {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(client) ?? { tokens: this.limit.burst, updated: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.updated) / 1000) * this.limit.rate);
    bucket.updated = now;
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.rate));
  }

  /** Seconds `client` must wait before a token is available, without taking one (0: available now). */
  wait(client: string): number {
    const bucket = this.buckets.get(client);
    if (!bucket) return 0;
    const tokens = Math.min(this.limit.burst, bucket.tokens + ((this.now() - bucket.updated) / 1000) * this.limit.rate);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.limit.rate));
  }

  /** How many clients are tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    const refill = (this.limit.burst / this.limit.rate) * 1000;
    for (const [client, bucket] of this.buckets) {
      if (now - bucket.updated >= refill) this.buckets.delete(client);
    }
  }
}

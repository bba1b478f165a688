import { describe, expect, it } from 'vitest';
import { WriteRateLimiter } from '../src/rate-limit.js';

// The token bucket on a clock the test moves: refill, the seconds to wait, wait() taking
// nothing, and the sweep of idle clients at its exact boundaries.

function limiter(rate: number, burst: number) {
  const clock = { now: 0 };
  return { clock, limiter: new WriteRateLimiter({ rate, burst }, () => clock.now) };
}

describe('WriteRateLimiter.take', () => {
  it('answers the whole seconds until the next token, at least 1', () => {
    const { clock, limiter: l } = limiter(0.25, 1);
    expect(l.take('a')).toBe(0);
    expect(l.take('a')).toBe(4);
    clock.now = 1000;
    // 0.25 tokens refilled, but the refused take above consumed nothing.
    expect(l.take('a')).toBe(3);
    clock.now = 3999;
    expect(l.take('a')).toBe(1);
    clock.now = 4000;
    expect(l.take('a')).toBe(0);
  });

  it('rounds a fraction of a second up, and never answers less than 1', () => {
    const { clock, limiter: l } = limiter(4, 1);
    expect(l.take('a')).toBe(0);
    clock.now = 10;
    expect(l.take('a')).toBe(1);
    const fast = limiter(1000, 1);
    expect(fast.limiter.take('a')).toBe(0);
    expect(fast.limiter.take('a')).toBe(1);
  });

  it('refills no further than the burst', () => {
    const { clock, limiter: l } = limiter(1, 2);
    l.take('a');
    clock.now = 60_000;
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 1]);
  });
});

describe('WriteRateLimiter.wait', () => {
  it('answers 0 for a client it does not know and for one with a token, and takes nothing', () => {
    const { clock, limiter: l } = limiter(0.5, 2);
    expect(l.wait('new')).toBe(0);
    expect(l.size).toBe(0);
    l.take('a');
    expect(l.wait('a')).toBe(0);
    expect(l.wait('a')).toBe(0);
    expect(l.take('a')).toBe(0);
    expect(l.wait('a')).toBe(2);
    clock.now = 1000;
    expect(l.wait('a')).toBe(1);
    clock.now = 2000;
    expect(l.wait('a')).toBe(0);
    expect(l.take('a')).toBe(0);
  });

  it('counts a refill beyond the burst as the burst', () => {
    const { clock, limiter: l } = limiter(1, 1);
    l.take('a');
    clock.now = 500_000;
    expect(l.wait('a')).toBe(0);
    expect(l.take('a')).toBe(0);
    expect(l.wait('a')).toBe(1);
  });
});

describe('WriteRateLimiter sweep', () => {
  it('sweeps at most every 10 s, and only buckets idle for a whole refill', () => {
    // burst 2 at rate 1: a bucket is full again 2 s after its last take.
    const { clock, limiter: l } = limiter(1, 2);
    clock.now = 10_000;
    l.take('old');
    clock.now = 11_000;
    l.take('recent');
    clock.now = 19_999;
    l.take('x');
    expect(l.size).toBe(3);
    clock.now = 20_000;
    l.take('y');
    // 'old' idle for exactly 10 s >= 2 s; 'recent' 9 s; 'x' 1 ms (not yet full): only x stays.
    expect(l.size).toBe(2);
    expect(l.wait('old')).toBe(0);
    clock.now = 21_999;
    l.take('z');
    expect(l.size).toBe(3);
  });

  it('keeps a bucket idle for just under a whole refill', () => {
    // burst 20 at rate 1: a bucket is full again 20 s after its last take.
    const { clock, limiter: l } = limiter(1, 20);
    clock.now = 10_000;
    l.take('a');
    clock.now = 10_001;
    l.take('b');
    clock.now = 20_000;
    l.take('c');
    expect(l.size).toBe(3);
    clock.now = 30_000;
    l.take('d');
    // a: idle exactly 20 s, swept; b: 19.999 s, kept; c: 10 s, kept.
    expect(l.size).toBe(3);
    expect(l.wait('b')).toBe(0);
    clock.now = 30_001;
    l.take('e');
    // No sweep 1 ms after the last one.
    expect(l.size).toBe(4);
  });

  it('does not sweep before the first 10 s have passed', () => {
    const { clock, limiter: l } = limiter(1, 1);
    l.take('a');
    clock.now = 9_999;
    l.take('b');
    expect(l.size).toBe(2);
  });
});

describe('WriteRateLimiter: survivors of the mutation run', () => {
  it('runs on performance.now() by default', () => {
    const limiter = new WriteRateLimiter({ rate: 1, burst: 1 });
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
  });

  it('forgets a client idle for burst / rate seconds at the next sweep', () => {
    const { clock, limiter: bucket } = limiter(4, 2); // refills in 500 ms
    clock.now = 10_000;
    bucket.take('x'); // sweeps (nothing yet), next sweep from 20 000
    clock.now = 15_000;
    bucket.take('a');
    clock.now = 20_000;
    bucket.take('b'); // x idle 10 s and a idle 5 s: both refilled long ago, both forgotten
    expect(bucket.size).toBe(1);
  });
});

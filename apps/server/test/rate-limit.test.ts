import { describe, expect, it } from 'vitest';
import { WriteRateLimiter } from '../src/rate-limit.js';

describe('WriteRateLimiter (token bucket per client)', () => {
  it('allows a burst, then one write per 1/rate seconds, per client', () => {
    let now = 0;
    const limiter = new WriteRateLimiter({ rate: 2, burst: 3 }, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([0, 0, 0, 1]);
    expect(limiter.take('b')).toBe(0);
    now += 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
    now += 10_000;
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([0, 0, 0, 1]);
  });

  it('forgets idle clients whose buckets have refilled', () => {
    let now = 0;
    const limiter = new WriteRateLimiter({ rate: 10, burst: 10 }, () => now);
    for (let i = 0; i < 100; i++) limiter.take(`client-${i}`);
    expect(limiter.size).toBe(100);
    now += 20_000;
    limiter.take('late');
    expect(limiter.size).toBe(1);
  });
});

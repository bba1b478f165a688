import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { startRedisServer } from '@gitty/driver-test/harness';
import { connectQuietly, createClient } from '../src/connection.js';
import { parseOptions } from '../src/options.js';

// connectQuietly against a real redis-server: connection errors are taken by its listener
// (ioredis prints an "Unhandled error event" for a client without one), and a client that
// ended is not connected again when the node started closing after the end.

const made: Redis[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const client of made.splice(0)) client.disconnect();
});

function make(url: string): Redis {
  const client = createClient(parseOptions({ url, inner: { driver: 'memory' } }), 'cmd') as Redis;
  made.push(client);
  return client;
}

describe('connectQuietly', () => {
  it('takes the connection errors of a Redis that is down: ioredis prints none', async () => {
    const redis = await startRedisServer();
    const port = redis.port;
    await redis.stop();
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const client = make(`redis://127.0.0.1:${port}`);
    const reconnects = new Promise<void>((resolve) => client.once('reconnecting', () => resolve()));
    await connectQuietly(client, () => false);
    await reconnects;
    expect(printed.mock.calls.filter(([first]) => String(first).includes('[ioredis]'))).toEqual([]);
  });

  it('does not connect again when the node starts closing after the client ended', async () => {
    const redis = await startRedisServer();
    try {
      let closing = false;
      const client = make(redis.url);
      await connectQuietly(client, () => closing);
      expect(client.status).toBe('ready');
      // Registered after connectQuietly's listener: its reconnect is already scheduled (200 ms).
      const ended = new Promise<void>((resolve) => client.once('end', () => {
        closing = true;
        resolve();
      }));
      client.disconnect();
      await ended;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(client.status).toBe('end');
    } finally {
      await redis.stop();
    }
  });
});

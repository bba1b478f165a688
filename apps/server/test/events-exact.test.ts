import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { startServer, type RunningServer } from '../src/index.js';
import { EventStreams, eventRoutes } from '../src/routes/events.js';

// GET /events over a real loopback socket: the exact headers and bytes of the stream (the
// greeting, each head event, keep-alive comments), CORS headers carried over the hijack, and
// what a stream holds (a store listener, a keep-alive timer, its entry in EventStreams) given
// back when the client goes away or the server shuts down.

/** EventStreams that can be awaited to become empty. */
class WatchedStreams extends EventStreams {
  private waiting: Array<() => void> = [];
  override add(end: () => void): () => void {
    const forget = super.add(end);
    return () => {
      const removed = forget();
      if (this.size === 0) for (const resolve of this.waiting.splice(0)) resolve();
      return removed;
    };
  }
  empty(): Promise<void> {
    return this.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** A stream read raw: its response, the text so far, and waiting for text or the end. */
interface RawStream {
  res: http.IncomingMessage;
  text: () => string;
  until: (predicate: (text: string) => boolean) => Promise<string>;
  ended: Promise<void>;
  destroy: () => void;
}

function openStream(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/events`, { headers }, (res) => {
      let text = '';
      let wake: (() => void) | undefined;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        wake?.();
      });
      const ended = new Promise<void>((done) => res.on('close', () => {
        wake?.();
        done();
      }));
      const until = async (predicate: (text: string) => boolean) => {
        while (!predicate(text)) {
          if (res.destroyed || res.complete) throw new Error(`stream ended with ${JSON.stringify(text)}`);
          await new Promise<void>((w) => (wake = w));
        }
        return text;
      };
      resolve({ res, text: () => text, until, ended, destroy: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

const GREETING = 'retry: 2000\n: connected\n\n';
const frame = (name: string, old: string | null, now: string | null) =>
  `event: head\ndata: ${JSON.stringify({ name, old, new: now, origin: 'local' })}\n\n`;

let store: Store | undefined;
let server: RunningServer | undefined;
let app: FastifyInstance | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  await app?.close();
  await store?.close();
  server = app = store = undefined;
});

/** A bare fastify app with just the events route, on a store whose listeners are counted. */
async function bareApp(keepAliveMs: number, onRequest?: (reply: FastifyReply) => void) {
  store = await openStore({ driver: 'memory' });
  let listeners = 0;
  const on = store.on.bind(store);
  store.on = (event, listener) => {
    listeners++;
    const off = on(event, listener);
    return () => {
      listeners--;
      off();
    };
  };
  const streams = new WatchedStreams();
  app = Fastify();
  if (onRequest) app.addHook('onRequest', async (_request, reply) => onRequest(reply));
  eventRoutes(app, store, streams, keepAliveMs);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { streams, url, listeners: () => listeners };
}

describe('GET /events', () => {
  it('answers an event stream: exact headers, the greeting, then one frame per head change', async () => {
    store = await openStore({ driver: 'memory' });
    server = await startServer({ store, port: 0, keepAliveMs: 3_600_000, webPage: false, writeRateLimit: false });
    const stream = await openStream(server.url);
    expect(stream.res.statusCode).toBe(200);
    const { date: _date, ...headers } = stream.res.headers;
    expect(headers).toEqual({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'transfer-encoding': 'chunked',
    });
    await stream.until((text) => text === GREETING);
    const v1 = (await store.create('a.txt', 'one')).commit;
    const v2 = (await store.update('a.txt', 'two', { previous: v1 })).commit;
    await store.delete('a.txt');
    const expected = GREETING + frame('a.txt', null, v1) + frame('a.txt', v1, v2) + frame('a.txt', v2, null);
    expect(await stream.until((text) => text.length >= expected.length)).toBe(expected);
    stream.destroy();
    await stream.ended;
  });

  it('ends every stream when the server shuts down, and close() then resolves', async () => {
    store = await openStore({ driver: 'memory' });
    server = await startServer({ store, port: 0, keepAliveMs: 3_600_000, webPage: false });
    const one = await openStream(server.url);
    const two = await openStream(server.url);
    await one.until((text) => text === GREETING);
    await two.until((text) => text === GREETING);
    await server.close();
    await one.ended;
    await two.ended;
    expect([one.res.complete, two.res.complete]).toEqual([true, true]);
    expect([one.text(), two.text()]).toEqual([GREETING, GREETING]);
  });

  it('carries the CORS headers set before the hijack (and only those) onto the stream', async () => {
    const { url } = await bareApp(3_600_000, (reply) => {
      reply.header('access-control-allow-origin', 'https://a.example');
      reply.header('access-control-expose-headers', 'X-Gitty-Commit');
      reply.header('vary', 'Origin');
      reply.header('x-other', 'not carried');
    });
    const stream = await openStream(url);
    const { date: _date, ...headers } = stream.res.headers;
    expect(headers).toEqual({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'transfer-encoding': 'chunked',
      'access-control-allow-origin': 'https://a.example',
      'access-control-expose-headers': 'X-Gitty-Commit',
      vary: 'Origin',
    });
    stream.destroy();
    await stream.ended;
  });

  it('sends the CORS headers of an allowed origin through the server', async () => {
    store = await openStore({ driver: 'memory' });
    server = await startServer({ store, port: 0, keepAliveMs: 3_600_000, webPage: false, corsOrigins: ['https://a.example'] });
    const stream = await openStream(server.url, { origin: 'https://a.example' });
    expect(stream.res.headers['access-control-allow-origin']).toBe('https://a.example');
    expect(stream.res.headers.vary).toBe('Origin');
    stream.destroy();
    await stream.ended;
  });

  it('sends `: keep-alive` every keepAliveMs and stops its timer when the stream ends', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { url, streams } = await bareApp(1000);
    const stream = await openStream(url);
    await stream.until((text) => text === GREETING);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    vi.advanceTimersByTime(1);
    expect(await stream.until((text) => text.length > GREETING.length)).toBe(`${GREETING}: keep-alive\n\n`);
    vi.advanceTimersByTime(2000);
    expect(await stream.until((text) => text.length >= GREETING.length + 42)).toBe(`${GREETING}${': keep-alive\n\n'.repeat(3)}`);
    stream.destroy();
    await streams.empty();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives back its listener and its entry when the client goes away', async () => {
    const { url, streams, listeners } = await bareApp(3_600_000);
    const one = await openStream(url);
    const two = await openStream(url);
    await one.until((text) => text === GREETING);
    await two.until((text) => text === GREETING);
    expect([streams.size, listeners()]).toEqual([2, 2]);
    one.destroy();
    await new Promise<void>((resolve) => {
      const check = () => (streams.size === 1 ? resolve() : setImmediate(check));
      check();
    });
    expect(listeners()).toBe(1);
    // The other stream still gets events.
    const v1 = (await store!.create('b', 'x')).commit;
    expect(await two.until((text) => text.length > GREETING.length)).toBe(GREETING + frame('b', null, v1));
    two.destroy();
    await streams.empty();
    expect(listeners()).toBe(0);
  });

  it('ends each stream once when EventStreams.endAll() ends them all', async () => {
    const { url, streams, listeners } = await bareApp(3_600_000);
    const one = await openStream(url);
    const two = await openStream(url);
    await one.until((text) => text === GREETING);
    await two.until((text) => text === GREETING);
    streams.endAll();
    await one.ended;
    await two.ended;
    expect([one.res.complete, two.res.complete, streams.size, listeners()]).toEqual([true, true, 0, 0]);
    expect([one.text(), two.text()]).toEqual([GREETING, GREETING]);
  });
});

describe('a client that stops reading', () => {
  it('is dropped once more than 1 MiB waits for it, and gets what was written before', async () => {
    let raw: http.ServerResponse | undefined;
    const { url, streams } = await bareApp(3_600_000, (reply) => {
      raw = reply.raw;
    });
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    socket.pause();
    while (streams.size === 0) await new Promise((resolve) => setImmediate(resolve));
    // Head events with long names (about 400 bytes a frame) until the server drops the stream;
    // the most it held for the client just before is over 1 MiB (and bounded here, at 8 MiB).
    let written = 0;
    let mostWaiting = 0;
    for (let i = 0; streams.size === 1 && mostWaiting <= 8 * 1024 * 1024; i++) {
      mostWaiting = Math.max(mostWaiting, raw!.writableLength);
      await store!.create(`${String(i).padStart(6, '0')}${'n'.repeat(240)}`, 'x');
      written++;
    }
    expect(streams.size).toBe(0);
    expect(mostWaiting).toBeGreaterThan(1024 * 1024);
    expect(mostWaiting).toBeLessThan(1024 * 1024 + 1024);
    // The client, reading again, gets the frames sent before the drop and then the stream's end.
    // (The connection stays open for another request: the response's last chunk is its end.)
    let text = '';
    socket.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.endsWith('\r\n0\r\n\r\n')) resolve();
      });
      socket.resume();
    });
    socket.destroy();
    const frames = text.split('event: head\n').length - 1;
    expect(frames).toBeGreaterThan(2000);
    // Every event but the one that found the buffer full.
    expect(frames).toBe(written - 1);
  });
});

describe('EventStreams', () => {
  it('counts what it holds, forgets on request and ends all at once', () => {
    const streams = new EventStreams();
    const ended: string[] = [];
    const forgetA = streams.add(() => ended.push('a'));
    streams.add(() => ended.push('b'));
    expect(streams.size).toBe(2);
    expect(forgetA()).toBe(true);
    expect(forgetA()).toBe(false);
    expect(streams.size).toBe(1);
    streams.endAll();
    expect(ended).toEqual(['b']);
  });
});

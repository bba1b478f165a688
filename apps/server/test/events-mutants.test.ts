import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { EventStreams, eventRoutes } from '../src/routes/events.js';

// Two edges of an event stream's life that a real client cannot stage on cue: the exact
// buffer bound (how much a socket takes is up to the kernel, so the byte count is set on the
// response here) and an error on the response itself.

const MIB = 1024 * 1024;

let store: Store | undefined;
let app: FastifyInstance | undefined;
let socket: net.Socket | undefined;

afterEach(async () => {
  socket?.destroy();
  await app?.close();
  await store?.close();
  socket = app = store = undefined;
});

/** The events route alone, one stream opened on it, and that stream's server-side response. */
async function openOneStream() {
  store = await openStore({ driver: 'memory' });
  const streams = new EventStreams();
  let raw: http.ServerResponse | undefined;
  app = Fastify();
  app.addHook('onRequest', async (_request, reply) => {
    raw = reply.raw;
  });
  eventRoutes(app, store, streams, 3_600_000);
  await app.listen({ port: 0, host: '127.0.0.1' });
  socket = net.connect((app.server.address() as AddressInfo).port, '127.0.0.1');
  socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  while (streams.size === 0) await new Promise((resolve) => setImmediate(resolve));
  return { streams, raw: raw! };
}

describe('an event stream', () => {
  it('is kept with exactly 1 MiB waiting and dropped with one byte more', async () => {
    const { streams, raw } = await openOneStream();
    let waiting = MIB;
    Object.defineProperty(raw, 'writableLength', { get: () => waiting, configurable: true });
    await store!.create('a', 'x');
    expect(streams.size).toBe(1);
    waiting = MIB + 1;
    await store!.create('b', 'x');
    expect(streams.size).toBe(0);
  });

  it('ends, giving back its entry, when its response reports an error', async () => {
    const { streams, raw } = await openOneStream();
    raw.emit('error', new Error('the client socket failed'));
    expect(streams.size).toBe(0);
    expect(raw.writableEnded).toBe(true);
  });
});

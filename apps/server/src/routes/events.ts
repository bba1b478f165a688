import type { FastifyInstance } from 'fastify';
import type { HeadEvent, Store } from '@gitty/core';
import { eventsSchema } from '../schemas.js';

/** Bytes a stream may have waiting for a slow client before it is dropped. */
const MAX_BUFFERED = 1024 * 1024;

/** The open event streams, so shutdown can end them (an open stream would hold `close()` for ever). */
export class EventStreams {
  private readonly open = new Set<() => void>();

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  /** End every stream now. */
  endAll(): void {
    for (const end of [...this.open]) end();
  }

  get size(): number {
    return this.open.size;
  }
}

/**
 * `GET /events`: server-sent events of head changes, local and remote (`store.on('head')`),
 * with `: keep-alive` comments so proxies and browsers keep the stream open.
 */
export function eventRoutes(app: FastifyInstance, store: Store, streams: EventStreams, keepAliveMs: number): void {
  app.get('/events', { schema: eventsSchema }, (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...corsHeadersOf(reply.getHeaders()),
    });
    res.write('retry: 2000\n: connected\n\n');
    const unsubscribe = store.on('head', (event: HeadEvent) => {
      // A client that stopped reading must not make the server buffer without bound: drop it;
      // EventSource reconnects, and a client that cares re-reads heads then.
      if (res.writableLength > MAX_BUFFERED) return end();
      const data = JSON.stringify({ name: event.name, old: event.old, new: event.new, origin: event.origin });
      res.write(`event: head\ndata: ${data}\n\n`);
    });
    const timer = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      unsubscribe();
      forget();
      if (!res.writableEnded) res.end();
    };
    const forget = streams.add(end);
    request.raw.on('close', end);
    res.on('error', end);
  });
}

/** Headers set by the CORS hook before the stream was hijacked. */
function corsHeadersOf(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith('access-control-') || key === 'vary') out[key] = String(value);
  }
  return out;
}

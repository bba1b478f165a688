import net from 'node:net';

/**
 * A TCP proxy on a free 127.0.0.1 port in front of a target, for tests that need a network
 * fault a process cannot produce by itself: a slow link, connections that drop, and links that
 * go silent without closing (a dead peer, a firewall that forgot the connection).
 */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, for Redis clients. */
  readonly url: string;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Bytes received from clients so far (to wait until a request has been sent). */
  readonly bytesUp: number;
  /** The last MiB received from clients, as latin1 text (to wait until a given request has been sent). */
  sentText(): string;
  /** Delay every chunk by `ms` in both directions (0: none); order is kept. */
  delay(ms: number): void;
  /** Close every current connection at once (both sides see a reset); new ones are accepted. */
  dropConnections(): void;
  /**
   * Go silent: bytes of current connections are discarded from now on, and new connections are
   * accepted but never reach the target; nothing is closed, so no side notices.
   * Connections silenced here stay silent after {@link heal} (their peer state is gone).
   */
  blackhole(): void;
  /**
   * Stop forwarding but keep the bytes: current connections stall (TCP backpressure) and
   * resume where they were at {@link resume} — a link that hangs and comes back.
   */
  pause(): void;
  /** Forward stalled bytes of a {@link pause} again. */
  resume(): void;
  /** New connections are forwarded again (after {@link blackhole}); also resumes a pause. */
  heal(): void;
  /** Forward new connections to another port (e.g. a restarted or promoted server). */
  retarget(port: number, host?: string): void;
  /** Close the listener and every connection. */
  stop(): Promise<void>;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket | undefined;
  silent: boolean;
  /** Chunks waiting for their delay, per direction. */
  queues: { up: Array<{ due: number; chunk: Buffer }>; down: Array<{ due: number; chunk: Buffer }> };
  timers: Set<NodeJS.Timeout>;
}

/** Start a proxy on a free loopback port forwarding to `targetPort` on `targetHost`. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let target = { host: targetHost, port: targetPort };
  let delayMs = 0;
  let holeOpen = false;
  let paused = false;
  const links = new Set<Link>();

  let bytesUp = 0;
  let recent: Buffer = Buffer.alloc(0);
  const send = (link: Link, direction: 'up' | 'down', chunk: Buffer) => {
    if (direction === 'up') {
      bytesUp += chunk.length;
      recent = Buffer.concat([recent, chunk]);
      if (recent.length > 1 << 20) recent = recent.subarray(recent.length - (1 << 20));
    }
    if (link.silent) return;
    const to = direction === 'up' ? link.upstream : link.client;
    if (!to) return;
    const queue = link.queues[direction];
    if (delayMs === 0 && queue.length === 0) {
      to.write(chunk);
      return;
    }
    const due = Math.max(Date.now() + delayMs, queue.at(-1)?.due ?? 0);
    queue.push({ due, chunk });
    const timer = setTimeout(() => {
      link.timers.delete(timer);
      // Everything due by this timer's own time, not by Date.now(): timers run on a monotonic
      // clock, so a wall clock stepped back would strand the chunk with no timer left to send it.
      while (queue.length > 0 && queue[0]!.due <= due) {
        const next = queue.shift()!;
        if (!link.silent && !to.destroyed) to.write(next.chunk);
      }
    }, due - Date.now());
    link.timers.add(timer);
  };

  const close = (link: Link) => {
    for (const timer of link.timers) clearTimeout(timer);
    link.timers.clear();
    link.client.destroy();
    link.upstream?.destroy();
    links.delete(link);
  };

  const connectUpstream = (link: Link) => {
    const upstream = net.connect(target.port, target.host);
    link.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => send(link, 'down', chunk));
    // A silenced link keeps its client open whatever the target does (a reset included): the
    // client must learn of the fault by waiting, as behind a dead peer.
    const onEnd = () => {
      if (!link.silent) close(link);
    };
    upstream.on('error', onEnd);
    upstream.on('close', onEnd);
    if (paused) upstream.pause();
  };

  const server = net.createServer((client) => {
    const link: Link = { client, upstream: undefined, silent: holeOpen, queues: { up: [], down: [] }, timers: new Set() };
    links.add(link);
    client.on('data', (chunk: Buffer) => send(link, 'up', chunk));
    client.on('error', () => close(link));
    client.on('close', () => close(link));
    if (link.silent) return; // accepted, read and discarded: the caller waits forever
    if (paused) client.pause();
    connectUpstream(link);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const resume = () => {
    paused = false;
    for (const link of links) {
      if (link.silent) continue;
      link.client.resume();
      link.upstream?.resume();
    }
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get connections() {
      return links.size;
    },
    get bytesUp() {
      return bytesUp;
    },
    sentText: () => recent.toString('latin1'),
    delay(ms) {
      delayMs = Math.max(0, ms);
    },
    dropConnections() {
      for (const link of [...links]) {
        link.client.resetAndDestroy();
        link.upstream?.resetAndDestroy();
        close(link);
      }
    },
    blackhole() {
      holeOpen = true;
      for (const link of links) {
        link.silent = true;
        // Keep reading so the sender never sees backpressure: the bytes vanish.
        link.client.resume();
        link.upstream?.resume();
      }
    },
    pause() {
      paused = true;
      for (const link of links) {
        // A blackholed link keeps draining (see blackhole): its sender must not see backpressure.
        if (link.silent) continue;
        link.client.pause();
        link.upstream?.pause();
      }
    },
    resume,
    heal() {
      holeOpen = false;
      resume();
    },
    retarget(nextPort, host = '127.0.0.1') {
      target = { host, port: nextPort };
    },
    async stop() {
      for (const link of [...links]) close(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

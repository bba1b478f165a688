import { EventEmitter } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../src/tcp-proxy.js';
import { waitFor } from '../src/harness.js';

// The proxy is the fault injector of every network-fault test: if it forwards when it should
// stall, or closes when it should go silent, those tests pass without testing anything. So it
// is run here on real loopback sockets, with a target server in this process that records what
// each of its connections received.

interface Target {
  port: number;
  /** Server-side sockets, in accept order, with what each received and how it ended. */
  conns: Array<{ socket: net.Socket; data: string; closed: boolean; error?: string }>;
  stop(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  const conns: Target['conns'] = [];
  const server = net.createServer((socket) => {
    const conn: Target['conns'][number] = { socket, data: '', closed: false };
    conns.push(conn);
    socket.on('data', (d: Buffer) => (conn.data += d.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => (conn.error = err.code));
    socket.on('close', () => (conn.closed = true));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    conns,
    stop: async () => {
      for (const c of conns) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Client {
  socket: net.Socket;
  data: string;
  closed: boolean;
  error?: string;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  const client: Client = { socket, data: '', closed: false };
  socket.on('data', (d: Buffer) => (client.data += d.toString('latin1')));
  socket.on('error', (err: NodeJS.ErrnoException) => (client.error = err.code));
  socket.on('close', () => (client.closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return client;
}

/** Give in-flight loopback bytes and events time to land (only to show that nothing arrives). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(): Promise<{ target: Target; proxy: TcpProxy }> {
  const target = await startTarget();
  cleanups.push(() => target.stop());
  const proxy = await startTcpProxy(target.port);
  cleanups.push(() => proxy.stop());
  return { target, proxy };
}

async function through(proxy: TcpProxy, target: Target): Promise<{ client: Client; server: Target['conns'][number] }> {
  const before = target.conns.length;
  const client = await connect(proxy.port);
  cleanups.push(() => void client.socket.destroy());
  await waitFor(() => target.conns.length === before + 1);
  return { client, server: target.conns[before]! };
}

describe('startTcpProxy: forwarding', () => {
  it('listens on a loopback port, names it as a redis url, and passes bytes both ways', async () => {
    const { target, proxy } = await setup();
    expect(proxy.port).toBeGreaterThan(0);
    expect(proxy.port).not.toBe(target.port);
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    const { client, server } = await through(proxy, target);
    client.socket.write('PING\r\n');
    await waitFor(() => server.data === 'PING\r\n');
    server.socket.write('+PONG\r\n');
    await waitFor(() => client.data === '+PONG\r\n');
    expect(proxy.bytesUp).toBe(6);
    expect(proxy.sentText()).toBe('PING\r\n');
  });

  it('without a delay forwards each chunk at once, through no timer', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      // Fake timers never fire here: a chunk that waited for one would never arrive.
      const until = async (done: () => boolean) => {
        while (!done()) await new Promise((resolve) => setImmediate(resolve));
      };
      client.socket.write('up');
      await until(() => server.data === 'up');
      server.socket.write('down');
      await until(() => client.data === 'down');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts open connections exactly, and forgets closed ones', async () => {
    const { target, proxy } = await setup();
    expect(proxy.connections).toBe(0);
    const a = await through(proxy, target);
    const b = await through(proxy, target);
    expect(proxy.connections).toBe(2);
    a.client.socket.end();
    await waitFor(() => proxy.connections === 1);
    await waitFor(() => a.server.closed);
    expect(b.server.closed).toBe(false);
    // The target closing its side closes the client's too.
    b.server.socket.end();
    await waitFor(() => b.client.closed);
    await waitFor(() => proxy.connections === 0);
  });

  it('counts bytes up across connections and keeps only the last MiB of them as latin1 text', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    const head = Buffer.from([0x41, 0xe9, 0xff, 0x0a]); // latin1: every byte is one character
    client.socket.write(head);
    await waitFor(() => server.data.length === 4);
    expect(proxy.sentText()).toBe('A\u00e9\u00ff\n');
    const big = Buffer.alloc((1 << 20) + 10, 0x62);
    big.write('tail', big.length - 4);
    client.socket.write(big);
    await waitFor(() => proxy.bytesUp === 4 + big.length);
    const text = proxy.sentText();
    expect(text.length).toBe(1 << 20);
    expect(text.endsWith('bbbtail')).toBe(true);
    expect(text.startsWith('b')).toBe(true);
    // Bytes down are not counted.
    server.socket.write('xyz');
    await waitFor(() => client.data === 'xyz');
    expect(proxy.bytesUp).toBe(4 + big.length);
  });

  it('retargets new connections only; the open ones stay with the old target', async () => {
    const { target, proxy } = await setup();
    const other = await startTarget();
    cleanups.push(() => other.stop());
    const old = await through(proxy, target);
    proxy.retarget(other.port);
    const moved = await through(proxy, other);
    moved.client.socket.write('to other');
    old.client.socket.write('to first');
    await waitFor(() => moved.server.data === 'to other' && old.server.data === 'to first');
    expect(target.conns.length).toBe(1);
    expect(other.conns.length).toBe(1);
    // An explicit host is used as given.
    proxy.retarget(target.port, '127.0.0.1');
    const back = await through(proxy, target);
    back.client.socket.write('back');
    await waitFor(() => back.server.data === 'back');
  });

  it('closes the client when the target cannot be reached', async () => {
    const { target, proxy } = await setup();
    await target.stop();
    const client = await connect(proxy.port);
    await waitFor(() => client.closed);
    await waitFor(() => proxy.connections === 0);
  });

  it('stop closes the listener and every connection', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    await proxy.stop();
    expect(proxy.connections).toBe(0);
    await waitFor(() => client.closed && server.closed);
    const refused = await new Promise<string | undefined>((resolve) => {
      const s = net.connect(proxy.port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('startTcpProxy: delay', () => {
  it('holds chunks for the delay in both directions and keeps their order', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.delay(1_000_000);
    client.socket.write('held up');
    await waitFor(() => proxy.bytesUp === 7);
    // A connection whose queue is empty after the delay is lifted is forwarded at once; the held
    // chunk of the first is not (it waits for its own time, and keeps later chunks behind it).
    proxy.delay(0);
    client.socket.write(' and after');
    await waitFor(() => proxy.bytesUp === 17);
    const fresh = await through(proxy, target);
    fresh.client.socket.write('fresh');
    await waitFor(() => fresh.server.data === 'fresh');
    await settle();
    expect(server.data).toBe('');
    expect(client.data).toBe('');
  });

  it('delivers delayed chunks in order, up and down', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.delay(30);
    for (const part of ['one ', 'two ', 'three']) {
      client.socket.write(part);
      await waitFor(() => proxy.sentText().endsWith(part));
    }
    await waitFor(() => server.data === 'one two three');
    server.socket.write('down');
    await waitFor(() => client.data === 'down');
    // A negative delay means none.
    proxy.delay(-5);
    client.socket.write('!');
    await waitFor(() => server.data === 'one two three!');
  });

  it('delivers a delayed chunk even when the wall clock steps back while it waits', async () => {
    // Timers run on a monotonic clock, the due times on Date.now(): a clock stepped back (NTP)
    // must not strand a chunk in the queue with no timer left to send it.
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.delay(50);
    client.socket.write('late');
    await waitFor(() => proxy.bytesUp === 4);
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 60_000);
    await waitFor(() => server.data === 'late', 3_000);
  });
});

describe('startTcpProxy: faults', () => {
  it('dropConnections resets both sides at once and still accepts new connections', async () => {
    const { target, proxy } = await setup();
    const a = await through(proxy, target);
    const b = await through(proxy, target);
    proxy.dropConnections();
    expect(proxy.connections).toBe(0);
    await waitFor(() => a.client.closed && b.client.closed && a.server.closed && b.server.closed);
    expect([a.client.error, b.client.error, a.server.error, b.server.error]).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
    const c = await through(proxy, target);
    c.client.socket.write('again');
    await waitFor(() => c.server.data === 'again');
    expect(proxy.connections).toBe(1);
  });

  it('blackhole discards bytes of open connections without closing anything', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.blackhole();
    client.socket.write('into the void');
    await waitFor(() => proxy.bytesUp === 13);
    server.socket.write('never seen');
    await settle();
    expect(server.data).toBe('');
    expect(client.data).toBe('');
    expect(client.closed).toBe(false);
    expect(server.closed).toBe(false);
    expect(proxy.connections).toBe(1);
    // The target going away is not passed on either: the client's peer is silent, not gone.
    server.socket.destroy();
    await waitFor(() => server.closed);
    await settle();
    expect(client.closed).toBe(false);
    expect(proxy.connections).toBe(1);
    // Healing does not bring a silenced connection back.
    proxy.heal();
    client.socket.write('still void');
    await waitFor(() => proxy.bytesUp === 23);
    await settle();
    expect(client.closed).toBe(false);
    expect(target.conns.length).toBe(1);
  });

  it('blackhole accepts new connections and counts their bytes, but they never reach the target', async () => {
    const { target, proxy } = await setup();
    proxy.blackhole();
    const client = await connect(proxy.port);
    cleanups.push(() => void client.socket.destroy());
    await waitFor(() => proxy.connections === 1);
    client.socket.write('hello?');
    await waitFor(() => proxy.bytesUp === 6);
    expect(proxy.sentText()).toBe('hello?');
    await settle();
    expect(target.conns.length).toBe(0);
    expect(client.closed).toBe(false);
    // Closing such a connection is noticed.
    client.socket.destroy();
    await waitFor(() => proxy.connections === 0);
    // After heal, new connections are forwarded again.
    proxy.heal();
    const healed = await through(proxy, target);
    healed.client.socket.write('back');
    await waitFor(() => healed.server.data === 'back');
  });

  it('keeps delayed chunks of a connection from going out once it is blackholed', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.delay(40);
    client.socket.write('queued');
    await waitFor(() => proxy.bytesUp === 6);
    proxy.blackhole();
    proxy.delay(0);
    const fresh = await connect(proxy.port);
    cleanups.push(() => void fresh.socket.destroy());
    await settle();
    await settle();
    expect(server.data).toBe('');
  });

  it('pause stalls open connections and resume delivers the held bytes in order', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    client.socket.write('before ');
    await waitFor(() => server.data === 'before ');
    proxy.pause();
    client.socket.write('during');
    server.socket.write('reply');
    await settle();
    expect(server.data).toBe('before ');
    expect(client.data).toBe('');
    expect(proxy.bytesUp).toBe(7);
    proxy.resume();
    await waitFor(() => server.data === 'before during' && client.data === 'reply');
    expect(proxy.bytesUp).toBe(13);
  });

  it('a connection opened during a pause stalls too, and heal resumes it', async () => {
    const { target, proxy } = await setup();
    proxy.pause();
    const { client, server } = await through(proxy, target);
    client.socket.write('up');
    server.socket.write('down');
    await settle();
    expect(server.data).toBe('');
    expect(client.data).toBe('');
    proxy.heal();
    await waitFor(() => server.data === 'up' && client.data === 'down');
  });

  it('resume does not revive a blackholed connection', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.pause();
    proxy.blackhole();
    proxy.resume();
    client.socket.write('gone');
    await waitFor(() => proxy.bytesUp === 4);
    await settle();
    expect(server.data).toBe('');
  });

  it('pause leaves blackholed connections draining, so their senders see no backpressure', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.blackhole();
    proxy.pause();
    client.socket.write('still read');
    await waitFor(() => proxy.bytesUp === 10);
    proxy.resume();
    client.socket.write('!');
    await waitFor(() => proxy.bytesUp === 11);
    await settle();
    expect(server.data).toBe('');
  });

  it('rejects when it cannot listen', async () => {
    const failing = Object.assign(new EventEmitter(), {
      listen() {
        process.nextTick(() => failing.emit('error', Object.assign(new Error('listen EACCES'), { code: 'EACCES' })));
      },
    });
    vi.spyOn(net, 'createServer').mockReturnValue(failing as unknown as net.Server);
    await expect(startTcpProxy(1)).rejects.toMatchObject({ code: 'EACCES', message: 'listen EACCES' });
  });
});

describe('startTcpProxy: a blackholed link whose target fails', () => {
  it('does not pass a reset from the target on to the client', async () => {
    // A reset is an error on the proxy's upstream socket, not only a close: the silent link
    // must swallow it too, or the client learns at once what it should learn by timing out.
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.blackhole();
    server.socket.resetAndDestroy();
    await waitFor(() => server.closed);
    await settle();
    expect(client.closed).toBe(false);
    expect(client.error).toBeUndefined();
    expect(proxy.connections).toBe(1);
  });
});

describe('startTcpProxy: edges the fault tests reach', () => {
  it('listens on IPv4 loopback only', async () => {
    const { proxy } = await setup();
    const code = await new Promise<string | undefined>((resolve) => {
      const s = net.connect(proxy.port, '::1');
      s.on('connect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    });
    expect(code).toBe('ECONNREFUSED');
  });

  it('forgets a client that resets its connection, and closes its upstream', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    client.socket.resetAndDestroy();
    await waitFor(() => proxy.connections === 0);
    await waitFor(() => server.closed);
  });

  it('drops, pauses and blackholes again connections accepted while blackholed (they have no upstream)', async () => {
    const { target, proxy } = await setup();
    proxy.blackhole();
    const client = await connect(proxy.port);
    cleanups.push(() => void client.socket.destroy());
    await waitFor(() => proxy.connections === 1);
    proxy.pause();
    proxy.blackhole();
    proxy.resume();
    proxy.dropConnections();
    expect(proxy.connections).toBe(0);
    await waitFor(() => client.closed);
    expect(client.error).toBe('ECONNRESET');
    expect(target.conns.length).toBe(0);
  });

  it('a longer delay set later holds the later chunks after the earlier ones went out', async () => {
    const { target, proxy } = await setup();
    const { client, server } = await through(proxy, target);
    proxy.delay(30);
    client.socket.write('early');
    await waitFor(() => proxy.bytesUp === 5);
    proxy.delay(1_000_000);
    client.socket.write('late');
    await waitFor(() => proxy.bytesUp === 9);
    await waitFor(() => server.data === 'early');
    await settle();
    expect(server.data).toBe('early');
  });
});

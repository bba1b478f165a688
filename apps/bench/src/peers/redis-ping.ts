import net from 'node:net';

/**
 * Round trips of a raw RESP `PING` to a redis-server on loopback, in milliseconds: the floor under
 * any replication through that server (one hop there and back, nothing else).
 */
export class RedisPing {
  private constructor(private readonly socket: net.Socket) {}

  /** Connect to `port` on 127.0.0.1. */
  static connect(port: number): Promise<RedisPing> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RedisPing(socket)));
      socket.setNoDelay(true);
      socket.once('error', reject);
    });
  }

  /** One PING, resolving with its round-trip time (ms). */
  ping(): Promise<number> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      let reply = '';
      const onData = (d: Buffer) => {
        reply += d.toString();
        if (reply.includes('\r\n')) {
          this.socket.off('data', onData);
          if (reply.startsWith('+PONG')) resolve(performance.now() - start);
          else reject(new Error(`unexpected reply to PING: ${reply.trim()}`));
        }
      };
      this.socket.on('data', onData);
      this.socket.write('PING\r\n');
    });
  }

  /** Close the connection. */
  close(): void {
    this.socket.end();
  }
}

import type { Store, StoreConfig } from '@gitty/core';
import { InvalidConfigError } from '@gitty/core';

/** A token bucket per client: `rate` writes per second on average, bursts of up to `burst`. */
export interface WriteRateLimit {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: how many writes a client may make at once. */
  burst: number;
}

/** Options of {@link createServer} and {@link startServer}. */
export interface ServerOptions {
  /** The store: a config (the server opens and closes it) or an open Store (the caller owns it). */
  store: StoreConfig | Store;
  /** TCP port (default 8080; 0 picks a free one). Used by `startServer` only. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1: loopback only). Used by `startServer` only. */
  host?: string;
  /** Largest request body in bytes (default 16 MiB). Larger bodies answer 413. */
  bodyLimit?: number;
  /** Writes (POST, PUT, DELETE) per client IP; `false` turns limiting off. Default 10/s, burst 50. */
  writeRateLimit?: WriteRateLimit | false;
  /** When set, writes need `Authorization: Bearer <token>` (401 otherwise). Reads stay open. */
  token?: string;
  /** Origins allowed by CORS (exact strings, or `'*'`). Default: none, CORS off. */
  corsOrigins?: readonly string[];
  /** Interval of `: keep-alive` comments on `/events`, in milliseconds (default 15,000). */
  keepAliveMs?: number;
  /** Close the store on `close()` (default: true when the server opened it from a config). */
  closeStore?: boolean;
  /** Serve the web page at `/` (default true). */
  webPage?: boolean;
  /** Fastify's logger: false (default) or true. */
  logger?: boolean;
  /** Behind a reverse proxy: take the client address (for rate limiting) from X-Forwarded-For (default false). */
  trustProxy?: boolean;
  /**
   * Keep a `meta.time` sent by the client (for imports of versions with their own dates).
   * Default false: the server sets the time itself and a request giving one answers 400.
   */
  acceptClientTime?: boolean;
  /**
   * Where failed requests (5xx) are logged, one line each, when `logger` is off
   * (default: standard error). With `logger: true` they go to fastify's logger.
   */
  errorLog?: { write(line: string): unknown };
  /**
   * Host names (the `Host` header without its port) the server answers besides the ones it is
   * bound to, against DNS rebinding; `'*'` answers any. Default: the bound host, and for a
   * loopback host also `localhost`, `127.0.0.1` and `[::1]`; for a wildcard host (0.0.0.0, ::)
   * any IP address, `localhost` and this machine's host name.
   */
  allowedHosts?: readonly string[];
  /**
   * Failed token attempts per client IP: a bucket of `burst` failures refilled at `rate` per
   * second; when it is empty every write from that client answers 429 until it refills.
   * Default `{ rate: 0.1, burst: 10 }`; `false` turns it off.
   */
  authFailureLimit?: WriteRateLimit | false;
}

/** {@link ServerOptions} with defaults applied and values checked. */
export interface ResolvedOptions {
  port: number;
  host: string;
  bodyLimit: number;
  writeRateLimit: WriteRateLimit | false;
  token: string | undefined;
  corsOrigins: readonly string[];
  keepAliveMs: number;
  webPage: boolean;
  logger: boolean;
  trustProxy: boolean;
  acceptClientTime: boolean;
  errorLog: { write(line: string): unknown };
  allowedHosts: readonly string[];
  authFailureLimit: WriteRateLimit | false;
}

function positiveInteger(value: unknown, key: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new InvalidConfigError(`Server option "${key}" must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
}

/** Apply defaults and check the options; throws INVALID_CONFIG naming the bad option. */
export function resolveOptions(options: ServerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidConfigError('Server options must be an object');
  const port = positiveInteger(options.port, 'port', 8080, true);
  if (port > 65535) throw new InvalidConfigError('Server option "port" must be at most 65535');
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host.length === 0)) {
    throw new InvalidConfigError('Server option "host" must be a non-empty string');
  }
  const writeRateLimit = bucketOption(options.writeRateLimit, 'writeRateLimit', { rate: 10, burst: 50 });
  const authFailureLimit = bucketOption(options.authFailureLimit, 'authFailureLimit', { rate: 0.1, burst: 10 });
  const allowedHosts = options.allowedHosts ?? [];
  if (!Array.isArray(allowedHosts) || !allowedHosts.every((h) => typeof h === 'string' && h.length > 0)) {
    throw new InvalidConfigError('Server option "allowedHosts" must be an array of host names such as "gitty.example.org"');
  }
  if (options.errorLog !== undefined && typeof options.errorLog?.write !== 'function') {
    throw new InvalidConfigError('Server option "errorLog" must have a write(line) method');
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length === 0)) {
    throw new InvalidConfigError('Server option "token" must be a non-empty string');
  }
  const corsOrigins = options.corsOrigins ?? [];
  if (!Array.isArray(corsOrigins) || !corsOrigins.every((o) => typeof o === 'string' && o.length > 0)) {
    throw new InvalidConfigError('Server option "corsOrigins" must be an array of origins such as "https://example.org"');
  }
  return {
    port,
    host: options.host ?? '127.0.0.1',
    bodyLimit: positiveInteger(options.bodyLimit, 'bodyLimit', 16 * 1024 * 1024),
    writeRateLimit,
    token: options.token,
    corsOrigins,
    keepAliveMs: positiveInteger(options.keepAliveMs, 'keepAliveMs', 15_000),
    webPage: options.webPage ?? true,
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
    acceptClientTime: options.acceptClientTime ?? false,
    errorLog: options.errorLog ?? process.stderr,
    allowedHosts,
    authFailureLimit,
  };
}

function bucketOption(value: WriteRateLimit | false | undefined, key: string, fallback: WriteRateLimit): WriteRateLimit | false {
  if (value === false) return false;
  if (value === undefined) return fallback;
  const { rate, burst } = value;
  if (!(typeof rate === 'number' && rate > 0 && Number.isFinite(rate))) {
    throw new InvalidConfigError(`Server option "${key}.rate" must be a positive number per second`);
  }
  return { rate, burst: positiveInteger(burst, `${key}.burst`, Math.max(1, Math.ceil(rate))) };
}

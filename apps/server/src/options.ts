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
  let writeRateLimit: WriteRateLimit | false = { rate: 10, burst: 50 };
  if (options.writeRateLimit === false) writeRateLimit = false;
  else if (options.writeRateLimit !== undefined) {
    const { rate, burst } = options.writeRateLimit;
    if (!(typeof rate === 'number' && rate > 0 && Number.isFinite(rate))) {
      throw new InvalidConfigError('Server option "writeRateLimit.rate" must be a positive number of writes per second');
    }
    writeRateLimit = { rate, burst: positiveInteger(burst, 'writeRateLimit.burst', Math.max(1, Math.ceil(rate))) };
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
  };
}

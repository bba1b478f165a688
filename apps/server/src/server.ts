import Fastify, { type FastifyInstance } from 'fastify';
import { openStore, Store, stringifyExactJson } from '@gitty/core';
import { hostname } from 'node:os';
import { applyCors, hostGuard, writeGuard } from './access.js';
import { registerBuiltinDrivers } from './drivers.js';
import { errorHandler, HttpError } from './http-errors.js';
import { openApiDocument, routeCollector } from './openapi.js';
import { strictBodyTypes } from './strict-body.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { EventStreams, eventRoutes } from './routes/events.js';
import { fileRoutes } from './routes/files.js';
import { objectRoutes } from './routes/objects.js';
import { webPageRoutes } from './routes/web-page.js';
import { healthSchema } from './schemas.js';

/** A gitty HTTP service: the fastify app, its store, and a graceful `close()`. */
export interface GittyServer {
  /** The fastify instance (e.g. for `app.inject` in tests). */
  readonly app: FastifyInstance;
  /** The store it serves. */
  readonly store: Store;
  /**
   * Shut down gracefully: stop accepting connections, end event streams, let in-flight
   * requests finish, then close the store (when the server opened it). Idempotent.
   */
  close(): Promise<void>;
}

/** A {@link GittyServer} listening on a socket. */
export interface RunningServer extends GittyServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
}

/** Build the service without listening (see {@link startServer}). */
export async function createServer(options: ServerOptions): Promise<GittyServer> {
  const resolved = resolveOptions(options);
  const ownsStore = !(options.store instanceof Store);
  let store: Store;
  if (options.store instanceof Store) store = options.store;
  else {
    await registerBuiltinDrivers();
    store = await openStore(options.store);
  }
  const closeStore = options.closeStore ?? ownsStore;

  const handleError = errorHandler(resolved.logger ? undefined : resolved.errorLog);
  const app = Fastify({
    logger: resolved.logger,
    trustProxy: resolved.trustProxy,
    bodyLimit: resolved.bodyLimit,
    forceCloseConnections: 'idle',
    // Names may be 255 characters, percent-encoded up to 9 bytes each; the schema bounds them.
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
    // Reject unknown body keys instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });
  // JSON only: a text/plain body would otherwise reach the schema as a string.
  app.removeContentTypeParser('text/plain');
  const streams = new EventStreams();
  const collector = routeCollector();
  app.addHook('onRoute', (route) => {
    collector.onRoute(route);
    strictBodyTypes(route);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request) => {
    throw new HttpError(404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`);
  });
  const guard = writeGuard(resolved);
  const checkHost = hostGuard(resolved, hostname());
  app.addHook('onRequest', async (request, reply) => {
    checkHost(request);
    if (applyCors(resolved, request, reply)) return reply;
    guard(request);
    return undefined;
  });
  // Event streams would hold the server open for ever: end them before fastify waits for connections.
  let closingDown = false;
  app.addHook('preClose', async () => {
    closingDown = true;
    streams.endAll();
  });
  // A keep-alive connection whose request was in flight at shutdown would otherwise idle on
  // until its timeout: answer it with `Connection: close` so it ends with its response.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closingDown) void reply.header('connection', 'close');
    return payload;
  });

  // SWISH stores hold integers beyond 2^53 as bigints, which the schema serializer (JSON.stringify
  // for free-form metadata) cannot write: such a reply is written by stringifyExactJson instead,
  // as exact JSON numbers. Other replies keep the schema serializer.
  app.addHook('preSerialization', async (_request, reply, payload) => {
    if (holdsBigInt(payload)) reply.serializer((data) => stringifyExactJson(data));
    return payload;
  });

  fileRoutes(app, store, resolved);
  objectRoutes(app, store);
  eventRoutes(app, store, streams, resolved.keepAliveMs);
  app.get('/healthz', { schema: healthSchema }, async () => ({ ok: !store.isClosed, driver: store.driver.name }));
  // The server entry names the address the client used (Host is checked against the allow-list above).
  app.get('/openapi.json', async (request) =>
    openApiDocument(
      collector.routes,
      { title: 'gitty storage service', version: '0.1.0', description: 'A versioned file store: named files with linear histories of content-addressed commits.' },
      [{ url: `${request.protocol}://${request.host}`, description: 'This server' }],
    ));
  app.options('/*', async (request) => {
    throw new HttpError(404, 'NOT_FOUND', `No CORS access for ${request.headers.origin ?? 'this origin'}`);
  });
  if (resolved.webPage) await webPageRoutes(app);
  await app.ready();

  let closing: Promise<void> | undefined;
  return {
    app,
    store,
    close: () => {
      closing ??= (async () => {
        try {
          await app.close();
        } finally {
          if (closeStore) await store.close();
        }
      })();
      return closing;
    },
  };
}

/**
 * Open the store (when given a config), build the service and listen on `host:port`
 * (default 127.0.0.1:8080). The CLI's `gitty serve` calls this.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  const server = await createServer(options);
  try {
    await server.app.listen({ port: resolved.port, host: resolved.host });
  } catch (err) {
    await server.close();
    throw err;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : resolved.port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  return { ...server, url: `http://${host}:${port}`, port };
}

/**
 * The startup line for a running server: where it listens, the driver, and whether writes
 * need a token; plus a warning when they do not (anyone who can reach the port may write).
 */
export function startupMessage(server: RunningServer, options: Pick<ServerOptions, 'token'>): { line: string; warning?: string } {
  const writes = options.token ? 'writes need a token' : 'writes need NO token';
  const line = `gitty server listening on ${server.url} (driver ${server.store.driver.name}; ${writes})`;
  if (options.token) return { line };
  return {
    line,
    warning: 'warning: writes need no token: anyone who can reach this address may change the store; '
      + 'give one with --token-file <file> or GITTY_TOKEN',
  };
}

// True when a bigint sits anywhere in a reply payload (plain data: arrays and objects).
function holdsBigInt(value: unknown, depth = 0): boolean {
  if (typeof value === 'bigint') return true;
  if (value === null || typeof value !== 'object' || depth > 64 || ArrayBuffer.isView(value)) return false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) if (holdsBigInt(item, depth + 1)) return true;
  return false;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import type { ResolvedOptions } from './options.js';
import { WriteRateLimiter } from './rate-limit.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The checks every write passes before its handler runs: the bearer token (compared in constant
 * time), a bucket of failed token attempts per client (a guesser is held at 429 once it is
 * empty, whatever it sends) and the client's write bucket. Reads are never limited here.
 */
export function writeGuard(options: ResolvedOptions): (request: FastifyRequest) => void {
  const expected = options.token === undefined ? undefined : digest(options.token);
  const limiter = options.writeRateLimit ? new WriteRateLimiter(options.writeRateLimit) : undefined;
  const failures = options.authFailureLimit ? new WriteRateLimiter(options.authFailureLimit) : undefined;
  return (request) => {
    if (!WRITE_METHODS.has(request.method)) return;
    if (expected) {
      const locked = failures?.wait(request.ip) ?? 0;
      if (locked > 0) {
        throw new HttpError(429, 'RATE_LIMITED', `Too many failed token attempts from this client; retry in ${locked} s`, {
          'retry-after': String(locked),
        });
      }
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
        failures?.take(request.ip);
        throw new HttpError(401, 'UNAUTHORIZED', 'Writes need "Authorization: Bearer <token>" with the server\'s token', {
          'www-authenticate': 'Bearer realm="gitty"',
        });
      }
    }
    if (limiter) {
      const wait = limiter.take(request.ip);
      if (wait > 0) {
        throw new HttpError(429, 'RATE_LIMITED', `Too many writes from this client; retry in ${wait} s`, { 'retry-after': String(wait) });
      }
    }
  };
}

/**
 * CORS for the configured origins only (none by default, so browsers on other origins are
 * refused). Answers preflights itself; returns true when it did.
 */
export function applyCors(options: ResolvedOptions, request: FastifyRequest, reply: FastifyReply): boolean {
  const origin = request.headers.origin;
  if (!origin || options.corsOrigins.length === 0) return false;
  const allowed = options.corsOrigins.includes('*') ? '*' : options.corsOrigins.includes(origin) ? origin : undefined;
  if (!allowed) return false;
  void reply.header('access-control-allow-origin', allowed).header('vary', 'Origin');
  void reply.header('access-control-expose-headers', 'X-Gitty-Commit, X-Gitty-Type, Retry-After');
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
    void reply
      .header('access-control-allow-methods', 'GET, POST, PUT, DELETE')
      .header('access-control-allow-headers', 'Authorization, Content-Type')
      .header('access-control-max-age', '600')
      .code(204)
      .send();
    return true;
  }
  return false;
}

/** Loopback names: a server bound to one of them answers to all of them. */
const LOOPBACK = ['localhost', '127.0.0.1', '[::1]', '::1'];
const WILDCARD = ['0.0.0.0', '::', '[::]'];

/** The host name of a Host header (lower case, port removed; IPv6 literals keep their brackets). */
export function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[0-9a-f:.]+\]$/.test(name);
}

/**
 * Against DNS rebinding (a web page on an attacker's domain whose name resolves to this
 * machine, so the browser sends it requests with `Host: attacker.example`): answer only
 * requests whose Host names a name this server is bound to (see `allowedHosts`). Returns a
 * check that throws 421 for other hosts.
 */
export function hostGuard(options: Pick<ResolvedOptions, 'host' | 'allowedHosts'>, machineName: string): (request: FastifyRequest) => void {
  if (options.allowedHosts.includes('*')) return () => undefined;
  const bound = hostName(options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host);
  const allowed = new Set<string>([bound, ...options.allowedHosts.map((h) => hostName(h))]);
  if (LOOPBACK.includes(bound) || LOOPBACK.includes(options.host)) for (const name of LOOPBACK) allowed.add(name);
  const wildcard = WILDCARD.includes(options.host) || WILDCARD.includes(bound);
  if (wildcard) for (const name of ['localhost', machineName.toLowerCase()]) allowed.add(name);
  return (request) => {
    const name = hostName(request.headers.host ?? '');
    if (allowed.has(name) || (wildcard && isIpLiteral(name))) return;
    throw new HttpError(421, 'HOST_NOT_ALLOWED', `This server does not answer for host "${name}"; start it with allowedHosts (--allow-host) to add it`);
  };
}

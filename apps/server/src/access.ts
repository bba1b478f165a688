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
 * time) and the client's token bucket. Reads are never limited here.
 */
export function writeGuard(options: ResolvedOptions): (request: FastifyRequest) => void {
  const expected = options.token === undefined ? undefined : digest(options.token);
  const limiter = options.writeRateLimit ? new WriteRateLimiter(options.writeRateLimit) : undefined;
  return (request) => {
    if (!WRITE_METHODS.has(request.method)) return;
    if (expected) {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
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

import type { FastifyInstance } from 'fastify';
import type { Store } from '@gitty/core';
import { encodeData, type DataEncoding } from '../data-encoding.js';
import { resolveNameOrCommit, resolveObject } from '../resolve-hash.js';
import { diffSchema, objectSchema } from '../schemas.js';

/** Raw objects by hash, and diffs between versions (hashes may be unique prefixes of 4+ digits). */
export function objectRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Params: { hash: string }; Querystring: { format?: 'json' | 'raw'; encoding?: DataEncoding } }>(
    '/objects/:hash', { schema: objectSchema }, async (request, reply) => {
      const hash = await resolveObject(store, request.params.hash);
      const object = await store.load(hash);
      // Objects never change, so they may be cached for ever; but a prefix may name another
      // object (or several) tomorrow, so its answer is not kept.
      const full = hash === request.params.hash;
      void reply.header('cache-control', full ? 'public, max-age=31536000, immutable' : 'no-cache').header('x-gitty-type', object.type);
      if (request.query.format === 'raw') return reply.type('application/octet-stream').send(Buffer.from(object.data));
      return { hash, type: object.type, size: object.data.length, ...encodeData(object.data, request.query.encoding) };
    },
  );

  app.get<{ Querystring: { from?: string; to: string } }>('/diff', { schema: diffSchema }, async (request) => {
    const [from, to] = await Promise.all([
      request.query.from === undefined ? undefined : resolveNameOrCommit(store, request.query.from),
      resolveNameOrCommit(store, request.query.to),
    ]);
    return from === undefined ? store.diff(to) : store.diff(from, to);
  });
}

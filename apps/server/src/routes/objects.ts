import type { FastifyInstance } from 'fastify';
import type { Store } from '@gitty/core';
import { encodeData, type DataEncoding } from '../data-encoding.js';
import { diffSchema, objectSchema } from '../schemas.js';

/** Raw objects by hash, and diffs between versions. */
export function objectRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Params: { hash: string }; Querystring: { format?: 'json' | 'raw'; encoding?: DataEncoding } }>(
    '/objects/:hash', { schema: objectSchema }, async (request, reply) => {
      const { hash } = request.params;
      const object = await store.load(hash);
      // Objects never change, so they may be cached for ever.
      void reply.header('cache-control', 'public, max-age=31536000, immutable').header('x-gitty-type', object.type);
      if (request.query.format === 'raw') return reply.type('application/octet-stream').send(Buffer.from(object.data));
      return { hash, type: object.type, size: object.data.length, ...encodeData(object.data, request.query.encoding) };
    },
  );

  app.get<{ Querystring: { from?: string; to: string } }>('/diff', { schema: diffSchema }, async (request) => {
    const { from, to } = request.query;
    return from === undefined ? store.diff(to) : store.diff(from, to);
  });
}

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError, NotAtHeadError, NotFoundError, type FileQuery, type Meta, type Store } from '@gitty/core';
import { conflictBody } from '../conflict.js';
import { decodeCursor, ListingCache, listFiles } from '../list-files.js';
import { decodeData, encodeData, type DataEncoding } from '../data-encoding.js';
import type { ResolvedOptions } from '../options.js';
import { resolveCommit, resolveNameOrCommit } from '../resolve-hash.js';
import { createSchema, deleteSchema, getFileSchema, historySchema, listSchema, updateSchema } from '../schemas.js';

interface NameParams { name: string }
interface VersionBody { data: string; encoding?: DataEncoding; meta?: Meta }
interface ListQuery extends Omit<FileQuery, 'namePrefix'> { prefix?: string; contains?: string; q?: string; cursor?: string }

/** Routes on named files: create, update (with conflict answers), read, delete, history, list. */
export function fileRoutes(app: FastifyInstance, store: Store, options: Pick<ResolvedOptions, 'acceptClientTime'>): void {
  /** The request's metadata; `time` is the server's to set unless it accepts client times (imports). */
  const metaOf = (meta: Meta | undefined): Meta => {
    if (meta?.time !== undefined && !options.acceptClientTime) {
      throw new InvalidArgumentError('"meta.time" is set by the server; it accepts a client\'s time only when started for imports (acceptClientTime)');
    }
    return meta ?? {};
  };

  app.post<{ Params: NameParams; Body: VersionBody }>('/files/:name', { schema: createSchema }, async (request, reply) => {
    const { data, encoding, meta } = request.body;
    const commit = await store.create(request.params.name, decodeData(data, encoding), metaOf(meta));
    return reply.code(201).header('x-gitty-commit', commit.commit).send({ commit });
  });

  app.put<{ Params: NameParams; Body: VersionBody & { previous: string } }>(
    '/files/:name', { schema: updateSchema }, async (request, reply) => {
      const { name } = request.params;
      const { data, encoding, meta, previous } = request.body;
      const bytes = decodeData(data, encoding);
      // Refuse a stale previous before writing anything; the CAS inside update still decides races.
      const head = await store.head(name);
      try {
        if (head !== previous) {
          // A previous that is not a version of this file is a bad request (or 404), not a conflict.
          const common = await store.commit(previous).catch((err: unknown) => {
            throw err instanceof NotFoundError && head === undefined ? new NotFoundError('file', name) : err;
          });
          if (common.name !== name) throw new InvalidArgumentError(`previous ${previous} is a version of "${common.name}", not of "${name}"`);
          // Deleted meanwhile: a conflict with no head, as for any other stale previous.
          throw new NotAtHeadError(name, head ?? null, previous);
        }
        const commit = await store.update(name, bytes, { ...metaOf(meta), previous });
        return reply.header('x-gitty-commit', commit.commit).send({ commit });
      } catch (err) {
        if (!(err instanceof NotAtHeadError)) throw err;
        return reply.code(409).send(await conflictBody(store, name, previous, err.head, bytes));
      }
    },
  );

  app.get<{ Params: NameParams; Querystring: { version?: string; format?: 'json' | 'raw'; encoding?: DataEncoding } }>(
    '/files/:name', { schema: getFileSchema }, async (request, reply) => {
      const { name } = request.params;
      const { format, encoding } = request.query;
      const hash = request.query.version === undefined ? undefined : await resolveCommit(store, request.query.version);
      const version = await store.get(hash ?? name);
      if (hash && version.commit.name !== name) throw new NotFoundError('commit', `${hash} of "${name}"`);
      void reply.header('x-gitty-commit', version.commit.commit).header('etag', `"${version.commit.commit}"`);
      if (format === 'raw') return reply.type('application/octet-stream').send(Buffer.from(version.data));
      return { commit: version.commit, ...encodeData(version.data, encoding) };
    },
  );

  app.delete<{ Params: NameParams; Querystring: { previous?: string } }>(
    '/files/:name', { schema: deleteSchema }, async (request, reply) => {
      await store.delete(request.params.name, request.query.previous ? { previous: request.query.previous } : {});
      return reply.code(204).send();
    },
  );

  app.get<{ Params: NameParams; Querystring: { depth?: number; includes?: string } }>(
    '/files/:name/history', { schema: historySchema }, async (request) => {
      const { depth } = request.query;
      const [start, includes] = await Promise.all([
        resolveNameOrCommit(store, request.params.name),
        request.query.includes === undefined ? undefined : resolveCommit(store, request.query.includes),
      ]);
      return store.history(start, { depth, ...(includes ? { includes } : {}) });
    },
  );

  const listings = new ListingCache(store);
  app.addHook('onClose', async () => listings.close());
  app.get<{ Querystring: ListQuery }>('/files', { schema: listSchema }, async (request) => {
    const { q, prefix, contains, cursor, offset, limit, ...filters } = request.query;
    return listFiles(store, {
      filters: { ...filters, ...(prefix ? { namePrefix: prefix } : {}) },
      ...(contains !== undefined ? { contains } : {}),
      ...(q !== undefined ? { q } : {}),
      offset: cursor !== undefined ? decodeCursor(cursor) : offset ?? 0,
      limit: limit ?? 100,
    }, listings);
  });
}

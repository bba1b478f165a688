// The routes' JSON schemas as the API documents them, written out independently of
// src/schemas.ts: schemas-exact.test.ts compares every exported schema with these, and
// openapi-exact.test.ts the served OpenAPI document's parameters and bodies. A deliberate change
// to a schema (a limit, a pattern, a description) is made in both places.
/* eslint-disable @typescript-eslint/no-explicit-any */

const HASH: any = { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'An object hash: 40 lower-case hex digits' };
const NAME: any = { type: 'string', minLength: 1, maxLength: 255, description: 'A file name (no "/", no control characters)' };
const NAME_OR_HASH: any = {
  type: 'string', minLength: 1, maxLength: 255,
  description: 'A file name (its head), or a commit hash or unique prefix of at least 4 hex digits (a file of that name wins)',
};
/** What read routes take for a hash: the full hash or any unique prefix of it (AMBIGUOUS: 400); lower case, as hashes are answered. */
const HASH_PREFIX: any = {
  type: 'string', pattern: '^[0-9a-f]{4,40}$',
  description: 'An object hash, or a unique prefix of at least 4 lower-case hex digits (400 AMBIGUOUS lists the candidates when not unique)',
};

/** A commit as the store returns it: reserved keys plus any user metadata. */
export const commitSchema: any = {
  type: 'object',
  required: ['commit', 'name', 'data', 'time'],
  properties: {
    commit: HASH,
    name: { type: 'string' },
    data: HASH,
    time: { type: 'number', description: 'Seconds since the epoch' },
    previous: HASH,
    // Written through this API these have their documented types (core checks them), but a
    // store written by another program (SWISH stores `commit_message: 1`) may hold any JSON:
    // they are answered as stored, so a commit's hash still matches its content.
    author: { description: 'A string when written through this API; any JSON in stores written elsewhere' },
    tags: { description: 'An array of strings when written through this API; any JSON in stores written elsewhere' },
    commit_message: { description: 'A string when written through this API; any JSON in stores written elsewhere' },
  },
  additionalProperties: true,
};

/** `{code, message}`, plus `head`, `diffs` and `merged` on NOT_AT_HEAD conflicts, `prefix` and `candidates` on AMBIGUOUS. */
export const errorSchema: any = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    prefix: { type: 'string', description: 'AMBIGUOUS: the hash prefix given' },
    candidates: {
      type: 'array',
      description: 'AMBIGUOUS: every object the prefix matches; give more digits',
      items: { type: 'object', required: ['hash', 'type'], properties: { hash: HASH, type: { type: 'string' } } },
    },
    head: { type: ['string', 'null'] },
    diffs: {
      type: 'object',
      properties: {
        toHead: { type: ['string', 'null'], description: 'Unified diff from your previous version to the current head' },
        toYours: { type: ['string', 'null'], description: 'Unified diff from your previous version to the data you sent' },
      },
    },
    merged: { type: 'string', description: 'Three-way merge of both changes, when they touch different lines (text only)' },
  },
};

const errors: any = { '4xx': errorSchema, '5xx': errorSchema };

const encoding: any = { type: 'string', enum: ['utf8', 'base64'], default: 'utf8', description: 'How `data` is encoded' };
const meta: any = {
  type: 'object',
  additionalProperties: true,
  description: 'User metadata: `author` and `commit_message` strings, `tags` an array of strings, anything else any JSON. '
    + 'Reserved keys (name, data, previous, commit) are set by the store; `time` only where the server accepts client times.',
  // Types are described, not declared: fastify's validator would coerce `author: 7` to "7" and
  // `tags: "x"` to ["x"]; the store checks them instead and refuses wrong types.
  properties: {
    author: { description: 'A string' },
    commit_message: { description: 'A string' },
    tags: { description: 'An array of strings' },
    time: { description: 'Seconds since the epoch (a finite number); refused unless the server accepts client times (imports)' },
  },
};

const versionBody: any = {
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: { data: { type: 'string' }, encoding, meta },
};

const nameParams: any = { type: 'object', required: ['name'], properties: { name: NAME } };

export const createSchema: any = {
  summary: 'Create a file', tags: ['files'], operationId: 'createFile',
  params: nameParams,
  body: versionBody,
  response: { 201: { type: 'object', required: ['commit'], properties: { commit: commitSchema } }, ...errors },
};

export const updateSchema: any = {
  summary: 'Add a version to a file (optimistic concurrency on `previous`)', tags: ['files'], operationId: 'updateFile',
  description: 'A stale `previous` answers 409 NOT_AT_HEAD with the current head and the diffs from `previous` to the head and to your data.',
  params: nameParams,
  body: {
    ...versionBody,
    required: ['data', 'previous'],
    properties: { ...versionBody.properties, previous: { ...HASH, description: 'The head this version replaces: the full 40-digit hash (a precondition takes no prefix)' } },
  },
  response: { 200: { type: 'object', required: ['commit'], properties: { commit: commitSchema } }, ...errors },
};

export const getFileSchema: any = {
  summary: 'A version of a file: its data and commit', tags: ['files'], operationId: 'getFile',
  description: '`format=raw` answers the bytes themselves (application/octet-stream).',
  'x-raw': true,
  params: nameParams,
  querystring: {
    type: 'object',
    properties: {
      version: { ...HASH_PREFIX, description: 'A commit of this file, or a unique prefix of its hash (default: the head)' },
      format: { type: 'string', enum: ['json', 'raw'], default: 'json' },
      encoding: { type: 'string', enum: ['utf8', 'base64'], description: 'Default: utf8 for UTF-8 text, base64 otherwise' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['commit', 'data', 'encoding'],
      properties: { commit: commitSchema, data: { type: 'string' }, encoding: { type: 'string', enum: ['utf8', 'base64'] } },
    },
    ...errors,
  },
};

export const deleteSchema: any = {
  summary: 'Remove a file\'s head (its history stays until gc)', tags: ['files'], operationId: 'deleteFile',
  params: nameParams,
  querystring: { type: 'object', properties: { previous: { ...HASH, description: 'When given, must be the current head: the full 40-digit hash (a precondition takes no prefix)' } } },
  response: { 204: { type: 'null', description: 'Deleted' }, ...errors },
};

export const historySchema: any = {
  summary: 'A window of a file\'s history, newest first', tags: ['files'], operationId: 'getHistory',
  params: { type: 'object', required: ['name'], properties: { name: NAME_OR_HASH } },
  querystring: {
    type: 'object',
    properties: {
      depth: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
      includes: { ...HASH_PREFIX, description: 'A commit the window must hold (or a unique prefix of its hash)' },
    },
  },
  response: {
    200: {
      type: 'object', required: ['history', 'skipped'],
      properties: { history: { type: 'array', items: commitSchema }, skipped: { type: 'integer' } },
    },
    ...errors,
  },
};

export const listSchema: any = {
  summary: 'List files: filtered, sorted, searched (`q`), one page at a time with the total and a cursor', tags: ['files'], operationId: 'listFiles',
  querystring: {
    type: 'object',
    properties: {
      ext: { type: 'string', maxLength: 255 },
      tag: { type: 'string', maxLength: 1000 },
      author: { type: 'string', maxLength: 1000 },
      prefix: { type: 'string', maxLength: 255, description: 'Only names starting with this' },
      contains: { type: 'string', minLength: 1, maxLength: 255, description: 'Only names containing this (case-insensitive)' },
      q: { type: 'string', minLength: 1, maxLength: 1000, description: 'Full-text search of the current content' },
      since: { type: 'number', description: 'Only heads saved at or after this time (seconds)' },
      until: { type: 'number', description: 'Only heads saved before this time (seconds)' },
      order: { type: 'string', enum: ['name', 'time'], default: 'name', description: 'By name, or by head time newest first' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Page size' },
      cursor: { type: 'string', maxLength: 100, description: 'The `next` of the previous page' },
      offset: { type: 'integer', minimum: 0, default: 0, description: 'Entries to skip (when no cursor is given)' },
    },
  },
  response: {
    200: {
      type: 'object', required: ['files', 'total', 'next'],
      properties: {
        total: { type: 'integer', description: 'How many files match, on all pages' },
        next: { type: ['string', 'null'], description: 'Cursor of the next page (give it as `cursor`); null on the last page' },
        files: {
          type: 'array',
          items: {
            type: 'object', required: ['name', 'head', 'commit'],
            properties: { name: { type: 'string' }, head: HASH, commit: commitSchema, snippet: { type: 'string' } },
          },
        },
      },
    },
    ...errors,
  },
};

export const diffSchema: any = {
  summary: 'Unified diff and tag changes between two versions', tags: ['files'], operationId: 'getDiff',
  description: 'Without `from`, diffs `to` against its previous version.',
  querystring: {
    type: 'object', required: ['to'],
    properties: { from: NAME_OR_HASH, to: NAME_OR_HASH },
  },
  response: {
    200: {
      type: 'object', required: ['to', 'data', 'tags'],
      properties: {
        from: { anyOf: [commitSchema, { type: 'null' }] },
        to: commitSchema,
        initial: { type: 'boolean' },
        binary: { type: 'boolean' },
        tooLarge: { type: 'boolean', description: 'The versions were too different to diff within the server\'s limits; `data` only says "files differ, N → M lines"' },
        data: { type: 'string', description: 'Unified diff of the data' },
        tags: {
          type: 'object',
          properties: { added: { type: 'array', items: { type: 'string' } }, deleted: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
    ...errors,
  },
};

export const objectSchema: any = {
  summary: 'A raw object by hash', tags: ['objects'], operationId: 'getObject',
  description: '`format=raw` answers the bytes with the type in the X-Gitty-Type header.',
  'x-raw': true,
  params: { type: 'object', required: ['hash'], properties: { hash: HASH_PREFIX } },
  querystring: {
    type: 'object',
    properties: {
      format: { type: 'string', enum: ['json', 'raw'], default: 'json' },
      encoding: { type: 'string', enum: ['utf8', 'base64'] },
    },
  },
  response: {
    200: {
      type: 'object', required: ['hash', 'type', 'size', 'data', 'encoding'],
      properties: {
        hash: HASH, type: { type: 'string' }, size: { type: 'integer' },
        data: { type: 'string' }, encoding: { type: 'string', enum: ['utf8', 'base64'] },
      },
    },
    ...errors,
  },
};

export const healthSchema: any = {
  summary: 'Liveness and the driver in use', tags: ['service'], operationId: 'getHealth',
  response: {
    200: { type: 'object', required: ['ok', 'driver'], properties: { ok: { type: 'boolean' }, driver: { type: 'string' } } },
    ...errors,
  },
};

export const eventsSchema: any = {
  summary: 'Server-sent events of head changes', tags: ['service'], operationId: 'streamEvents',
  description: 'text/event-stream: `event: head` with data `{"name","old","new","origin"}`; `: keep-alive` comments.',
  'x-content-type': 'text/event-stream',
  response: { 200: { type: 'string', description: 'An endless event stream' }, ...errors },
};

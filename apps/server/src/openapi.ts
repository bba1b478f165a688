import type { RouteOptions } from 'fastify';

type Schema = Record<string, unknown>;

/** What the generator needs of a route: its method(s), URL and schema. */
export interface DocumentedRoute {
  method: string | string[];
  url: string;
  schema?: Schema;
}

/** fastify's `/files/:name` → OpenAPI's `/files/{name}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: Schema | undefined, where: 'path' | 'query'): Schema[] {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function responses(schema: Schema): Schema {
  const out: Schema = {};
  const declared = (schema.response ?? {}) as Record<string, Schema>;
  for (const [status, body] of Object.entries(declared)) {
    const code = status.replace(/xx$/, 'XX');
    const description = (body.description as string | undefined) ?? (code.startsWith('2') ? 'Success' : 'Error: {code, message}');
    const content: Schema = { [(schema['x-content-type'] as string | undefined) ?? 'application/json']: { schema: body } };
    // Routes with `format=raw` also answer the bytes themselves.
    if (code === '200' && schema['x-raw']) content['application/octet-stream'] = { schema: { type: 'string', format: 'binary' } };
    out[code] = body.type === 'null' ? { description } : { description, content };
  }
  if (Object.keys(out).length === 0) out['200'] = { description: (schema.description as string | undefined) ?? 'Success' };
  return out;
}

/**
 * Build an OpenAPI 3.1 document from the routes' own JSON schemas (the ones fastify validates
 * with), so the document and the enforcement cannot disagree. Routes whose schema has
 * no schema (the web page, this document) are left out.
 */
export function openApiDocument(
  routes: readonly DocumentedRoute[],
  info: { title: string; version: string; description?: string },
  servers: ReadonlyArray<{ url: string; description?: string }> = [],
): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const schema = route.schema;
    if (!schema) continue;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const operation: Schema = {
        operationId: schema.operationId,
        summary: schema.summary,
        ...(schema.description ? { description: schema.description } : {}),
        tags: schema.tags,
        parameters: [...parameters(schema.params as Schema | undefined, 'path'), ...parameters(schema.querystring as Schema | undefined, 'query')],
        responses: responses(schema),
      };
      if (schema.body) operation.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
      // Writes need the bearer token when the server has one ({} : or none when it has not);
      // reads never need one, stated explicitly (an empty list) rather than left out.
      operation.security = ['POST', 'PUT', 'DELETE'].includes(method) ? [{ bearer: [] }, {}] : [];
      (paths[openApiPath(route.url)] ??= {})[method.toLowerCase()] = operation;
    }
  }
  return {
    openapi: '3.1.0',
    info: { ...info, license: { name: 'BSD-2-Clause', identifier: 'BSD-2-Clause' } },
    servers,
    tags: [
      { name: 'files', description: 'Named files: versions, history, listing, search and diffs' },
      { name: 'objects', description: 'Raw content-addressed objects' },
      { name: 'service', description: 'Health, events and this document' },
    ],
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Needed for writes when the server has a token' } } },
  };
}

/** Collect routes as fastify registers them (add before registering routes). */
export function routeCollector(): { routes: DocumentedRoute[]; onRoute: (route: RouteOptions) => void } {
  const routes: DocumentedRoute[] = [];
  return {
    routes,
    onRoute: (route) => {
      routes.push({ method: route.method, url: route.url, schema: route.schema as Schema | undefined });
    },
  };
}

import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

/** The page's files: a fixed list, so no request path ever reaches the file system. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/diff-view.js': { file: 'diff-view.js', type: 'text/javascript; charset=utf-8' },
  '/api.js': { file: 'api.js', type: 'text/javascript; charset=utf-8' },
  '/names-view.js': { file: 'names-view.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Where the page lives: `src/public` when run from sources, `dist/public` once built (copied there). */
export const PUBLIC_DIR = new URL('../public/', import.meta.url);

// Only our own scripts and styles; the API is same-origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Serve the web page from memory (read once at start). */
export async function webPageRoutes(app: FastifyInstance): Promise<void> {
  for (const [route, asset] of Object.entries(ASSETS)) {
    const body = await readFile(new URL(asset.file, PUBLIC_DIR));
    app.get(route, async (_request, reply) =>
      reply
        .type(asset.type)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(body));
  }
}

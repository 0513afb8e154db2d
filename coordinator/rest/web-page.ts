/**
 * The researcher web page (coordinator/web/, built by Vite into dist/web/)
 * served by the REST app on the API's own origin, so the page's fetches
 * need no CORS and carry the same bearer token as any client. The assets
 * are public (they hold no data: every number comes from an authenticated
 * API call the page makes with the token the user types); the API is not.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './schemas.js';

/** The page's URL path (the API keeps `/v1/...`, `/healthz`, `/openapi.json`). */
export const WEB_PREFIX = '/ui/';

/**
 * Why a search: this module runs from `coordinator/rest/` under vitest and
 * from `dist/coordinator/rest/` when built; the page is in `dist/web/` of
 * the package root in both cases. Null when the page was never built.
 */
export function defaultWebRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const root = join(dir, 'dist', 'web');
      return existsSync(join(root, 'index.html')) ? root : null;
    }
    dir = dirname(dir);
  }
  return null;
}

const html = { type: 'string', description: 'The page (text/html) or one of its built assets.' } as const;

/** Why own routes (serve: false): each declares a schema and is marked public for the auth hook. */
export async function registerWebPage(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/', { schema: { summary: 'Redirects to the researcher web page', tags: ['web'], response: { 302: { type: 'null' } } }, config: { public: true } },
    async (_request, reply) => reply.redirect(WEB_PREFIX, 302));
  // index.html is never cached (it names the hashed assets of the current build).
  app.get(WEB_PREFIX, { schema: { summary: 'The researcher web page (no data: it asks for the bearer token)', tags: ['web'], response: { 200: html } }, config: { public: true } },
    async (_request, reply) => reply.sendFile('index.html', { maxAge: 0, immutable: false }));
  app.get(`${WEB_PREFIX}assets/:file`, {
    schema: {
      summary: 'A built asset of the web page (script, style), content-hashed',
      tags: ['web'],
      params: { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9_.-]*$', maxLength: 200 } } },
      response: { 200: html, 404: errorBody },
    },
    config: { public: true },
  }, async (request, reply) => reply.sendFile(join('assets', (request.params as { file: string }).file), { maxAge: '1y', immutable: true }));
}

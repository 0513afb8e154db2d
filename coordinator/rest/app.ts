/**
 * The researcher REST API as a Fastify app built by a function (the
 * fastify/demo pattern): `coordinator serve` builds it around a Federation
 * and alone listens and shuts down; tests call `inject()` on it.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Federation } from '../federation/types.js';
import { CoordinatorError } from '../errors.js';
import { authenticate, hashTokens } from './auth.js';
import { errorHandler } from './error-handler.js';
import { registerRoutes } from './routes.js';

export interface RestAppOptions {
  readonly federation: Federation;
  /** bearer token -> querier name (the identity passed to the engine and the nodes' logs). */
  readonly tokens: ReadonlyMap<string, string>;
  /** A pino logger, true for fastify's default pino, false/unset for none. */
  readonly logger?: FastifyBaseLogger | boolean;
  /** Largest accepted request body in bytes; default 64 MiB (1,000,000 variants as strings is ~25 MB). */
  readonly bodyLimit?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated querier name; set by the auth hook on every non-public route. */
    querier: string | null;
  }
}

export { hashTokens };

export async function buildRestApp(options: RestAppOptions): Promise<FastifyInstance> {
  const hashed = hashTokens(options.tokens);
  if (hashed.length === 0) throw new CoordinatorError('GENOFED_CONFIG', 'REST API: no querier tokens configured');
  const logger = options.logger;
  const app = Fastify({
    ...(typeof logger === 'object' ? { loggerInstance: logger } : { logger: logger ?? false }),
    bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024,
    // Request logs would carry URLs only, but keep them to our own lines
    // (query id, kind, status, duration): never a body, never a header.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: {
      // Reject, never silently strip or coerce: a typo in a field name must
      // not turn a restricted query into an unrestricted one.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.decorateRequest('querier', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send({ error: { code: 'GENOFED_BAD_REQUEST', message: 'no such route' } });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'genofed coordinator API',
        description: 'Network-wide allele frequencies and cohort counts, summed under BFV encryption across hospital nodes.',
        version: '1.0.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  // Deny by default: every route needs a token unless it is declared `config: { public: true }`.
  // Decided on the matched route, never on the URL text: the router percent-decodes paths,
  // so a prefix check on `request.url` would let `/%761/sites` through.
  app.addHook('onRequest', async (request) => {
    if ((request.routeOptions.config as { public?: boolean } | undefined)?.public === true) return;
    const querier = authenticate(request.headers.authorization, hashed);
    if (querier === null) throw new CoordinatorError('GENOFED_UNAUTHORIZED', 'missing or unknown bearer token');
    request.querier = querier;
  });

  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  registerRoutes(app, options.federation);
  return app;
}

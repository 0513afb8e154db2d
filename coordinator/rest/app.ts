/**
 * The researcher REST API as a Fastify app built by a function (the
 * fastify/demo pattern): `coordinator serve` builds it around a Federation
 * and alone listens and shuts down; tests call `inject()` on it.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { Federation } from '../federation/types.js';
import { CoordinatorError } from '../errors.js';
import { authenticate, hashTokens } from './auth.js';
import { errorHandler } from './error-handler.js';
import { createRestMetrics, registerMetrics, type RestMetrics } from './metrics.js';
import { registerRoutes } from './routes.js';
import { defaultWebRoot, registerWebPage } from './web-page.js';

export interface RestAppOptions {
  readonly federation: Federation;
  /** bearer token -> querier name (the identity passed to the engine and the nodes' logs). */
  readonly tokens: ReadonlyMap<string, string>;
  /** A pino logger, true for fastify's default pino, false/unset for none. */
  readonly logger?: FastifyBaseLogger | boolean;
  /** Body and rate limits (the config's `limits` section); defaults as there. */
  readonly limits?: Partial<RestLimits>;
  /** Folder of the built web page (index.html, assets/) served at /ui/; default dist/web of the package when built; false: no page. */
  readonly web?: string | false;
  /** The registry `GET /metrics` serves (metrics.ts); default a new one with process metrics. */
  readonly metrics?: RestMetrics;
}

export interface RestLimits {
  /** Largest accepted request body in bytes (413 GENOFED_BODY_TOO_LARGE above it). */
  readonly maxBodyBytes: number;
  /** Authenticated requests per querier per minute (429 GENOFED_TOO_MANY_REQUESTS with Retry-After above it). */
  readonly queriesPerMinutePerToken: number;
}

/**
 * 8 MiB: ~300,000 variants as `chrom-pos-ref-alt` strings (~25 bytes each
 * in JSON); larger lists go by region. 60 a minute: a researcher script
 * looping over genes, not a flood (each query fans out to every site).
 */
export const DEFAULT_REST_LIMITS: RestLimits = Object.freeze({ maxBodyBytes: 8 * 1024 * 1024, queriesPerMinutePerToken: 60 });

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
  const limits: RestLimits = { ...DEFAULT_REST_LIMITS, ...options.limits };
  const app = Fastify({
    ...(typeof logger === 'object' ? { loggerInstance: logger } : { logger: logger ?? false }),
    // Checked on Content-Length before reading, and while streaming a chunked body.
    bodyLimit: limits.maxBodyBytes,
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
  app.setErrorHandler(errorHandler(limits));
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

  // Before the auth hook, so requests refused with 401 are counted too.
  registerMetrics(app, options.metrics ?? createRestMetrics());

  // Deny by default: every route needs a token unless it is declared `config: { public: true }`.
  // Decided on the matched route, never on the URL text: the router percent-decodes paths,
  // so a prefix check on `request.url` would let `/%761/sites` through.
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.config as { public?: boolean; optionalAuth?: boolean } | undefined;
    // `optionalAuth` (Beacon, beacon/beacon-routes.ts): public, but a token presented raises the access level, and an unknown one is a 401.
    if (route?.public === true && !(route.optionalAuth === true && request.headers.authorization !== undefined)) return;
    const querier = authenticate(request.headers.authorization, hashed);
    if (querier === null) throw new CoordinatorError('GENOFED_UNAUTHORIZED', 'missing or unknown bearer token');
    request.querier = querier;
  });

  // Per authenticated querier (all its tokens), never per IP: researchers behind one NAT or proxy
  // do not share a limit, and one researcher cannot escape it by changing address. Runs at
  // preParsing, after the auth hook and before the body is read; public routes are not counted.
  await app.register(rateLimit, {
    global: true,
    hook: 'preParsing',
    max: limits.queriesPerMinutePerToken,
    timeWindow: 60_000,
    keyGenerator: (request) => request.querier ?? '',
    allowList: (request) => request.querier === null,
    errorResponseBuilder: (_request, context) =>
      new CoordinatorError('GENOFED_TOO_MANY_REQUESTS', `rate limit of ${context.max} requests per minute reached for this token; retry in ${Math.max(1, Math.ceil(context.ttl / 1000))} s`),
  });

  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  registerRoutes(app, options.federation);
  const webRoot = options.web === undefined ? defaultWebRoot() : options.web;
  if (webRoot) await registerWebPage(app, webRoot);
  return app;
}

/**
 * Prometheus metrics of the researcher API (`GET /metrics`, prom-client):
 * requests per route, method and status; latency per route; bytes in and
 * out per route; queries per kind and outcome with the error code of a
 * failure. One registry per app (tests build several apps in one process).
 *
 * Every label value comes from a fixed set: the route pattern fastify
 * matched (never the URL as sent: a path may carry a researcher's text),
 * the method, the status code, the query kinds below, the stable error
 * codes of coordinator/errors.ts and proto/errors.ts. No querier name, no
 * cohort expression, region or variant ever becomes a label.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PROTO_ERRORS } from '../../proto/errors.js';
import { COORDINATOR_ERRORS } from '../errors.js';
import { errorBody } from './schemas.js';

/** The query kinds the REST routes name in `timed()`; anything else (a route added later) is `other`. */
export const METRIC_QUERY_KINDS = ['allele-frequency', 'cohort-count', 'association', 'expression', 'eqtl'] as const;

/** Outcomes of a query: answered, or failed with a code (a refusal, a site failure, a bad request). */
export const METRIC_OUTCOMES = ['answered', 'failed'] as const;

/** HTTP methods a route may have; anything else is `OTHER`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Stable codes a failure may carry (label `code`); anything else is `GENOFED_INTERNAL`. */
export const METRIC_ERROR_CODES: ReadonlySet<string> = new Set([...Object.keys(COORDINATOR_ERRORS), ...Object.keys(PROTO_ERRORS), 'none']);

/** Label names of each metric this module defines: the test's allow-list, and what the README documents. */
export const REST_METRIC_LABELS = {
  genofed_http_requests_total: ['route', 'method', 'status'],
  genofed_http_request_duration_seconds: ['route', 'method'],
  genofed_http_request_bytes_total: ['route'],
  genofed_http_response_bytes_total: ['route'],
  genofed_queries_total: ['kind', 'outcome', 'code'],
  genofed_query_duration_seconds: ['kind', 'outcome'],
} as const;

/** The route label of a request nobody matched (404): the URL itself may be anything a client typed. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Latency buckets: a health check takes ~1 ms, a cohort count over three
 * test-preset sites ~0.3 s, a million-variant answer minutes.
 */
const BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600];

export interface RestMetrics {
  /** This app's metrics (without the process metrics). */
  readonly registry: Registry;
  /** Scrape text: this app's metrics and, unless turned off, the process metrics. */
  text(): Promise<string>;
  /** One query's end (routes.ts `timed`): kind and code are reduced to their fixed sets here. */
  query(kind: string, outcome: (typeof METRIC_OUTCOMES)[number], code: string, seconds: number): void;
}

function queryKind(kind: string): string {
  return (METRIC_QUERY_KINDS as readonly string[]).includes(kind) ? kind : 'other';
}

function errorCode(code: string): string {
  return METRIC_ERROR_CODES.has(code) ? code : 'GENOFED_INTERNAL';
}

let processMetrics: Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, event loop, GC) belong to
 * the process, not to one app: one registry, started on first use and
 * merged into each scrape, so building many apps (tests) starts one set
 * of collectors, not one per app.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** The app's registry and its metrics; `defaults` (default on) adds the process metrics to each scrape. */
export function createRestMetrics(options: { defaults?: boolean } = {}): RestMetrics {
  const registry = new Registry();
  const L = REST_METRIC_LABELS;
  const registers = [registry];
  const queries = new Counter({ name: 'genofed_queries_total', help: 'Queries by kind and outcome; code is the stable error code of a failure (none when answered).', labelNames: L.genofed_queries_total, registers });
  const queryDuration = new Histogram({ name: 'genofed_query_duration_seconds', help: 'Time from a query route being called to the engine answering or failing.', labelNames: L.genofed_query_duration_seconds, buckets: BUCKETS, registers });
  // Declared here, fed by the hooks of registerMetrics (they need the registry's objects).
  new Counter({ name: 'genofed_http_requests_total', help: 'HTTP requests by route pattern, method and status.', labelNames: L.genofed_http_requests_total, registers });
  new Histogram({ name: 'genofed_http_request_duration_seconds', help: 'HTTP request latency by route pattern (streamed answers: until the last byte).', labelNames: L.genofed_http_request_duration_seconds, buckets: BUCKETS, registers });
  new Counter({ name: 'genofed_http_request_bytes_total', help: 'Request body bytes received, by route pattern.', labelNames: L.genofed_http_request_bytes_total, registers });
  new Counter({ name: 'genofed_http_response_bytes_total', help: 'Response body bytes sent, by route pattern.', labelNames: L.genofed_http_response_bytes_total, registers });
  return {
    registry,
    text: () => (options.defaults === false ? registry : Registry.merge([registry, processRegistry()])).metrics(),
    query(kind, outcome, code, seconds) {
      const k = queryKind(kind);
      queries.inc({ kind: k, outcome, code: outcome === 'answered' ? 'none' : errorCode(code) });
      queryDuration.observe({ kind: k, outcome }, seconds);
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's metrics (routes.ts `timed` reports queries to it); null before registerMetrics. */
    restMetrics: RestMetrics | null;
  }
  interface FastifyRequest {
    /** Metrics bookkeeping of this request (start time, body bytes sent). */
    metricsStart: { t0: number; sent: number } | null;
  }
}

function routeOf(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  return typeof url === 'string' && url.length > 0 ? url : UNMATCHED_ROUTE;
}

/**
 * Hooks that feed the HTTP metrics, and `GET /metrics`. The route needs a
 * bearer token like every other (deny by default; Prometheus sends one with
 * `authorization: { credentials_file }`) and is not rate limited: a scrape
 * every 15 s must not eat into a querier's 60 queries a minute.
 */
export function registerMetrics(app: FastifyInstance, metrics: RestMetrics): void {
  app.decorate('restMetrics', metrics);
  app.decorateRequest('metricsStart', null);
  const get = <T>(name: string): T => metrics.registry.getSingleMetric(name) as T;
  const requests = get<Counter<'route' | 'method' | 'status'>>('genofed_http_requests_total');
  const duration = get<Histogram<'route' | 'method'>>('genofed_http_request_duration_seconds');
  const bytesIn = get<Counter<'route'>>('genofed_http_request_bytes_total');
  const bytesOut = get<Counter<'route'>>('genofed_http_response_bytes_total');

  app.addHook('onRequest', async (request, reply) => {
    const m = { t0: performance.now(), sent: 0 };
    request.metricsStart = m;
    // Count body bytes as written: streamed answers (NDJSON, TSV) have no Content-Length.
    const raw = reply.raw;
    const write = raw.write.bind(raw) as (...a: unknown[]) => boolean;
    const end = raw.end.bind(raw) as (...a: unknown[]) => typeof raw;
    const size = (chunk: unknown): number => (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.byteLength : 0);
    raw.write = ((...a: unknown[]) => { m.sent += size(a[0]); return write(...a); }) as typeof raw.write;
    raw.end = ((...a: unknown[]) => { if (typeof a[0] !== 'function') m.sent += size(a[0]); return end(...a); }) as typeof raw.end;
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const m = request.metricsStart;
    if (!m) return;
    const route = routeOf(request);
    const method = METHODS.has(request.method) ? request.method : 'OTHER';
    requests.inc({ route, method, status: String(reply.statusCode) });
    duration.observe({ route, method }, (performance.now() - m.t0) / 1000);
    const length = Number(request.headers['content-length'] ?? 0);
    if (Number.isSafeInteger(length) && length > 0) bytesIn.inc({ route }, length);
    if (m.sent > 0) bytesOut.inc({ route }, m.sent);
  });

  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics of this coordinator (text exposition format 0.0.4)',
      tags: ['operations'],
      security: [{ bearer: [] }],
      response: {
        200: {
          description: 'Prometheus text exposition: requests, latency and bytes per route pattern; queries per kind, outcome and error code; process metrics. No label carries a querier, cohort expression, region or variant.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        401: errorBody, 429: errorBody, 500: errorBody, 503: errorBody,
      },
    },
    config: { rateLimit: false },
  }, async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.text();
  });
}

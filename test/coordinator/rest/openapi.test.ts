import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { openApiPath, registeredRoutes } from '../../route-table.js';
import { FakeFederation, tokens } from './fake-federation.js';

/** Routes that are the documentation itself, not part of the API it documents. */
const DOCUMENTATION_ROUTES = new Set(['/openapi.json']);

describe('OpenAPI document', () => {
  it('GET /openapi.json lists both query routes with request and response schemas and bearer security', async () => {
    const app = await buildRestApp({ federation: new FakeFederation(), tokens });
    try {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
      for (const path of ['/v1/queries/allele-frequency', '/v1/queries/cohort-count']) {
        const op = doc.paths[path].post;
        expect(op.security).toEqual([{ bearer: [] }]);
        expect(op.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '500', '503']));
      }
      expect(doc.paths['/v1/sites'].get).toBeDefined();
      expect(doc.paths['/healthz'].get).toBeDefined();
      expect(doc.paths['/openapi.json']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('the document is valid OpenAPI 3.1 by the official schema (@seriousme/openapi-schema-validator)', async () => {
    const app = await buildRestApp({ federation: new FakeFederation(), tokens });
    try {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(doc.openapi).toBe('3.1.0');
      const validator = new Validator();
      const result = await validator.validate(doc);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
    } finally {
      await app.close();
    }
  });

  it('every route the app registered (Beacon, web page, metrics included) is in the document with its method, and nothing else is', async () => {
    const app = await buildRestApp({ federation: new FakeFederation(), tokens });
    try {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
      // HEAD routes are fastify's automatic twins of GET routes; OpenAPI lists the GET.
      const routes = registeredRoutes(app).filter((r) => r.method !== 'HEAD' && !DOCUMENTATION_ROUTES.has(r.url));
      expect(routes.length).toBeGreaterThanOrEqual(9);
      const missing = routes.filter((r) => doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()] === undefined).map((r) => `${r.method} ${r.url}`);
      expect(missing).toEqual([]);
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((k) => k !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`));
      expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort());
      // The metrics route is among them, behind the bearer token.
      expect((doc.paths['/metrics']?.get as { security?: unknown } | undefined)?.security).toEqual([{ bearer: [] }]);
    } finally {
      await app.close();
    }
  });
});

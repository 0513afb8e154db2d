import { describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { FakeFederation, tokens } from './fake-federation.js';

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
});

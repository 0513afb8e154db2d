import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { authenticate, hashTokens } from '../../../coordinator/rest/auth.js';
import { FakeFederation, TOKEN, auth, tokens } from './fake-federation.js';

describe('REST bearer-token authentication', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  beforeEach(async () => {
    fed = new FakeFederation();
    app = await buildRestApp({ federation: fed, tokens });
  });
  afterEach(async () => app.close());

  it('a query without an Authorization header is refused with 401 and WWW-Authenticate: Bearer', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', payload: { cohort: 'gender=female' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toEqual({ error: { code: 'GENOFED_UNAUTHORIZED', message: 'missing or unknown bearer token' } });
    expect(fed.cohortRequests).toHaveLength(0);
  });

  it('an unknown token, a token differing in one character, and a Basic header are all refused', async () => {
    for (const header of ['Bearer nope-nope-nope-nope-nope', `Bearer ${TOKEN.slice(0, -1)}g`, `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer']) {
      const res = await app.inject({ method: 'GET', url: '/v1/sites', headers: { authorization: header } });
      expect(res.statusCode, header).toBe(401);
    }
  });

  it('a known token reaches the engine with the querier name it maps to', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: auth, payload: { cohort: 'gender=female' } });
    expect(res.statusCode).toBe(200);
    expect(fed.cohortRequests[0]?.querier).toBe('alice');
    const res2 = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: { authorization: 'bearer tok-other-querier-0123456789' }, payload: { cohort: 'x=1' } });
    expect(res2.statusCode).toBe(200);
    expect(fed.cohortRequests[1]?.querier).toBe('bob');
  });

  it('percent-encoded or otherwise disguised paths to a /v1 route still need a token', async () => {
    for (const url of ['/%761/sites', '/v%31/sites', '/%76%31/queries/cohort-count', '/./v1/sites']) {
      const method = url.includes('cohort') ? 'POST' : 'GET';
      const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: { cohort: 'x=1' } } : {}) });
      expect(res.statusCode, url).toBe(401);
    }
    expect(fed.cohortRequests).toHaveLength(0);
  });

  it('an unknown route without a token is refused like any other (deny by default)', async () => {
    expect((await app.inject({ method: 'GET', url: '/v2/anything' })).statusCode).toBe(401);
  });

  it('/healthz and /openapi.json need no token', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('tokens shorter than 16 characters are rejected at start-up, and an empty token table too', async () => {
    expect(() => hashTokens(new Map([['short', 'x']]))).toThrow(/shorter than 16/);
    await expect(buildRestApp({ federation: fed, tokens: new Map() })).rejects.toMatchObject({ code: 'GENOFED_CONFIG' });
  });

  it('authenticate compares digests and returns null for anything but a known bearer token', () => {
    const h = hashTokens(tokens);
    expect(authenticate(`Bearer ${TOKEN}`, h)).toBe('alice');
    expect(authenticate(undefined, h)).toBeNull();
    expect(authenticate(`Bearer ${TOKEN} extra`, h)).toBeNull();
    expect(authenticate(TOKEN, h)).toBeNull();
  });
});

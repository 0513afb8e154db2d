/**
 * REST resource limits: a body over limits.maxBodyBytes is 413
 * GENOFED_BODY_TOO_LARGE (declared length or streamed) without echoing
 * any of it and without reaching the engine; requests over
 * limits.queriesPerMinutePerToken are 429 GENOFED_TOO_MANY_REQUESTS with
 * Retry-After, counted per authenticated querier (two tokens, two budgets;
 * one querier from two addresses, one budget), never for public routes or
 * refused tokens; the defaults are 8 MiB and 60 a minute.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRestApp, DEFAULT_REST_LIMITS } from '../../../coordinator/rest/app.js';
import { FakeFederation, TOKEN, auth, tokens } from './fake-federation.js';

const BOB = { authorization: 'Bearer tok-other-querier-0123456789' };

describe('REST limits', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('defaults to 8 MiB bodies and 60 requests a minute per token', () => {
    expect(DEFAULT_REST_LIMITS).toEqual({ maxBodyBytes: 8 * 1024 * 1024, queriesPerMinutePerToken: 60 });
  });

  it('refuses a body over maxBodyBytes with 413 and a JSON error that echoes none of it', async () => {
    const fed = new FakeFederation();
    app = await buildRestApp({ federation: fed, tokens, limits: { maxBodyBytes: 4_096 } });
    const marker = 'HG00096-secret-cohort';
    const variants = Array.from({ length: 400 }, (_, i) => `1-${10_000 + i}-A-G`);
    const payload = JSON.stringify({ variants, cohort: `sample = '${marker}'` });
    expect(payload.length).toBeGreaterThan(4_096);
    const res = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: { ...auth, 'content-type': 'application/json' }, payload });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: { code: 'GENOFED_BODY_TOO_LARGE', message: expect.stringContaining('limit of 4096 bytes') } });
    expect(res.body).not.toContain(marker);
    expect(res.body).not.toContain('10000');
    expect(fed.afRequests).toHaveLength(0);
    // Streamed without a Content-Length (chunked): cut while reading, same answer.
    const streamed = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: { ...auth, 'content-type': 'application/json' }, payload: Readable.from([payload.slice(0, 3_000), payload.slice(3_000)]) });
    expect(streamed.statusCode).toBe(413);
    expect(streamed.json()).toMatchObject({ error: { code: 'GENOFED_BODY_TOO_LARGE' } });
    // Under the limit, the same route answers.
    const small = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: auth, payload: { variants: variants.slice(0, 10) } });
    expect(small.statusCode).toBe(200);
    // Without a token the body is never read: 401, not 413.
    const anonymous = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: { 'content-type': 'application/json' }, payload });
    expect(anonymous.statusCode).toBe(401);
  });

  it('answers 429 with Retry-After once a token\'s querier exceeds queriesPerMinutePerToken; another token has its own count', async () => {
    const fed = new FakeFederation();
    app = await buildRestApp({ federation: fed, tokens, limits: { queriesPerMinutePerToken: 3 } });
    const ask = (headers: Record<string, string>, remoteAddress = '10.0.0.1') =>
      app!.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers, payload: { cohort: 'gender=female' }, remoteAddress });
    // One querier from three addresses: keyed by who authenticated, not by IP.
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect((await ask(auth, ip)).statusCode).toBe(200);
    const limited = await ask(auth, '10.0.0.4');
    expect(limited.statusCode).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.json()).toEqual({ error: { code: 'GENOFED_TOO_MANY_REQUESTS', message: expect.stringMatching(/^rate limit of 3 requests per minute reached for this token; retry in \d+ s$/) } });
    expect(limited.body).not.toContain(TOKEN);
    expect(fed.cohortRequests).toHaveLength(3); // the refused request never reached the engine
    // GET /v1/sites counts too (it fans out to every site).
    expect((await app.inject({ method: 'GET', url: '/v1/sites', headers: auth })).statusCode).toBe(429);
    // Bob, same address as Alice's last request, has his own count.
    expect((await ask(BOB, '10.0.0.4')).statusCode).toBe(200);
    // Public routes and refused tokens are not counted (and not limited).
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await ask({ authorization: 'Bearer not-a-known-token-at-all' })).statusCode).toBe(401);
    expect((await ask(BOB)).statusCode).toBe(200);
  });

  it('opens a new window a minute after the first request of the last one', async () => {
    const fed = new FakeFederation();
    app = await buildRestApp({ federation: fed, tokens, limits: { queriesPerMinutePerToken: 1 } });
    const realNow = Date.now;
    let now = realNow();
    Date.now = () => now;
    try {
      expect((await app.inject({ method: 'GET', url: '/v1/sites', headers: auth })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/v1/sites', headers: auth })).statusCode).toBe(429);
      now += 60_001;
      expect((await app.inject({ method: 'GET', url: '/v1/sites', headers: auth })).statusCode).toBe(200);
    } finally {
      Date.now = realNow;
    }
  });
});

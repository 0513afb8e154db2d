import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { toErrorReply } from '../../../coordinator/rest/error-handler.js';
import { CoordinatorError } from '../../../coordinator/errors.js';
import { GenofedError, GrpcStatus, ProtoError } from '../../../proto/errors.js';
import { FakeFederation, auth, tokens } from './fake-federation.js';

describe('REST error mapping', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  let logged: string[];
  beforeEach(async () => {
    fed = new FakeFederation();
    logged = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    app = await buildRestApp({ federation: fed, tokens, logger });
  });
  afterEach(async () => app.close());

  const query = () => app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: auth, payload: { region: '1:1-100000' } });

  it('an engine error with a stable code keeps its code, message and HTTP status', async () => {
    fed.failWith = new GenofedError('GENOFED_SITE_UNAVAILABLE', { http: 503, grpc: GrpcStatus.UNAVAILABLE, doc: 'site down for the test' }, 'site b did not answer within 30000 ms');
    const res = await query();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { code: 'GENOFED_SITE_UNAVAILABLE', message: 'site b did not answer within 30000 ms' } });
  });

  it('a bad region from the shared domain code is a 400 with its own code', async () => {
    fed.failWith = new ProtoError('GENOFED_BAD_REGION', 'region: START must be <= END');
    const res = await query();
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('GENOFED_BAD_REGION');
  });

  it('an unexpected error is a 500 with a fixed message; the details go only to the server log', async () => {
    fed.failWith = new TypeError('cannot read HG00096 genotype 0|1');
    const res = await query();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'GENOFED_INTERNAL', message: 'internal error' } });
    expect(res.body).not.toContain('HG00096');
    expect(logged.join('\n')).toContain('request failed');
  });

  it('logs carry the query id and kind but never the request body', async () => {
    await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: auth, payload: { region: '1:1-100000', cohort: 'sample_marker_xyz=1' } });
    const all = logged.join('\n');
    expect(all).toContain('q-af-1');
    expect(all).toContain('allele-frequency');
    expect(all).not.toContain('sample_marker_xyz');
    expect(all).not.toContain('tok-researcher');
  });

  it('toErrorReply maps coded errors, schema errors and unknown errors', () => {
    expect(toErrorReply(new CoordinatorError('GENOFED_UNAUTHORIZED', 'x'))).toEqual({ status: 401, code: 'GENOFED_UNAUTHORIZED', message: 'x' });
    expect(toErrorReply({ validation: [{ instancePath: '/variants/0/pos', message: 'must be integer' }] })).toEqual({ status: 400, code: 'GENOFED_BAD_REQUEST', message: 'variants.0.pos must be integer' });
    expect(toErrorReply({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, message: 'Request body is too large' }, 1024)).toEqual({ status: 413, code: 'GENOFED_BODY_TOO_LARGE', message: expect.stringContaining('limit of 1024 bytes') });
    expect(toErrorReply('a string')).toEqual({ status: 500, code: 'GENOFED_INTERNAL', message: 'internal error' });
    expect(toErrorReply(null).status).toBe(500);
  });
});

/**
 * POST /v1/queries/expression and `genofed query expr` against a
 * federation double: the body reaches the federation as a
 * differential-expression request, only declared fields leave, an infinite
 * prior df travels as null, and the CLI prints `gene logfc ave_expr t p
 * adj_p` in the federation's order with a summary on stderr.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { runCli } from './run-cli.js';
import { FakeFederation, auth, tokens, TOKEN, NOTHING_WITHHELD } from './fake-federation.js';


const ROWS = [
  { gene: 'FBgn0039155', logfc: -4.41, ave_expr: 5.03, t: -27.2, p: 1.1e-9, adj_p: 8.2e-6, secret: 'x' },
  { gene: 'FBgn0025111', logfc: 2.89, ave_expr: 6.81, t: 21.5, p: 6.5e-9, adj_p: 2.4e-5 },
  { gene: 'FBgn0000008', logfc: 0.01, ave_expr: 4.2, t: 0.1, p: 0.92, adj_p: 0.99 },
];

const run = runCli;

describe('the expression route and command', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-expr-route-'));
    fed = new FakeFederation();
    fed.deAnswer = {
      queryId: 'q-de-1', rows: ROWS, n: 7, values: 'counts', design: ['(Intercept)', 'group', 'libtypepaired-end'], dfResidual: 4, dfPrior: Number.POSITIVE_INFINITY as never,
      s2Prior: 0.02, genesNotAtEverySite: 2, dp: null, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: NOTHING_WITHHELD, noise: null, remainingEpsilon: null,
    };
    app = await buildRestApp({ federation: fed, tokens });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes groups, covariates, genes and trend on, and returns declared fields only', async () => {
    fed.deAnswer = { ...fed.deAnswer!, dfPrior: null };
    const res = await app.inject({ method: 'POST', url: '/v1/queries/expression', headers: auth, payload: { groupA: "condition='treated'", groupB: "condition='untreated'", covariates: ['libtype'], genes: ['FBgn0000008'], trend: true } });
    expect(res.statusCode).toBe(200);
    expect(fed.deRequests.at(-1)).toEqual({ querier: 'alice', groupA: "condition='treated'", groupB: "condition='untreated'", covariates: ['libtype'], genes: ['FBgn0000008'], trend: true });
    const body = res.json();
    expect(body.rows[0]).not.toHaveProperty('secret');
    expect(body).toMatchObject({ n: 7, values: 'counts', dfPrior: null, genesNotAtEverySite: 2 });
    expect((await app.inject({ method: 'POST', url: '/v1/queries/expression', headers: auth, payload: { groupA: 'a=1' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/queries/expression', headers: auth, payload: { groupA: 'a=1', groupB: 'a=2', genes: [] } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/queries/expression', payload: { groupA: 'a=1', groupB: 'a=2' } })).statusCode).toBe(401);
  });

  it('genofed query expr prints the TSV in the federation\'s order, full precision, and the volcano counts on stderr', async () => {
    await writeFile(join(dir, 'genes.txt'), '# genes\nFBgn0039155\nFBgn0025111 extra\n\n');
    const r = await run(['query', 'expr', '--coordinator', url, '--token', TOKEN, '--group-a', "condition='treated'", '--group-b', "condition='untreated'", '--covariates', 'libtype', '--genes', join(dir, 'genes.txt'), '--trend']);
    expect(r.code, r.err).toBe(0);
    expect(fed.deRequests.at(-1)).toEqual({ querier: 'alice', groupA: "condition='treated'", groupB: "condition='untreated'", covariates: ['libtype'], genes: ['FBgn0039155', 'FBgn0025111'], trend: true });
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('gene\tlogfc\tave_expr\tt\tp\tadj_p');
    expect(lines[1]).toBe('FBgn0039155\t-4.41\t5.03\t-27.2\t1.1e-9\t0.0000082');
    expect(lines).toHaveLength(4);
    expect(r.err).toMatch(/3 genes \(log-CPM\), n = 7, model ~ group \+ libtypepaired-end; 1 up and 1 down at 5% FDR/);
    expect(r.err).toMatch(/2 genes not held by every site were not tested/);
  });

  it('a genes file that names no gene is a usage error before anything is asked', async () => {
    await writeFile(join(dir, 'empty.txt'), '# nothing\n');
    const before = fed.deRequests.length;
    const r = await run(['query', 'expr', '--coordinator', url, '--token', TOKEN, '--group-a', 'a=1', '--group-b', 'a=2', '--genes', join(dir, 'empty.txt')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/names no gene/);
    expect(fed.deRequests.length).toBe(before);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { AF_NOTE, FakeFederation, auth, tokens } from './fake-federation.js';

describe('REST query routes', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  beforeEach(async () => {
    fed = new FakeFederation();
    app = await buildRestApp({ federation: fed, tokens });
  });
  afterEach(async () => app.close());

  const af = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: auth, payload: payload as object });

  it('an allele-frequency query by region returns rows, af null where an is 0, and the responding sites', async () => {
    const res = await af({ region: 'chr1:10000-20000', cohort: 'super_pop=EUR', by: ['gender'] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.queryId).toBe('q-af-1');
    expect(body.rows[0]).toEqual({ chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac: 2130, an: 5008, af: 2130 / 5008, nhomalt: 570, faf95: 0.41027547791971697 });
    expect(body.rows[1].af).toBeNull();
    // A count withheld by disclosure control travels as its bound, with the note saying why.
    expect(body.rows[2]).toEqual({ chrom: '1', pos: 10352, ref: 'T', alt: 'TA', ac: '<5', an: 5008, af: null, nhomalt: 0, faf95: null });
    expect(body.disclosure).toEqual(AF_NOTE);
    expect(body.noise).toBeNull();
    expect(body.sites).toEqual({ responding: ['a', 'b', 'c'], missing: [] });
    expect(fed.afRequests[0]).toEqual({ querier: 'alice', region: 'chr1:10000-20000', cohort: 'super_pop=EUR', by: ['gender'] });
    expect(body.groupMaxima).toBeNull();
  });

  it('grpmaxExclude reaches the engine as given; a non-array or an over-long list is a 400', async () => {
    expect((await af({ region: '1:1-10', by: ['super_pop'], grpmaxExclude: ['FIN', 'oth'] })).statusCode).toBe(200);
    expect(fed.afRequests.at(-1)).toEqual({ querier: 'alice', region: '1:1-10', by: ['super_pop'], grpmaxExclude: ['FIN', 'oth'] });
    expect((await af({ region: '1:1-10', by: ['super_pop'], grpmaxExclude: 'FIN' })).statusCode).toBe(400);
    expect((await af({ region: '1:1-10', by: ['super_pop'], grpmaxExclude: Array.from({ length: 65 }, (_, i) => `g${i}`) })).statusCode).toBe(400);
  });

  it('only declared fields leave: extra properties on the answer, its rows or its sites are dropped', async () => {
    fed.afAnswer = {
      queryId: 'q-x', perSiteCounts: { a: [1, 2] },
      rows: [{ chrom: '1', pos: 5, ref: 'A', alt: 'C', ac: 1, an: 2, af: 0.5, nhomalt: 0, homRef: 7, sampleIds: ['HG00096'] }],
      groupMaxima: { column: 'super_pop', exclude: [], perSite: { a: 1 }, rows: [{ chrom: '1', pos: 5, ref: 'A', alt: 'C', grpmax: { group: 'EUR', ac: 1, an: 2, af: 0.5, nhomalt: 0, site: 'a' }, faf95_max: null, raw: [1] }] },
      sites: { responding: ['a'], missing: [{ site: 'b', reason: 'down', address: '10.0.0.7:7401' }], extra: true },
      disclosure: { policy: { k: 5, smallCounts: 'suppress', roundTo: 5, secret: 1 }, rowsAffected: 0, rules: [], rawTotals: [1, 2, 0] },
      noise: null, remainingEpsilon: 2.5,
    } as never;
    const res = await af({ region: '1:1-10' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"queryId":"q-x","rows":[{"chrom":"1","pos":5,"ref":"A","alt":"C","ac":1,"an":2,"af":0.5,"nhomalt":0,"faf95":null}],"groupMaxima":{"column":"super_pop","exclude":[],"rows":[{"chrom":"1","pos":5,"ref":"A","alt":"C","grpmax":{"group":"EUR","ac":1,"an":2,"af":0.5,"nhomalt":0},"faf95_max":null}]},"sites":{"responding":["a"],"missing":[{"site":"b","reason":"down"}]},"disclosure":{"policy":{"k":5,"smallCounts":"suppress","roundTo":5},"rowsAffected":0,"rules":[]},"noise":null,"remainingEpsilon":2.5}');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('variants may be objects or chrom-pos-ref-alt strings, including contigs that contain a dash', async () => {
    const res = await af({ variants: [{ chrom: '22', pos: 16050075, ref: 'A', alt: 'G' }, '1-10177-a-ac', 'HLA-A*01:01-5-C-<DEL>', 'chrX:100:g:<INS:ME:SVA>'] });
    expect(res.statusCode).toBe(200);
    expect(fed.afRequests[0]?.variants).toEqual([
      { chrom: '22', pos: 16050075, ref: 'A', alt: 'G' },
      { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' },
      { chrom: 'HLA-A*01:01', pos: 5, ref: 'C', alt: '<DEL>' },
      { chrom: 'chrX', pos: 100, ref: 'G', alt: '<INS:ME:SVA>' },
    ]);
  });

  it('a body with both region and variants, or neither, is a 400 schema failure that never reaches the engine', async () => {
    for (const payload of [{ region: '1:1-2', variants: ['1-5-A-C'] }, { cohort: 'x=1' }]) {
      const res = await af(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('GENOFED_BAD_REQUEST');
    }
    expect(fed.afRequests).toHaveLength(0);
  });

  it('an unknown field is rejected rather than silently dropped (a misspelt cohort must not widen the query)', async () => {
    const res = await af({ region: '1:1-2', cohrot: 'super_pop=EUR' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/additional properties/);
    expect(fed.afRequests).toHaveLength(0);
  });

  it('wrong types are not coerced: by "gender" and pos "5" are refused, and minSites no longer exists', async () => {
    expect((await af({ region: '1:1-2', by: 'gender' })).statusCode).toBe(400);
    expect((await af({ region: '1:1-2', minSites: 2 })).statusCode).toBe(400);
    expect((await af({ variants: [{ chrom: '1', pos: '5', ref: 'A', alt: 'C' }] })).statusCode).toBe(400);
    expect((await af({ variants: ['1-0x5-A-C'] })).statusCode).toBe(400);
    expect((await af({ variants: [] })).statusCode).toBe(400);
  });

  it('a variant the shared parser rejects is a 400 GENOFED_BAD_VARIANT naming the item', async () => {
    const res = await af({ variants: ['1-5-A-C', { chrom: '1', pos: 7, ref: 'A', alt: 'C,G' }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({ code: 'GENOFED_BAD_VARIANT', message: "variants item 2: ALT must be bases, '*' or a symbolic allele like <DEL>" });
    expect(fed.afRequests).toHaveLength(0);
  });

  it('validation messages name the field and the rule but never echo the value sent', async () => {
    const secret = 'NA12878-and-some-genotype-0|1';
    const res = await af({ variants: [{ chrom: '1', pos: 5, ref: secret, alt: 'C' }] });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain(secret);
  });

  it('a body that is not JSON gets a fixed message that does not quote it', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"region": "HG00096' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'GENOFED_BAD_REQUEST', message: 'request body is not valid JSON' } });
  });

  it('a cohort count passes cohort and carriers and returns the count and the responding sites', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: auth, payload: { cohort: 'super_pop=EUR and gender=female', carriersOf: ['1-10177-A-AC'] } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ queryId: 'q-c-1', count: 263, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: { policy: { k: 5, smallCounts: 'suppress', roundTo: 5 }, rowsAffected: 0, rules: [] }, noise: null, remainingEpsilon: null });
    expect(fed.cohortRequests[0]).toEqual({ querier: 'alice', cohort: 'super_pop=EUR and gender=female', carriersOf: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }] });
  });

  it('GET /v1/schema lists the queryable columns with their values or bins, the schema fingerprint and the grammar', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/schema', headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.columns).toEqual([{ name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] }, { name: 'age', type: 'integer', bins: [0, 20, 40, 60, 80, 120] }]);
    expect(body.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(body.grammar).toMatch(/>= and < with a bin edge/);
    expect((await app.inject({ method: 'GET', url: '/v1/schema' })).statusCode).toBe(401);
  });

  it('a cohort count without a cohort is a 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: auth, payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/cohort/);
  });

  it('GET /v1/sites lists each site with its health', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/sites', headers: auth });
    expect(res.json()).toEqual({ sites: [{ site: 'a', healthy: true }, { site: 'b', healthy: false, detail: 'unreachable' }] });
  });

  it('an unknown route is a 404 in the same error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('GENOFED_BAD_REQUEST');
  });
});

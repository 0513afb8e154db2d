/**
 * Beacon v2 on the coordinator (coordinator/rest/beacon/): a real
 * federation of 3 sites over the real 1000 Genomes chr1 window (samples
 * split by site, the 1000G panel as phenotypes), the REST app on top
 * (`inject()`). Existence and carrier counts are compared with bcftools on
 * the unsplit VCF; every response, and every request sent, is validated
 * against the official Beacon v2 schemas (test/fixtures/beacon-v2, ajv
 * draft 2020-12). The DP case here uses the REST layer's federation
 * double (what the route makes of a noisy answer); beacon-dp.test.ts runs
 * it over real nodes with DP on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import type { Federation } from '../../../coordinator/federation/types.js';
import { has, sh } from '../federation/bcftools-reference.js';
import { BEACON_VCF as VCF, startBeaconFederation, type BeaconFederation } from './beacon-federation.js';
import { beaconBody, beaconQuery, expectValid, FRAMEWORK, LOADED_SCHEMAS, validate } from './beacon-schemas.js';
import { FakeFederation } from './fake-federation.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const TOKEN = 'beacon-test-token-0123456789';
const registered = { authorization: `Bearer ${TOKEN}` };
const R = `${FRAMEWORK}/responses`;

describe('the Beacon v2 schemas are loaded from the copied fixtures', () => {
  it('finds the framework and default-model schemas; official examples validate, and a count without numTotalResults is rejected', async () => {
    expect(LOADED_SCHEMAS).toEqual(expect.arrayContaining([`${R}/beaconCountResponse.json`, `${R}/beaconBooleanResponse.json`, 'models/json/beacon-v2-default-model/genomicVariations/requestParameters.json']));
    const example = (p: string) => JSON.parse(readFileSync(join(FIXTURES, 'beacon-v2', R, 'examples-fullDocuments', p), 'utf8')) as unknown;
    // (The snapshot's boolean, count and error examples predate their own schemas' required meta fields, so the informational ones are used.)
    expectValid(`${R}/beaconInfoResponse.json`, example('beaconInfo-MAX-example.json'));
    expectValid(`${R}/beaconConfigurationResponse.json`, example('beaconConfigurationResponse-example.json'));
    expectValid(`${R}/beaconMapResponse.json`, example('beaconMapResponse-example.json'));
    expect(validate(`${R}/beaconCountResponse.json`, { meta: {}, responseSummary: { exists: true } })).not.toEqual([]);
    expect(validate('genofed:count-adjustment', { countPrecision: 'approximate' })).not.toEqual([]);
  });
});

describe('Beacon answers with DP noise on (federation double)', () => {
  let app: FastifyInstance;
  let fed: FakeFederation;
  beforeAll(async () => {
    fed = new FakeFederation();
    fed.afAnswer = { ...fed.afAnswer, noise: { mu: 8, sd: 4 } };
    fed.cohortAnswer = { ...fed.cohortAnswer, count: 263, noise: { mu: 8, sd: 4 } };
    app = await buildRestApp({ federation: fed, tokens: new Map([[TOKEN, 'alice']]) });
  });
  afterAll(async () => app?.close());

  it('a count carrying DP noise is imprecise, info carries the noise scale, and fastify strips nothing from the document', async () => {
    const res = await app.inject({ method: 'POST', url: '/beacon/v2/g_variants', headers: registered, payload: beaconBody({ referenceName: '1', start: [10176], referenceBases: 'A', alternateBases: 'AC' }, { requestedGranularity: 'count' }) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expectValid(`${R}/beaconCountResponse.json`, body);
    expectValid('genofed:count-adjustment', body.responseSummary);
    expect(body.responseSummary).toEqual({ exists: true, numTotalResults: 263, countPrecision: 'imprecise' });
    expect(body.info.genofed.noise).toEqual({ mechanism: 'Skellam', mu: 8, sd: 4 });
    expect(fed.cohortRequests.at(-1)).toEqual({ querier: 'alice', cohort: '', carriersOf: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }] });
    // The serialized text is the whole document (`additionalProperties: true` keeps every field).
    expect(JSON.parse(res.body)).toEqual(body);
    expect(Object.keys(body.meta.receivedRequestSummary)).toEqual(expect.arrayContaining(['apiVersion', 'requestedSchemas', 'pagination', 'requestedGranularity', 'requestParameters']));
  });

  it('anonymous requests run as the one public querier; a presented but unknown token is a 401 Beacon error', async () => {
    const ok = await app.inject({ method: 'GET', url: `/beacon/v2/g_variants?${beaconQuery({ referenceName: '1', start: '10176', referenceBases: 'A', alternateBases: 'AC' })}` });
    expect(ok.statusCode).toBe(200);
    expect(fed.afRequests.at(-1)?.querier).toBe('beacon-public');
    const bad = await app.inject({ method: 'GET', url: '/beacon/v2/info', headers: { authorization: 'Bearer not-a-known-token-at-all' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer/);
    expectValid(`${R}/beaconErrorResponse.json`, bad.json());
    expect(bad.json().error.errorCode).toBe(401);
  });
});

describe('anonymous Beacon requests share one rate limit', () => {
  it('the third anonymous g_variants request in a minute under a limit of 2 is a 429 Beacon error, whatever the client', async () => {
    const app = await buildRestApp({ federation: new FakeFederation(), tokens: new Map([[TOKEN, 'alice']]), limits: { queriesPerMinutePerToken: 2 } });
    try {
      const url = `/beacon/v2/g_variants?${beaconQuery({ referenceName: '1', start: '10176', alternateBases: 'AC' })}`;
      const statuses = [];
      for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) statuses.push((await app.inject({ method: 'GET', url, remoteAddress: ip })).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
      const limited = await app.inject({ method: 'GET', url });
      expectValid(`${R}/beaconErrorResponse.json`, limited.json());
      expect(limited.json().info.genofed.code).toBe('GENOFED_TOO_MANY_REQUESTS');
      // A registered querier has its own limit.
      expect((await app.inject({ method: 'GET', url, headers: registered })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('the Beacon guard: bcftools is present where the federation suite must run', () => {
  it('finds bcftools in CI (a skipped suite would compare nothing)', () => {
    if (process.env.CI) expect(has('bcftools')).toBe(true);
    else expect(typeof has('bcftools')).toBe('boolean');
  });
});

describe.skipIf(!has('bcftools'))('Beacon v2 over a real federation of 3 sites (1000 Genomes chr1 window, panel phenotypes)', () => {
  let b: BeaconFederation;
  let f: Federation;
  let app: FastifyInstance;
  const sampleFile = (name: string, pred: (p: [string, string]) => boolean): string => b.sampleFile(name, pred);
  const carriers = (samples: string, region: string, include?: string): number => b.carriers(samples, region, include);

  beforeAll(async () => {
    b = await startBeaconFederation();
    f = await b.c.federationWith();
    app = await buildRestApp({ federation: f, tokens: new Map([[TOKEN, 'alice']]) });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await b?.close();
  });

  it('/, /info, /service-info, /configuration, /entry_types, /map and /filtering_terms validate against their schemas, without a token', async () => {
    const cases: [string, string][] = [
      ['/beacon/v2', `${R}/beaconInfoResponse.json`], ['/beacon/v2/info', `${R}/beaconInfoResponse.json`],
      ['/beacon/v2/service-info', `${R}/ga4gh-service-info-1-0-0-schema.json`],
      ['/beacon/v2/configuration', `${R}/beaconConfigurationResponse.json`], ['/beacon/v2/entry_types', `${R}/beaconEntryTypesResponse.json`],
      ['/beacon/v2/map', `${R}/beaconMapResponse.json`], ['/beacon/v2/filtering_terms', `${R}/beaconFilteringTermsResponse.json`],
    ];
    for (const [url, schema] of cases) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expectValid(schema, res.json());
    }
    const terms = (await app.inject({ method: 'GET', url: '/beacon/v2/filtering_terms' })).json().response.filteringTerms as { id: string; type: string }[];
    const ids = terms.map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['NCIT:C16576', 'NCIT:C20197', 'HANCESTRO:0005', 'HANCESTRO:0009', 'HANCESTRO:0010', 'super_pop:EUR', 'pop:GBR', 'gender:female']));
    // Every categorical value of the schema is a custom term: 26 pops + 5 super-pops + 2 genders.
    expect(terms.filter((t) => t.type === 'custom')).toHaveLength(33);
  });

  it('a known variant exists and an allele no one carries does not (public GET, boolean)', async () => {
    const ask = (alt: string) => app.inject({ method: 'GET', url: `/beacon/v2/g_variants?${beaconQuery({ referenceName: '1', start: '10176', referenceBases: 'A', alternateBases: alt, assemblyId: 'GRCh37' })}` });
    // Beacon start is 0-based: 10176 is VCF POS 10177 (rs367896724 A>AC, AC 2130 in the VCF).
    expect(sh(`bcftools view -H -r 1:10177 '${VCF}' | cut -f2,4,5`).trim()).toBe('10177\tA\tAC');
    const yes = await ask('AC');
    expect(yes.statusCode).toBe(200);
    expectValid(`${R}/beaconBooleanResponse.json`, yes.json());
    expect(yes.json().responseSummary).toEqual({ exists: true });
    expect(yes.json().meta.returnedGranularity).toBe('boolean');
    const no = await ask('G');
    expectValid(`${R}/beaconBooleanResponse.json`, no.json());
    expect(no.json().responseSummary).toEqual({ exists: false });
  });

  it('public callers asking for counts or records get a boolean answer saying so; it carries no number about the data', async () => {
    for (const requestedGranularity of ['count', 'record']) {
      const res = await app.inject({ method: 'POST', url: '/beacon/v2/g_variants', payload: beaconBody({ referenceName: '1', start: [10176], referenceBases: 'A', alternateBases: 'AC' }, { requestedGranularity }) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expectValid(`${R}/beaconBooleanResponse.json`, body);
      expect(body.meta.returnedGranularity).toBe('boolean');
      expect(body.meta.receivedRequestSummary.requestedGranularity).toBe(requestedGranularity);
      expect(body.responseSummary).toEqual({ exists: true });
      expect(body.info.genofed).not.toHaveProperty('variantsMatched');
    }
  });

  it('a registered count filtered by ontology terms (female, European) equals the carriers bcftools finds among those samples', async () => {
    const res = await app.inject({
      method: 'POST', url: '/beacon/v2/g_variants', headers: registered,
      payload: beaconBody({ referenceName: '1', start: [10176], referenceBases: 'A', alternateBases: 'AC' }, { requestedGranularity: 'count', filters: [{ id: 'NCIT:C16576' }, { id: 'HANCESTRO:0005' }] }),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expectValid(`${R}/beaconCountResponse.json`, body);
    expectValid('genofed:count-adjustment', body.responseSummary);
    const expected = carriers(sampleFile('eur-female', (p) => p[0] === 'EUR' && p[1] === 'female'), '1:10177', 'POS=10177 && REF="A" && ALT="AC"');
    expect(expected).toBeGreaterThanOrEqual(5);
    expect(body.responseSummary).toEqual({ exists: true, numTotalResults: expected, countPrecision: 'exact' });
    expect(body.meta.returnedGranularity).toBe('count');
    expect(body.info.genofed.noise).toBeNull();
  });

  it('a registered range count with a custom column:value term (GET, East Asians) equals the carriers of any ALT in the range', async () => {
    // Beacon [9999, 20000) is VCF POS 10000-20000.
    const res = await app.inject({ method: 'GET', url: `/beacon/v2/g_variants?${beaconQuery({ referenceName: '1', start: '9999', end: '20000', filters: 'super_pop:EAS', requestedGranularity: 'count' })}`, headers: registered });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expectValid(`${R}/beaconCountResponse.json`, body);
    const expected = carriers(sampleFile('eas', (p) => p[0] === 'EAS'), '1:10000-20000');
    expect(expected).toBeGreaterThanOrEqual(5);
    expect(body.responseSummary).toEqual({ exists: true, numTotalResults: expected, countPrecision: 'exact' });
    expect(body.info.genofed.variantsMatched).toBeGreaterThan(10);
    // The SNPs alone (variantType) are a subset of those carriers, as bcftools counts them.
    const snps = await app.inject({ method: 'GET', url: `/beacon/v2/g_variants?${beaconQuery({ referenceName: '1', start: '9999', end: '20000', variantType: 'SNP', filters: 'super_pop:EAS', requestedGranularity: 'count' })}`, headers: registered });
    expectValid(`${R}/beaconCountResponse.json`, snps.json());
    expect(snps.json().responseSummary.numTotalResults).toBe(carriers(join(b.dir, 'eas.samples'), '1:10000-20000', 'TYPE="snp"'));
  });

  it('a count of 1..4 carriers comes back adjusted (countAdjustedTo <5, imprecise), never exact; record granularity is answered as count', async () => {
    // 1:10505 A>T: one carrier among the 2,504 (AC=1 in the VCF).
    const all = sampleFile('all', () => true);
    expect(carriers(all, '1:10505', 'POS=10505 && ALT="T"')).toBe(1);
    const res = await app.inject({
      method: 'POST', url: '/beacon/v2/g_variants', headers: registered,
      payload: beaconBody({ referenceName: '1', start: [10504], referenceBases: 'A', alternateBases: 'T' }, { requestedGranularity: 'record' }),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expectValid(`${R}/beaconCountResponse.json`, body);
    expectValid('genofed:count-adjustment', body.responseSummary);
    expect(body.meta.returnedGranularity).toBe('count');
    expect(body.responseSummary).toEqual({ exists: true, numTotalResults: 5, countPrecision: 'imprecise', countAdjustedTo: ['<5'] });
    expect(body.info.genofed.disclosure.rules).toContain('cohort-below-k');
    expect(body).not.toHaveProperty('response');
  });

  it('refusals are Beacon error documents: an unknown filtering term, a bracket query, an unknown parameter', async () => {
    const cases = [
      app.inject({ method: 'POST', url: '/beacon/v2/g_variants', headers: registered, payload: beaconBody({ referenceName: '1', start: [10176], alternateBases: 'AC' }, { filters: [{ id: 'NCIT:C0000' }] }) }),
      app.inject({ method: 'GET', url: '/beacon/v2/g_variants?referenceName=1&start=100,200&end=300,400' }),
      app.inject({ method: 'GET', url: '/beacon/v2/g_variants?referenceName=1&start=100&end=300&cohort=x' }),
    ];
    const messages: string[] = [];
    for (const res of await Promise.all(cases)) {
      expect(res.statusCode).toBe(400);
      expectValid(`${R}/beaconErrorResponse.json`, res.json());
      expect(res.json().error.errorCode).toBe(400);
      messages.push(res.json().error.errorMessage);
    }
    expect(messages[0]).toMatch(/unknown filtering term 'NCIT:C0000'/);
    expect(messages[1]).toMatch(/bracket queries/);
    expect(messages[2]).toMatch(/additional properties/);
  });
});

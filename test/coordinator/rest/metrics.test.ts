/**
 * The coordinator's `GET /metrics` after real queries over a real local
 * federation (3 nodes over mTLS, test BFV preset, DP on, real 1000 Genomes
 * chr1 VCF with the panel's phenotypes): the scrape parses as Prometheus
 * text; every genofed metric has exactly its declared label names and
 * every label value lies in its fixed set (route patterns the app
 * registered, methods, status codes, query kinds, outcomes, stable error
 * codes); process metrics carry only prom-client's own labels; and no
 * cohort expression, region, variant, sample id, querier name, token or
 * URL a client typed appears anywhere in the text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { createRestMetrics, METRIC_ERROR_CODES, METRIC_OUTCOMES, METRIC_QUERY_KINDS, REST_METRIC_LABELS, UNMATCHED_ROUTE, type RestMetrics } from '../../../coordinator/rest/metrics.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { parseExposition, sampleValue, type Exposition } from '../../prometheus-text.js';
import { registeredRoutes } from '../../route-table.js';
import { startConsortium, type Consortium } from '../federation/consortium.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const SITES = ['a', 'b', 'c'];
const TOKEN = 'tok-metrics-carol-0123456789abcdef';
const QUERIER = 'carol-the-researcher';
const auth = { authorization: `Bearer ${TOKEN}` };

/** What researchers typed: none of it may reach a label (or any other byte of the scrape). */
const COHORT_EUR = "super_pop = 'EUR' and gender = 'female'";
const COHORT_BAD = "super_pop = 'NOSUCHPOP'";
const REGION = '1:10000-10400';
const VARIANT = '1-10177-A-AC';
const TYPED_PATH = '/v1/queries/HG00096-secret-path';

/** Label names prom-client's process metrics use (nodejs_version_info, heap spaces, GC kinds, active resource types). */
const PROCESS_LABELS = new Set(['version', 'major', 'minor', 'patch', 'space', 'kind', 'type', 'le']);

describe('coordinator /metrics after real federated queries', () => {
  let c: Consortium;
  let app: FastifyInstance;
  let failing: FastifyInstance;
  let metrics: RestMetrics;
  let scrape: string;
  let e: Exposition;

  beforeAll(async () => {
    const schema = parsePhenotypeSchema(JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8')));
    c = await startConsortium({
      sites: SITES, vcfs: { a: [VCF], b: [VCF], c: [VCF] }, phenotypes: { a: PANEL, b: PANEL, c: PANEL }, schema,
      privacy: { dp: { enabled: true, epsilonPerQuery: 1 } },
    });
    // One registry behind two apps: one whose coordinator signs the nodes' epsilon, one that does not (the nodes refuse it).
    metrics = createRestMetrics();
    const tokens = new Map([[TOKEN, QUERIER]]);
    app = await buildRestApp({ federation: await c.federationWith({ dpEpsilon: 1 }), tokens, metrics });
    failing = await buildRestApp({ federation: await c.federationWith(), tokens, metrics });

    const af = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: auth, payload: { region: REGION, cohort: COHORT_EUR } });
    expect(af.statusCode, af.body).toBe(200);
    const tsv = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: { ...auth, accept: 'text/tab-separated-values' }, payload: { variants: [VARIANT] } });
    expect(tsv.statusCode, tsv.body).toBe(200);
    const count = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: auth, payload: { cohort: COHORT_EUR } });
    expect(count.statusCode, count.body).toBe(200);
    const bad = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: auth, payload: { cohort: COHORT_BAD } });
    expect(bad.json().error.code).toBe('GENOFED_BAD_COHORT');
    const refused = await failing.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: auth, payload: { cohort: COHORT_EUR } });
    expect(refused.json().error.code).toBe('GENOFED_SITE_FAILED');
    expect((await app.inject({ method: 'GET', url: '/v1/sites' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: TYPED_PATH, headers: auth })).statusCode).toBe(404);

    const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    scrape = res.body;
    e = parseExposition(scrape);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await failing?.close();
    await c?.close();
  });

  it('every genofed metric has exactly its declared label names, and process metrics only prom-client\'s', () => {
    const families = new Set(e.samples.map((s) => s.family));
    for (const name of Object.keys(REST_METRIC_LABELS)) expect(families.has(name), name).toBe(true);
    for (const s of e.samples) {
      const names = Object.keys(s.labels).filter((l) => l !== 'le').sort();
      if (s.family.startsWith('genofed_')) {
        expect(REST_METRIC_LABELS, s.family).toHaveProperty(s.family);
        expect(names, s.name).toEqual([...REST_METRIC_LABELS[s.family as keyof typeof REST_METRIC_LABELS]].sort());
      } else {
        expect(s.family, s.family).toMatch(/^(process|nodejs)_/);
        for (const l of names) expect(PROCESS_LABELS.has(l), `${s.name} label ${l}`).toBe(true);
      }
      if ('le' in s.labels) expect(e.types.get(s.family), s.name).toBe('histogram');
    }
  });

  it('every label value comes from its fixed set: registered route patterns, methods, status codes, kinds, outcomes, error codes', () => {
    const routes = new Set([...registeredRoutes(app).map((r) => r.url), UNMATCHED_ROUTE]);
    const allowed: Record<string, (v: string) => boolean> = {
      route: (v) => routes.has(v),
      method: (v) => ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'OTHER'].includes(v),
      status: (v) => /^[1-5][0-9]{2}$/.test(v),
      kind: (v) => [...METRIC_QUERY_KINDS, 'other'].includes(v),
      outcome: (v) => (METRIC_OUTCOMES as readonly string[]).includes(v),
      code: (v) => METRIC_ERROR_CODES.has(v),
      le: (v) => v === '+Inf' || Number.isFinite(Number(v)),
    };
    let checked = 0;
    for (const s of e.samples.filter((x) => x.family.startsWith('genofed_'))) {
      for (const [l, v] of Object.entries(s.labels)) {
        expect(allowed[l]?.(v), `${s.name} ${l}="${v}"`).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('counts what happened: queries by kind and outcome with the failure code, requests per route and status, latency, bytes both ways', () => {
    expect(sampleValue(e, 'genofed_queries_total', { kind: 'allele-frequency', outcome: 'answered', code: 'none' })).toBe(2);
    expect(sampleValue(e, 'genofed_queries_total', { kind: 'cohort-count', outcome: 'answered', code: 'none' })).toBe(1);
    expect(sampleValue(e, 'genofed_queries_total', { kind: 'cohort-count', outcome: 'failed', code: 'GENOFED_BAD_COHORT' })).toBe(1);
    expect(sampleValue(e, 'genofed_queries_total', { kind: 'cohort-count', outcome: 'failed', code: 'GENOFED_SITE_FAILED' })).toBe(1);
    expect(sampleValue(e, 'genofed_query_duration_seconds_count', { kind: 'cohort-count', outcome: 'failed' })).toBe(2);
    expect(sampleValue(e, 'genofed_query_duration_seconds_bucket', { kind: 'allele-frequency', outcome: 'answered', le: '+Inf' })).toBe(2);

    const af = { route: '/v1/queries/allele-frequency', method: 'POST' };
    expect(sampleValue(e, 'genofed_http_requests_total', { ...af, status: '200' })).toBe(2);
    expect(sampleValue(e, 'genofed_http_requests_total', { route: '/v1/queries/cohort-count', method: 'POST', status: '400' })).toBe(1);
    expect(sampleValue(e, 'genofed_http_requests_total', { route: '/v1/queries/cohort-count', method: 'POST', status: '502' })).toBe(1);
    expect(sampleValue(e, 'genofed_http_requests_total', { route: '/v1/sites', method: 'GET', status: '401' })).toBe(1);
    expect(sampleValue(e, 'genofed_http_requests_total', { route: UNMATCHED_ROUTE, method: 'GET', status: '404' })).toBe(1);
    expect(sampleValue(e, 'genofed_http_request_duration_seconds_count', af)).toBe(2);
    expect(sampleValue(e, 'genofed_http_request_bytes_total', { route: af.route })).toBeGreaterThan(JSON.stringify({ region: REGION, cohort: COHORT_EUR }).length);
    // JSON and the streamed TSV (no Content-Length) are both counted.
    expect(sampleValue(e, 'genofed_http_response_bytes_total', { route: af.route })).toBeGreaterThan(200);
  });

  it('no cohort expression, region, variant, sample id, querier, token or typed URL appears anywhere in the scrape', () => {
    const samples = readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t')[0]!).filter(Boolean);
    expect(samples.length).toBe(2504);
    for (const s of samples) expect(scrape.includes(s), s).toBe(false);
    for (const forbidden of [COHORT_EUR, COHORT_BAD, 'NOSUCHPOP', 'EUR', 'female', REGION, '10177', VARIANT, QUERIER, TOKEN, TYPED_PATH, 'secret-path']) {
      expect(scrape.includes(forbidden), forbidden).toBe(false);
    }
  });

  it('GET /metrics needs a bearer token like every route but /healthz', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('GENOFED_UNAUTHORIZED');
  });
});

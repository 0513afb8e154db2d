/**
 * Each node's `GET /metrics` (the config's `metricsHttp` listener) after
 * real queries over a real local federation (3 nodes over mTLS, test BFV
 * preset, DP on at epsilon 1 per query, real 1000 Genomes chr1 VCF with
 * the panel's phenotypes, privacy.minCohortSize 1000 so that a cohort of
 * ~780 people is refused at the size round): the scrape parses as
 * Prometheus text over HTTP; every genofed metric has exactly its declared
 * label names and every value lies in its fixed set (the node registry's
 * kinds, RPCs, outcomes, stable codes, stages, the roster's coordinator
 * id); the counts, bytes and remaining budget match what was asked; and no
 * cohort expression, region, variant, sample id, researcher name or query
 * id appears anywhere in the text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_KINDS } from '../../../node/kinds/registry.js';
import { NODE_METRIC_LABELS, NODE_METRIC_REASONS, NODE_METRIC_RPCS, NODE_METRIC_STAGES } from '../../../node/server/metrics.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { startConsortium, type Consortium } from '../../coordinator/federation/consortium.js';
import { parseExposition, sampleValue, type Exposition } from '../../prometheus-text.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const SITES = ['a', 'b', 'c'];
const RESEARCHER = 'dave-the-researcher';
/** ~263 EUR women per site, ~790 network-wide: under minCohortSize 1000, refused at the size round. */
const SMALL_COHORT = "super_pop = 'EUR' and gender = 'female'";
const LARGE_COHORT = "gender = 'female'";
const REGION = '1:10000-10400';

/** Label names of prom-client's process metrics. */
const PROCESS_LABELS = new Set(['version', 'major', 'minor', 'patch', 'space', 'kind', 'type']);

describe('node /metrics after real federated queries', () => {
  let c: Consortium;
  const scrapes: Record<string, { text: string; e: Exposition; contentType: string | null }> = {};
  const queryIds: string[] = [];

  beforeAll(async () => {
    const schema = parsePhenotypeSchema(JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8')));
    c = await startConsortium({
      sites: SITES, vcfs: { a: [VCF], b: [VCF], c: [VCF] }, phenotypes: { a: PANEL, b: PANEL, c: PANEL }, schema,
      privacy: { dp: { enabled: true, epsilonPerQuery: 1 } }, minCohortSize: 1000,
      nodeConfig: (_site, cfg) => ({ ...cfg, metricsHttp: { host: '127.0.0.1', port: 0 } }),
    });
    const f = await c.federationWith({ dpEpsilon: 1, disclosure: { k: 5 } });
    // Answered: a region (ListVariants, then Aggregate) over a large cohort, and a cohort count.
    queryIds.push((await f.alleleFrequency({ region: REGION, cohort: LARGE_COHORT, querier: RESEARCHER })).queryId);
    queryIds.push((await f.cohortCount({ cohort: LARGE_COHORT, querier: RESEARCHER })).queryId);
    // Refused at the size round (network size 1..999).
    await expect(f.cohortCount({ cohort: SMALL_COHORT, querier: RESEARCHER })).rejects.toMatchObject({ message: expect.stringContaining('GENOFED_COHORT_TOO_SMALL') });
    // Refused at admission: this coordinator asks for no noise, the nodes' DP policy spends 1.
    const noDp = await c.federationWith();
    await expect(noDp.cohortCount({ cohort: LARGE_COHORT, querier: RESEARCHER })).rejects.toMatchObject({ message: expect.stringContaining('GENOFED_DP_POLICY') });
    // A refused query rejects at the coordinator as soon as one site refuses; the others' handlers may still be
    // writing their audit entries. Scrape until no node has a query in flight (then every outcome is counted).
    for (let attempt = 0; ; attempt++) {
      for (const site of SITES) {
        const port = c.nodes[site]!.metricsPort;
        expect(port).toBeGreaterThan(0);
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(res.status).toBe(200);
        const text = await res.text();
        scrapes[site] = { text, e: parseExposition(text), contentType: res.headers.get('content-type') };
      }
      if (SITES.every((s) => sampleValue(scrapes[s]!.e, 'genofed_node_queries_in_flight') === 0)) break;
      expect(attempt, 'queries still in flight after 200 scrapes').toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 180_000);

  afterAll(async () => {
    await c?.close();
  });

  it('serves Prometheus text at /metrics over plain HTTP, and nothing else on that port', async () => {
    for (const site of SITES) expect(scrapes[site]!.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const other = await fetch(`http://127.0.0.1:${c.nodes.a!.metricsPort}/healthz`);
    expect(other.status).toBe(404);
    await other.body?.cancel();
  });

  it('every genofed metric has exactly its declared label names, and process metrics only prom-client\'s', () => {
    for (const site of SITES) {
      const { e } = scrapes[site]!;
      const families = new Set(e.samples.map((s) => s.family));
      for (const name of Object.keys(NODE_METRIC_LABELS)) expect(families.has(name), `${site} ${name}`).toBe(true);
      for (const s of e.samples) {
        const names = Object.keys(s.labels).filter((l) => l !== 'le').sort();
        if (s.family.startsWith('genofed_')) {
          expect(NODE_METRIC_LABELS, s.family).toHaveProperty(s.family);
          expect(names, s.name).toEqual([...NODE_METRIC_LABELS[s.family as keyof typeof NODE_METRIC_LABELS]].sort());
        } else {
          expect(s.family).toMatch(/^(process|nodejs)_/);
          for (const l of names) expect(PROCESS_LABELS.has(l), `${s.name} label ${l}`).toBe(true);
        }
        if ('le' in s.labels) expect(e.types.get(s.family), s.name).toBe('histogram');
      }
    }
  });

  it('every label value comes from its fixed set: registry kinds, RPCs, outcomes, stable codes, stages, the roster\'s coordinator', () => {
    const allowed: Record<string, (v: string) => boolean> = {
      kind: (v) => NODE_KINDS.has(v) || v === 'unknown',
      rpc: (v) => (NODE_METRIC_RPCS as readonly string[]).includes(v),
      outcome: (v) => v === 'answered' || v === 'refused',
      reason: (v) => NODE_METRIC_REASONS.has(v),
      stage: (v) => (NODE_METRIC_STAGES as readonly string[]).includes(v),
      coordinator: (v) => v === c.config.identity,
      le: (v) => v === '+Inf' || Number.isFinite(Number(v)),
    };
    let checked = 0;
    for (const site of SITES) {
      for (const s of scrapes[site]!.e.samples.filter((x) => x.family.startsWith('genofed_'))) {
        for (const [l, v] of Object.entries(s.labels)) {
          expect(allowed[l]?.(v), `${site} ${s.name} ${l}="${v}"`).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('counts answered and refused queries by kind with the refusal code and stage, latency, bytes both ways, and the budget left', () => {
    for (const site of SITES) {
      const { e } = scrapes[site]!;
      expect(sampleValue(e, 'genofed_node_queries_total', { kind: 'variant-keys', rpc: 'list', outcome: 'answered' }), site).toBe(1);
      expect(sampleValue(e, 'genofed_node_queries_total', { kind: 'allele-counts', rpc: 'aggregate', outcome: 'answered' }), site).toBe(1);
      expect(sampleValue(e, 'genofed_node_queries_total', { kind: 'cohort-count', rpc: 'aggregate', outcome: 'answered' }), site).toBe(1);
      expect(sampleValue(e, 'genofed_node_queries_total', { kind: 'cohort-count', rpc: 'aggregate', outcome: 'refused' }), site).toBe(2);
      expect(sampleValue(e, 'genofed_node_refusals_total', { kind: 'cohort-count', reason: 'GENOFED_DP_POLICY', stage: 'admission' }), site).toBe(1);
      // The small cohort is refused at the size round: by this node's own check, or (when another site's refusal
      // reached the coordinator first and it cancelled the call) as a cancelled round.
      expect(sampleValue(e, 'genofed_node_refusals_total', { kind: 'cohort-count', stage: 'size-round' }), site).toBe(1);
      expect(sampleValue(e, 'genofed_node_refusals_total', { kind: 'cohort-count', reason: 'GENOFED_COHORT_TOO_SMALL', stage: 'size-round' })
        + sampleValue(e, 'genofed_node_refusals_total', { kind: 'cohort-count', reason: 'GENOFED_SIZE_ROUND', stage: 'size-round' }), site).toBe(1);
      expect(sampleValue(e, 'genofed_node_query_duration_seconds_count', { kind: 'allele-counts', rpc: 'aggregate', outcome: 'answered' }), site).toBe(1);
      // Ciphertexts out (the test preset: tens of kB each), the signed envelope and the variant list in.
      expect(sampleValue(e, 'genofed_node_bytes_sent_total', { kind: 'allele-counts', rpc: 'aggregate' }), site).toBeGreaterThan(10_000);
      expect(sampleValue(e, 'genofed_node_bytes_received_total', { kind: 'allele-counts', rpc: 'aggregate' }), site).toBeGreaterThan(100);
      expect(sampleValue(e, 'genofed_node_bytes_sent_total', { kind: 'variant-keys', rpc: 'list' }), site).toBeGreaterThan(0);
      // Two answered counted queries at epsilon 1 of the default total 10; refusals spend nothing.
      expect(sampleValue(e, 'genofed_node_dp_budget_remaining_epsilon', { coordinator: c.config.identity }), site).toBe(8);
      expect(sampleValue(e, 'genofed_node_queries_in_flight'), site).toBe(0);
    }
    // Every node verified the sizes itself, so at least one refused for the size (not all can have been cancelled).
    expect(SITES.some((s) => sampleValue(scrapes[s]!.e, 'genofed_node_refusals_total', { reason: 'GENOFED_COHORT_TOO_SMALL' }) === 1)).toBe(true);
  });

  it('no cohort expression, region, variant, sample id, researcher name or query id appears anywhere in the scrape', () => {
    const samples = readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t')[0]!).filter(Boolean);
    expect(samples.length).toBe(2504);
    expect(queryIds.length).toBe(2);
    for (const site of SITES) {
      const { text } = scrapes[site]!;
      for (const s of samples) expect(text.includes(s), `${site} ${s}`).toBe(false);
      for (const forbidden of [SMALL_COHORT, LARGE_COHORT, 'EUR', 'female', REGION, '10177', RESEARCHER, ...queryIds]) {
        expect(text.includes(forbidden), `${site} ${forbidden}`).toBe(false);
      }
    }
  });
});

/**
 * Failure handling of the engine: a node that is down, dies mid-answer,
 * stalls, answers with ciphertexts under other BFV parameters, another
 * slot layout, no masks, an unsigned header or inflated counts, or
 * presents a certificate of another CA or of another site. Each fails the
 * query naming the site, and nothing is summed: every roster member must
 * answer (issue 9: no answer is ever computed over a subset).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCoordinatorConfig } from '../../../coordinator/config.js';
import { startConsortium, type Consortium } from './consortium.js';
import { startFakeNode, type FakeNode, type Scenario } from './fake-node.js';

const VCF = join(import.meta.dirname, '..', '..', 'fixtures', 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const SITES = ['a', 'b', 'c', 'd'];
/** 1:10177 A>AC in the whole file, by `bcftools +fill-tags -t AC,AN,AC_Hom`: AC 2130, AN 5008, AC_Hom 640 (nhomalt 320). */
const V = { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' };
/** 2,000 keys -> 6,000 values -> 2 ciphertexts at the test preset's 4,096 slots. */
const MANY = [V, ...Array.from({ length: 1_999 }, (_, i) => ({ chrom: '1', pos: 50_000_000 + i, ref: 'A', alt: 'G' }))];

describe('federated queries when sites fail', () => {
  let c: Consortium;
  let other: Consortium;
  const fakes: FakeNode[] = [];

  beforeAll(async () => {
    // Every site holds the whole file, so each contributes exactly the file's counts.
    c = await startConsortium({ sites: SITES, vcfs: { a: [VCF], b: [VCF], c: [VCF], d: [VCF] } });
    other = await startConsortium({ sites: ['a', 'b', 'c'], vcfs: { b: [VCF] }, notStarted: ['a', 'c'] });
  }, 120_000);

  afterAll(async () => {
    for (const f of fakes) await f.close();
    await c?.close();
    await other?.close();
  });

  async function fake(scenario: Scenario): Promise<string> {
    const f = await startFakeNode(c.layout.dir, 'c', scenario);
    fakes.push(f);
    return `127.0.0.1:${f.port}`;
  }

  it('sites reporting different DP noise scales, or a site answering without its mask, are refused: nothing is released', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('noisy') } });
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringContaining('different noise scales') });
    const g = await c.federationWith({ addresses: { c: await fake('unmasked') } });
    await expect(g.cohortCount({ cohort: '', querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: 'site c: answered without secure-aggregation masks; nothing released' });
  });

  it('a header not signed by the site\'s roster key is refused, naming the site', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('unsigned-header') } });
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: "site c: invalid answer: header is malformed or not signed by the site's roster key" });
  });

  it('a site that adds to its counts beyond what its declared samples allow makes the totals impossible: nothing is released', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('inflated') } });
    // Three real sites of 2,504 samples (AN 3 x 5,008 = 2 x 7,512) plus c declaring 0 samples and adding 1,000 to AN.
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_TOTALS_OUT_OF_BOUNDS', message: expect.stringContaining('AN above 2 x samples') });
  });

  it('streamed answers (issue 11) release nothing from a network whose headers fail the checks or whose first chunk is impossible: same refusals, no row reaches the sink', async () => {
    for (const [scenario, code, text] of [['noisy', 'GENOFED_SITE_FAILED', 'different noise scales'], ['unmasked', 'GENOFED_SITE_FAILED', 'without secure-aggregation masks'], ['inflated', 'GENOFED_TOTALS_OUT_OF_BOUNDS', 'AN above 2 x samples']] as const) {
      const f = await c.federationWith({ addresses: { c: await fake(scenario) } });
      let starts = 0;
      let rows = 0;
      await expect(f.alleleFrequencyStream({ variants: MANY, querier: 't' }, { start: () => { starts += 1; }, rows: (r) => { rows += r.length; } }), scenario)
        .rejects.toMatchObject({ code, message: expect.stringContaining(text) });
      expect(rows, scenario).toBe(0);
      // Header checks come before anything is released; an impossible chunk is refused after them.
      expect(starts, scenario).toBe(scenario === 'inflated' ? 1 : 0);
    }
  });

  it('the configured DP epsilon is signed into the envelope each node receives; without it the field is absent (DP off)', async () => {
    const off = await c.federationWith({ addresses: { c: await fake('noisy') } });
    await off.alleleFrequency({ variants: [V], querier: 't' }).catch(() => undefined);
    expect(fakes.at(-1)!.envelopes[0]!.dpEpsilon).toBeUndefined();
    const on = await c.federationWith({ addresses: { c: await fake('noisy') }, dpEpsilon: 1.5 });
    await on.alleleFrequency({ variants: [V], querier: 't' }).catch(() => undefined);
    expect(fakes.at(-1)!.envelopes[0]!.dpEpsilon).toBe(1.5);
  });

  it('a site whose store holds another assembly (GRCh38 among GRCh37 sites) fails every query before anything is asked, naming each site\'s build', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('grch38') } });
    const err = { code: 'GENOFED_ASSEMBLY_MISMATCH', message: 'sites hold different assemblies (a: GRCh37, b: GRCh37, c: GRCh38, d: GRCh37); nothing asked' };
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject(err);
    await expect(f.cohortCount({ cohort: '', querier: 't' })).rejects.toMatchObject(err);
    expect(fakes.at(-1)!.envelopes).toHaveLength(0);
  });

  it('all four healthy sites sum to four times the file\'s counts', async () => {
    const f = await c.federationWith();
    const a = await f.alleleFrequency({ variants: [V], querier: 't' });
    expect(a.rows[0]).toMatchObject({ ac: 4 * 2130, an: 4 * 5008 });
    expect(a.sites).toEqual({ responding: SITES, missing: [] });
  });

  it('refuses a request with both or neither of region and variants before contacting any site', async () => {
    const f = await c.federationWith();
    await expect(f.alleleFrequency({ region: '1', variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_QUERY_INVALID' });
    await expect(f.alleleFrequency({ querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_QUERY_INVALID' });
  });

  it('a site that is down fails the query naming it, and the query succeeds once it is back (retry)', async () => {
    const f = await c.federationWith({ addresses: { b: '127.0.0.1:1' } });
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site b: unavailable/) });
    const g = await c.federationWith();
    await expect(g.alleleFrequency({ variants: [V], querier: 't' })).resolves.toMatchObject({ rows: [{ ac: 4 * 2130, an: 4 * 5008 }] });
  });

  it('a coordinator config may not ask for answers from fewer sites than the roster (minSites is gone), nor list other sites', async () => {
    const raw = JSON.parse(await readFile(c.layout.coordinatorConfig, 'utf8')) as Record<string, unknown>;
    expect(() => parseCoordinatorConfig({ ...raw, minSites: 3 }, c.dir)).toThrow(/minSites was removed: every roster member must answer/);
    const three = await c.federationWith().then(() => 'ok');
    expect(three).toBe('ok');
    const { createFederation } = await import('../../../coordinator/federation/create.js');
    const subset = parseCoordinatorConfig({ ...raw, sites: (raw.sites as { id: string }[]).filter((s) => s.id !== 'd') }, join(c.layout.dir, 'coordinator'));
    await expect(createFederation(subset, { logger: { info() {}, warn() {} } })).rejects.toMatchObject({ code: 'GENOFED_CONFIG', message: expect.stringContaining("exactly the roster's members") });
  });

  it('a node whose certificate comes from another CA is refused, naming the site', async () => {
    const f = await c.federationWith({ addresses: { b: `127.0.0.1:${other.nodes.b!.port}` } });
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site b: /) });
  });

  it('a valid certificate of site a answering at site b\'s address is refused', async () => {
    const f = await c.federationWith({ addresses: { b: `127.0.0.1:${c.nodes.a!.port}` } });
    await expect(f.cohortCount({ cohort: '', querier: 't' }).catch((e: unknown) => { throw e; })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site b: /) });
  });

  it('ciphertexts under other BFV parameters are refused before any sum, naming the site', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('other-parameters') } });
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: 'site c: invalid answer: ciphertext made under other BFV parameters' });
  });

  it('an answer with another slot layout is refused, naming the site', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('wrong-layout') } });
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: 'site c: invalid answer: slot layout differs from the request' });
  });

  it('a node that dies mid-answer fails the query naming it; nothing is summed or rerun over the others', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('dies-mid-answer') } });
    await expect(f.alleleFrequency({ variants: MANY, querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site c: /) });
    // One envelope reached the fake: the engine did not try again with another participant set.
    expect(fakes.at(-1)!.envelopes).toHaveLength(1);
    expect(fakes.at(-1)!.envelopes[0]!.participants).toEqual(SITES);
  });

  it('a node that stalls past its deadline fails the query naming it', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('stalls') }, queryMs: 1_500 });
    await expect(f.alleleFrequency({ variants: [V], querier: 't' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site c: sent no size commitment within 1 s \(deadline exceeded\)$/) });
  });

  it('status marks a live node that works under other BFV parameters as unhealthy', async () => {
    const f = await c.federationWith({ addresses: { c: await fake('other-parameters') } });
    const s = await f.status();
    expect(s[2]).toEqual({ site: 'c', healthy: false, detail: 'BFV parameters differ from the coordinator\'s' });
    expect(s[0]).toEqual({ site: 'a', healthy: true });
  });

  it('status reports each site\'s health without failing', async () => {
    const f = await c.federationWith({ addresses: { b: '127.0.0.1:1' } });
    const s = await f.status();
    expect(s.map((x) => [x.site, x.healthy])).toEqual([['a', true], ['b', false], ['c', true], ['d', true]]);
  });
});

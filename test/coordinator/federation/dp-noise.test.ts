/**
 * DP through the whole path: three real nodes with DP on (network init's
 * `privacy.dp`), masks on, the coordinator signing the same epsilon. The
 * answer carries the noise scale the sites reported; noisy totals are
 * decoded centered (a negative total is t - |x| mod t and must come back
 * negative, then be clamped by disclosure control and reported), and the
 * released values lie within a few sd of the true counts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortium, type Consortium } from './consortium.js';

const VCF = join(import.meta.dirname, '..', '..', 'fixtures', 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const SITES = ['a', 'b', 'c'];
/** 1:10177 A>AC in the whole file (bcftools +fill-tags): AC 2130, AN 5008; every site holds the file. */
const V = { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' };
/** 299 keys no site holds: true AC = AN = nhomalt = 0, so the released values are noise alone. */
const ABSENT = Array.from({ length: 299 }, (_, i) => ({ chrom: '1', pos: 60_000_000 + i, ref: 'A', alt: 'G' }));

describe('differential privacy end to end (nodes add Skellam shares, the coordinator decodes and reports)', () => {
  let c: Consortium;

  beforeAll(async () => {
    c = await startConsortium({ sites: SITES, vcfs: { a: [VCF], b: [VCF], c: [VCF] }, privacy: { dp: { enabled: true, epsilonPerQuery: 1 } } });
  }, 120_000);
  afterAll(async () => {
    await c?.close();
  });

  it('answers carry the sites\' noise scale; noisy totals decode centered, stay within 8 sd of the truth, and negatives are clamped and reported', async () => {
    // k = 1: disclosure control only clamps, so the noise itself is visible.
    const f = await c.federationWith({ dpEpsilon: 1, disclosure: { k: 1 } });
    const a = await f.alleleFrequency({ variants: [V, ...ABSENT], querier: 'dp-test' });
    expect(a.noise).not.toBeNull();
    const { mu, sd } = a.noise!;
    expect(mu).toBeGreaterThan(0);
    expect(sd).toBeCloseTo(Math.sqrt(2 * mu), 9);
    // A noisy AN of 1 is below 2k = 2 and reads "<2" even at k = 1: take the bound.
    const an = a.rows.map((r) => (typeof r.an === 'number' ? r.an : Number(r.an.replace(/^[<>]/, ''))));
    // Read without centering, a negative total would be about t = 1,073,692,673: far outside 8 sd.
    expect(Math.abs(an[0]! - 3 * 5008)).toBeLessThan(8 * sd);
    for (const x of an.slice(1)) expect(x).toBeLessThan(8 * sd);
    // About half of the 299 zero totals come out negative: clamped to 0 and said so.
    const clamped = a.disclosure!.rules.find((r) => r.rule === 'noise-clamped');
    expect(clamped?.action).toBe('clamped');
    expect(clamped!.rows).toBeGreaterThan(50);
    expect(an.slice(1).filter((x) => x === 0).length).toBeGreaterThan(50);
    // And not all the same: the noise is really there.
    expect(new Set(an.slice(1)).size).toBeGreaterThan(20);
  });

  it('a coordinator whose epsilon differs from the nodes\' DP policy gets no answer, and one without DP is refused too', async () => {
    const wrong = await c.federationWith({ dpEpsilon: 2 });
    await expect(wrong.cohortCount({ cohort: '', querier: 'dp-test-2' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringContaining('GENOFED_DP_POLICY') });
    const off = await c.federationWith();
    await expect(off.cohortCount({ cohort: '', querier: 'dp-test-2' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringContaining('GENOFED_DP_POLICY') });
  });
});

/**
 * Allelic chi-square and the PLINK-style odds ratio: worked examples,
 * PLINK's zero-cell outputs, and properties (fast-check). R and PLINK
 * comparisons are in r-oracle.test.ts and plink-reference.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allelicChiSquare, caseControlTests, oddsRatio, trendTest, type AlleleTable } from '../../../coordinator/stats/index.js';

const t = (caseA1: number, caseA2: number, controlA1: number, controlA2: number): AlleleTable => ({ caseA1, caseA2, controlA1, controlA2 });
const rel = (x: number, y: number): number => Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
const count = fc.integer({ min: 0, max: 5000 });
const positive = fc.integer({ min: 1, max: 5000 });

describe('allelic chi-square', () => {
  it('is N (ad - bc)^2 / (R1 R2 C1 C2) without continuity correction: 100 x 200^2 / (30 x 70 x 40 x 60) for (10, 20, 30, 40)', () => {
    const r = allelicChiSquare(t(10, 20, 30, 40))!;
    expect(r.chisq).toBeCloseTo((100 * 200 * 200) / (30 * 70 * 40 * 60), 14);
    // P(chi2_1 >= x) = erfc(sqrt(x / 2)); R: pchisq(0.7936507936507936, 1, lower.tail = FALSE)
    expect(rel(r.p, 0.3729984836134872)).toBeLessThan(1e-13);
  });

  it('is 0 with p = 1 when allele frequencies are equal, and null when a margin is 0', () => {
    expect(allelicChiSquare(t(6, 6, 6, 6))).toEqual({ chisq: 0, p: 1 });
    expect(allelicChiSquare(t(0, 12, 0, 12))).toBeNull();
    expect(allelicChiSquare(t(12, 0, 12, 0))).toBeNull();
    expect(allelicChiSquare(t(0, 0, 4, 8))).toBeNull();
    expect(allelicChiSquare(t(0, 0, 0, 0))).toBeNull();
  });

  it('is unchanged by swapping cases with controls or ALT with REF, and gives p in [0, 1]', () => {
    fc.assert(
      fc.property(count, count, count, count, (a, b, c, d) => {
        const r = allelicChiSquare(t(a, b, c, d));
        if (r === null) return;
        expect(r.chisq).toBeGreaterThanOrEqual(0);
        expect(r.p).toBeGreaterThanOrEqual(0);
        expect(r.p).toBeLessThanOrEqual(1);
        expect(allelicChiSquare(t(c, d, a, b))!.chisq).toBe(r.chisq);
        expect(rel(allelicChiSquare(t(b, a, d, c))!.chisq, r.chisq) || 0).toBeLessThan(1e-14);
      }),
    );
  });

  it('is twice the trend chi-square when no one is heterozygous (alleles are individuals counted twice)', () => {
    fc.assert(
      fc.property(count, count, count, count, (cr, ca, ur, ua) => {
        const g = { cases: { homRef: cr, het: 0, homAlt: ca }, controls: { homRef: ur, het: 0, homAlt: ua } };
        const allelic = caseControlTests(g).allelic;
        const trend = trendTest(g);
        expect(allelic === null).toBe(trend === null);
        if (allelic && trend) expect(rel(allelic.chisq, 2 * trend.chisq) || 0).toBeLessThan(1e-12);
      }),
    );
  });
});

describe('odds ratio (PLINK --assoc --ci 0.95)', () => {
  it('is the odds of ALT in cases over controls with Woolf 95% bounds: 1000G rs367896724 EUR vs EAS gives PLINK 1.346 [1.123, 1.614]', () => {
    const r = oddsRatio(t(408, 598, 339, 669))!;
    expect(r.or).toBeCloseTo((408 * 669) / (598 * 339), 14);
    expect(r.se).toBeCloseTo(Math.sqrt(1 / 408 + 1 / 598 + 1 / 339 + 1 / 669), 14);
    expect([r.or.toPrecision(4), r.se.toPrecision(4), r.lower.toPrecision(4), r.upper.toPrecision(4)]).toEqual(['1.346', '0.09256', '1.123', '1.614']);
  });

  it('prints as PLINK does when a cell is 0: NA (null) for b c = 0, and 0 / inf / 0 / nan for a d = 0', () => {
    expect(oddsRatio(t(12, 0, 4, 8))).toBeNull();
    expect(oddsRatio(t(4, 8, 0, 12))).toBeNull();
    expect(oddsRatio(t(0, 0, 0, 0))).toBeNull();
    expect(oddsRatio(t(0, 12, 4, 8))).toEqual({ or: 0, se: Infinity, lower: 0, upper: Number.NaN });
    expect(oddsRatio(t(0, 12, 12, 0))).toEqual({ or: 0, se: Infinity, lower: 0, upper: Number.NaN });
  });

  it('inverts, bounds and all, when cases and controls or ALT and REF are swapped', () => {
    fc.assert(
      fc.property(positive, positive, positive, positive, (a, b, c, d) => {
        const r = oddsRatio(t(a, b, c, d))!;
        for (const s of [oddsRatio(t(c, d, a, b))!, oddsRatio(t(b, a, d, c))!]) {
          expect(rel(s.or, 1 / r.or)).toBeLessThan(1e-13);
          expect(rel(s.lower, 1 / r.upper)).toBeLessThan(1e-12);
          expect(rel(s.upper, 1 / r.lower)).toBeLessThan(1e-12);
        }
        expect(r.lower).toBeLessThanOrEqual(r.or);
        expect(r.upper).toBeGreaterThanOrEqual(r.or);
      }),
    );
  });

  it('widens with the confidence level (99% uses z = 2.5758)', () => {
    const r95 = oddsRatio(t(40, 60, 30, 70))!;
    const r99 = oddsRatio(t(40, 60, 30, 70), 0.99)!;
    expect(rel(Math.log(r99.upper / r99.or) / r99.se, 2.57582930354890)).toBeLessThan(1e-13);
    expect(r99.lower).toBeLessThan(r95.lower);
    expect(() => oddsRatio(t(1, 1, 1, 1), 1)).toThrow(RangeError);
  });
});

describe('count validation', () => {
  it('refuses negative, fractional and unsafe counts without echoing them', () => {
    for (const bad of [t(-1, 2, 3, 4), t(1.5, 2, 3, 4), t(2 ** 53, 1, 1, 1)]) {
      expect(() => allelicChiSquare(bad)).toThrow(/non-negative safe integer/);
      expect(() => allelicChiSquare(bad)).not.toThrow(/-1|1\.5|9007/);
    }
    expect(() => trendTest({ cases: { homRef: -1, het: 0, homAlt: 0 }, controls: { homRef: 1, het: 0, homAlt: 0 } })).toThrow(RangeError);
  });
});

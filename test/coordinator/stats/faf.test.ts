/**
 * Filtering allele frequency, grpmax and faf95_max: gnomAD's rules on
 * hand-made strata. The comparison with R (qgamma, ppois bisection, Hail's
 * qpois definition) on a grid is in r-oracle.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { faf95, fafMax, filteringAlleleFrequency, GNOMAD_EXCLUDED_STRATA, grpmax, poissonLowerBound } from '../../../coordinator/stats/index.js';

const rel = (x: number, y: number): number => (x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));

describe('filtering allele frequency', () => {
  it('is qgamma(0.05, AC) / AN: AC 2 of AN 1000 gives 0.35536151069866206 / 1000 (R)', () => {
    expect(rel(faf95(2, 1000), 0.35536151069866206 / 1000)).toBeLessThan(1e-14);
  });

  it('is a lower bound: below the observed AF, and P(X >= AC) = 5% there', () => {
    for (const [ac, an] of [[2, 1000], [10, 5008], [300, 152_312], [40_000, 1_614_000]] as const) {
      const f = faf95(ac, an);
      expect(f).toBeLessThan(ac / an);
      // P(X >= ac; lambda) for Poisson, summed from the pmf in log space: 1 - sum_{k < ac} pmf(k)
      const lambda = an * f;
      let logPmf = -lambda;
      let below = 0;
      for (let k = 0; k < ac; k++) {
        below += Math.exp(logPmf);
        logPmf += Math.log(lambda) - Math.log(k + 1);
      }
      expect(Math.abs(1 - below - 0.05)).toBeLessThan(1e-9);
    }
  });

  it('is 0 for AC 0 and for singletons (hail-is/hail#5047) and for AN 0, as gnomAD publishes', () => {
    expect(faf95(0, 1000)).toBe(0);
    expect(faf95(1, 1000)).toBe(0);
    expect(faf95(0, 0)).toBe(0);
  });

  it('poissonLowerBound gives the bound itself for a singleton, -ln(0.95) / AN, and null for AN 0', () => {
    expect(rel(poissonLowerBound(1, 1000)!, -Math.log(0.95) / 1000)).toBeLessThan(1e-14);
    expect(poissonLowerBound(0, 1000)).toBe(0);
    expect(poissonLowerBound(0, 0)).toBeNull();
  });

  it('falls as the confidence rises (faf99 < faf95) and grows with AC', () => {
    expect(filteringAlleleFrequency(10, 10_000, 0.99)).toBeLessThan(faf95(10, 10_000));
    expect(faf95(11, 10_000)).toBeGreaterThan(faf95(10, 10_000));
  });

  it('refuses AC above AN, negative or fractional counts, and a confidence outside (0, 1)', () => {
    expect(() => faf95(5, 4)).toThrow(RangeError);
    expect(() => faf95(-1, 4)).toThrow(RangeError);
    expect(() => faf95(1.5, 4)).toThrow(RangeError);
    expect(() => filteringAlleleFrequency(2, 4, 1)).toThrow(RangeError);
  });
});

describe('grpmax and faf95_max', () => {
  const strata = {
    afr: { ac: 10, an: 10_000 },
    fin: { ac: 90, an: 5_000 },
    nfe: { ac: 30, an: 20_000 },
    eas: { ac: 3, an: 1_000 },
    remaining: { ac: 50, an: 500 },
    sas: { ac: 0, an: 4_000 },
    mid: { ac: 0, an: 0 },
  };

  it("excludes gnomAD's bottlenecked groups by default: ami, asj, fin, mid, oth, remaining", () => {
    expect(GNOMAD_EXCLUDED_STRATA).toEqual(['ami', 'asj', 'fin', 'mid', 'oth', 'remaining']);
    expect(grpmax(strata)).toEqual({ stratum: 'eas', ac: 3, an: 1_000, af: 0.003 });
  });

  it('faf95_max can pick another group than grpmax: the FAF weighs the count, not only the frequency', () => {
    // eas AF 0.003 from AC 3 has faf95 0.00082; nfe AF 0.0015 from AC 30 has faf95 0.00108.
    const m = fafMax(strata)!;
    expect(m.stratum).toBe('nfe');
    expect(rel(m.faf, faf95(30, 20_000))).toBe(0);
    expect(faf95(3, 1_000)).toBeLessThan(m.faf);
  });

  it('takes a custom exclusion list, compared case-insensitively (1000G-style upper-case names)', () => {
    expect(grpmax(strata, { exclude: [] })!.stratum).toBe('remaining');
    expect(grpmax({ EUR: { ac: 5, an: 100 }, FIN: { ac: 9, an: 100 } })!.stratum).toBe('EUR');
    expect(grpmax(new Map([['EAS', { ac: 1, an: 10 }], ['AFR', { ac: 2, an: 20 }]]))!.stratum).toBe('EAS'); // tie: first in order
  });

  it('skips AC 0 (and so AN 0) for grpmax and FAF 0 (AC <= 1) for faf95_max, and is null when nothing is left', () => {
    expect(grpmax({ sas: { ac: 0, an: 4_000 }, mid: { ac: 0, an: 0 }, fin: { ac: 9, an: 100 } })).toBeNull();
    expect(fafMax({ afr: { ac: 1, an: 100 }, nfe: { ac: 0, an: 50 } })).toBeNull();
    expect(grpmax({ afr: { ac: 1, an: 100 } })!.stratum).toBe('afr');
    expect(fafMax({}, {})).toBeNull();
  });

  it('faf99_max uses the 99% bound', () => {
    expect(fafMax(strata, { confidence: 0.99 })!.faf).toBe(filteringAlleleFrequency(30, 20_000, 0.99));
  });
});

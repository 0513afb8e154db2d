/**
 * Genomic inflation and Benjamini-Hochberg on hand-checked vectors; the
 * comparison with R's median/qchisq and p.adjust is in r-oracle.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, CHI_SQUARE_1DF_MEDIAN, genomicInflation } from '../../../coordinator/stats/index.js';

describe('genomic inflation', () => {
  it('is 1 when the median chi-square is qchisq(0.5, 1) = 0.45493642311957283', () => {
    expect(genomicInflation([0.1, CHI_SQUARE_1DF_MEDIAN, 3])).toBe(1);
  });

  it('averages the two middle values of an even count and skips null and NaN', () => {
    expect(genomicInflation([1, 3, null, Number.NaN, 0, 5])).toBe(2 / CHI_SQUARE_1DF_MEDIAN);
  });

  it('is null with no statistic, is not floored at 1 (unlike PLINK --adjust), and refuses negatives', () => {
    expect(genomicInflation([])).toBeNull();
    expect(genomicInflation([null, Number.NaN])).toBeNull();
    expect(genomicInflation([0.1, 0.2, 0.3])!).toBeLessThan(1);
    expect(() => genomicInflation([-1])).toThrow(RangeError);
  });
});

describe('Benjamini-Hochberg', () => {
  it('gives R p.adjust(c(0.01, 0.04, 0.03, 0.2), "BH") = 0.04, 0.05333, 0.05333, 0.2', () => {
    expect(benjaminiHochberg([0.01, 0.04, 0.03, 0.2])).toEqual([0.04, (4 / 3) * 0.04, (4 / 3) * 0.04, 0.2]);
    expect(benjaminiHochberg([0.01, 0.02, 0.03, 0.04, 0.05])).toEqual([0.05, 0.05, 0.05, 0.05, 0.05]);
  });

  it('keeps missing values as null and leaves them out of m', () => {
    expect(benjaminiHochberg([0.01, null, 0.04, Number.NaN])).toEqual([0.02, null, 0.04, null]);
    expect(benjaminiHochberg([])).toEqual([]);
  });

  it('refuses p-values outside [0, 1]', () => {
    expect(() => benjaminiHochberg([0.5, 1.5])).toThrow(RangeError);
  });

  it('never lowers a p-value, stays in [0, 1], and keeps the order of the p-values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }), (ps) => {
        const q = benjaminiHochberg(ps) as number[];
        ps.forEach((p, i) => {
          expect(q[i]).toBeGreaterThanOrEqual(p);
          expect(q[i]).toBeLessThanOrEqual(1);
          ps.forEach((p2, j) => {
            if (p < p2) expect(q[i]).toBeLessThanOrEqual(q[j]!);
          });
        });
      }),
    );
  });
});

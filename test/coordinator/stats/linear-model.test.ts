/**
 * Linear models from sums, without R: exactness where y'y - b'X'y cancels,
 * R's aliasing, n <= p, input checks, and the OLS test's edge cases.
 */
import { describe, expect, it } from 'vitest';
import { bareissDeterminant, bigRatio } from '../../../coordinator/stats/exact-rss.js';
import { fitFromSums, lmFitFromSums, olsCoefficientTest, prepareDesign } from '../../../coordinator/stats/index.js';
import { dequantize, quantize } from '../../../proto/expression.js';
import { exactSums, SUM_UNIT } from './limma-oracle.js';

/** Sums of one row (y) on a design (samples x p). */
function sums(design: number[][], y: number[]) {
  const s = exactSums(design, Float64Array.from(y), 1);
  return { n: s.n, xtx: s.xtx, xty: s.xty, yty: s.yty[0]!, unit: SUM_UNIT };
}

/** The exact RSS of a two-group (intercept + indicator) model in quantized units, as a double: sum over groups of sum (y - group mean)^2. */
function exactTwoGroupRss(y: number[], group: number[]): number {
  let rss = 0;
  for (const g of [0, 1]) {
    const q = y.filter((_, i) => group[i] === g).map((v) => BigInt(quantize(v)));
    const m = BigInt(q.length);
    const s = q.reduce((a, b) => a + b, 0n);
    const ss = q.reduce((a, b) => a + b * b, 0n);
    rss += Number(m * ss - s * s) / Number(m) / 2 ** 48; // (m sum y^2 - (sum y)^2) / m, exact before the division
  }
  return rss;
}

describe('fitFromSums', () => {
  it('a two-group model: coefficients are the group means and their difference, RSS the within-group sum of squares', () => {
    const group = [0, 0, 0, 1, 1, 1];
    const y = [1, 2, 3, 5, 7, 9].map((v) => dequantize(quantize(v)));
    const f = fitFromSums(sums(group.map((g) => [1, g]), y));
    expect(f.coefficients[0]).toBeCloseTo(2, 14);
    expect(f.coefficients[1]).toBeCloseTo(5, 14);
    expect(f.rss).toBeCloseTo(2 + 8, 12);
    expect(f.dfResidual).toBe(4);
    expect(f.sigma2).toBeCloseTo(10 / 4, 12);
    expect(f.stdevUnscaled[1]).toBeCloseTo(Math.sqrt(1 / 3 + 1 / 3), 14);
    expect(f.stdevUnscaled[0]).toBeCloseTo(Math.sqrt(1 / 3), 14);
  });

  it('keeps the residual variance of rows that vary by 1e-6 around 1000 (exact centring; a double-only y\'y - b\'X\'y loses it)', () => {
    const group = Array.from({ length: 40 }, (_, i) => i % 2);
    for (const sd of [1e-6, 1e-5, 1e-3]) {
      const y = group.map((g, i) => dequantize(quantize(1000 + g * 2 * sd + sd * Math.sin(i * 1.7))));
      const s = sums(group.map((g) => [1, g]), y);
      const f = fitFromSums(s);
      const exact = exactTwoGroupRss(y, group);
      expect(Math.abs(f.rss - exact) / exact).toBeLessThan(1e-12);
      // The naive double formula on the same sums, for contrast.
      const n1 = 20;
      const syy = Number(s.yty) * SUM_UNIT;
      const s0 = Number(s.xty[0]!) * 2 ** -48;
      const s1 = Number(s.xty[1]!) * 2 ** -48;
      const naive = syy - (s0 - s1) ** 2 / (40 - n1) - s1 ** 2 / n1;
      if (sd <= 1e-5) expect(Math.abs(naive - exact) / exact).toBeGreaterThan(1e-3);
    }
  });

  it('a perfect fit has RSS exactly 0; a near-perfect one keeps its RSS (recomputed in integers)', () => {
    const x = [1, 2, 3, 4, 5, 6, 7];
    const f = fitFromSums(sums(x.map((v) => [1, v]), x.map((v) => 3 + 0.5 * v)));
    expect(f.rss).toBe(0);
    expect(f.coefficients[1]).toBeCloseTo(0.5, 14);
    // One quantum (2^-24) added to the third sample.
    const y = x.map((v) => 3 + 0.5 * v);
    y[2] = y[2]! + 2 ** -24;
    const g = fitFromSums(sums(x.map((v) => [1, v]), y));
    // Residual of a unit bump e_3 on a line: 1 - h_33, h = 1/n + (x3 - mean)^2 / Sxx = 1/7 + 1/28.
    const exact = (1 - 1 / 7 - 1 / 28) * 2 ** -48;
    expect(Math.abs(g.rss - exact) / exact).toBeLessThan(1e-14);
    // The same through a design without the intercept column.
    const h = fitFromSums({ ...sums(x.map((v) => [1, v]), y), intercept: false });
    expect(Math.abs(h.rss - exact) / exact).toBeLessThan(1e-14);
  });

  it('aliased columns are dropped left to right like R (NaN coefficient and stdev), df = n - rank', () => {
    const rows = Array.from({ length: 10 }, (_, i) => [1, i % 2, (i % 3) / 2, 0, (i % 2) * 2, i]);
    const y = rows.map((r, i) => 1 + r[1]! - r[5]! * 0.1 + Math.cos(i));
    const f = fitFromSums(sums(rows, y));
    expect(f.estimable).toEqual([true, true, true, false, false, true]);
    expect(f.rank).toBe(4);
    expect(f.dfResidual).toBe(6);
    expect(Number.isNaN(f.coefficients[3]!) && Number.isNaN(f.coefficients[4]!)).toBe(true);
    expect(Number.isNaN(f.stdevUnscaled[3]!) && Number.isNaN(f.stdevUnscaled[4]!)).toBe(true);
    // Same fit as without the aliased columns.
    const g = fitFromSums(sums(rows.map((r) => [r[0]!, r[1]!, r[2]!, r[5]!]), y));
    expect(f.rss).toBeCloseTo(g.rss, 12);
    expect(f.coefficients[5]).toBeCloseTo(g.coefficients[3]!, 12);
  });

  it('n <= p: at most n columns are estimable and df.residual is 0 (sigma^2 NaN)', () => {
    const rows = [
      [1, 0, 5],
      [1, 1, 7],
    ];
    const f = fitFromSums(sums(rows, [2, 3]));
    expect(f.rank).toBe(2);
    expect(f.estimable).toEqual([true, true, false]);
    expect(f.dfResidual).toBe(0);
    expect(Number.isNaN(f.sigma2)).toBe(true);
    expect(olsCoefficientTest(sums(rows, [2, 3]), 1)!.estimate).toBeCloseTo(1, 14);
    expect(olsCoefficientTest(sums(rows, [2, 3]), 1)!.df).toBe(0);
    expect(Number.isNaN(olsCoefficientTest(sums(rows, [2, 3]), 1)!.p)).toBe(true);
  });

  it('a design without an intercept column (cell means) gives the same fit as the intercept parametrisation', () => {
    const group = [0, 1, 0, 1, 1, 0, 0, 1];
    const y = group.map((g, i) => 4 + 2 * g + Math.sin(i));
    const cells = fitFromSums({ ...sums(group.map((g) => [1 - g, g]), y), intercept: false });
    const ref = fitFromSums(sums(group.map((g) => [1, g]), y));
    expect(cells.coefficients[1]! - cells.coefficients[0]!).toBeCloseTo(ref.coefficients[1]!, 12);
    expect(cells.rss).toBeCloseTo(ref.rss, 10);
    expect(cells.dfResidual).toBe(ref.dfResidual);
  });

  it('rejects malformed sums, echoing no value', () => {
    const s = sums([[1, 0], [1, 1], [1, 1]], [1, 2, 3]);
    expect(() => prepareDesign({ ...s, xtx: s.xtx.slice(0, 3) })).toThrow(/p x p/);
    expect(() => prepareDesign({ ...s, xtx: [s.xtx[0]!, 1n, 2n, s.xtx[3]!] })).toThrow(/symmetric/);
    expect(() => prepareDesign({ ...s, n: 4 })).toThrow(/intercept/);
    expect(() => prepareDesign({ ...s, n: 0 })).toThrow(/positive integer/);
    expect(() => fitFromSums({ ...s, xty: s.xty.slice(0, 1) })).toThrow(/p entries/);
    expect(() => lmFitFromSums(s, s.xty.slice(0, 1), [s.yty])).toThrow(/p sums per gene/);
  });

  it('olsCoefficientTest is null for a monomorphic dosage (R drops the row)', () => {
    const rows = Array.from({ length: 12 }, (_, i) => [1, 1, i]);
    expect(olsCoefficientTest(sums(rows, rows.map((_, i) => Math.sin(i))), 1)).toBeNull();
    expect(() => olsCoefficientTest(sums(rows, rows.map((_, i) => Math.sin(i))), 3)).toThrow(/no such coefficient/);
  });
});

describe('exact integer helpers', () => {
  it('Bareiss determinants, a zero pivot and a singular matrix included', () => {
    expect(bareissDeterminant([])).toBe(1n);
    expect(bareissDeterminant([[7n]])).toBe(7n);
    expect(bareissDeterminant([[2n, 1n, 3n], [4n, 5n, 6n], [7n, 8n, 10n]])).toBe(-3n);
    expect(bareissDeterminant([[0n, 1n], [1n, 0n]])).toBe(-1n);
    expect(bareissDeterminant([[1n, 2n], [2n, 4n]])).toBe(0n);
    const big = 1n << 300n;
    expect(bareissDeterminant([[big, 1n], [1n, big]])).toBe(big * big - 1n);
  });

  it('bigRatio divides BigInts beyond the double range to double precision', () => {
    expect(bigRatio(1n, 3n)).toBe(1 / 3);
    expect(bigRatio(-(10n ** 400n), 4n * 10n ** 399n)).toBe(-2.5);
    expect(bigRatio(0n, 5n)).toBe(0);
  });
});

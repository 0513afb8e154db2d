/**
 * limma's empirical Bayes without R: an infinite prior df, zero residual
 * variances, no residual df, an aliased coefficient; and the special
 * functions underneath against values R printed (digits = 17).
 */
import { describe, expect, it } from 'vitest';
import { eBayes, fitFDist, squeezeVar, tetragamma, topTable, trigamma, trigammaInverse, twoSidedTP, type LinearModelFit } from '../../../coordinator/stats/index.js';

/** A fit of `genes` genes with a two-column design, given sigma per gene. */
function fakeFit(sigma: number[], df = 4, coef = (g: number) => 0.1 * g): LinearModelFit {
  const genes = sigma.length;
  return {
    genes,
    p: 2,
    coefficients: Float64Array.from({ length: 2 * genes }, (_, k) => (k % 2 === 0 ? 5 : coef(k >> 1))),
    stdevUnscaled: Float64Array.from({ length: 2 * genes }, (_, k) => (k % 2 === 0 ? 0.4 : 0.8)),
    sigma: Float64Array.from(sigma),
    dfResidual: new Float64Array(genes).fill(df),
    amean: Float64Array.from({ length: genes }, (_, g) => g / 10),
    estimable: [true, true],
  };
}

describe('eBayes edge cases', () => {
  it('equal residual variances: df.prior is Infinity, s2.post = s2.prior, df.total capped at the pooled df', () => {
    const fit = fakeFit(new Array<number>(50).fill(0.3));
    const eb = eBayes(fit);
    expect(eb.dfPrior).toBe(Number.POSITIVE_INFINITY);
    for (const v of eb.s2Post) expect(v).toBeCloseTo(0.09, 15);
    for (const d of eb.dfTotal) expect(d).toBe(200);
    const g = 7;
    const t = fit.coefficients[2 * g + 1]! / 0.8 / 0.3;
    expect(eb.t[2 * g + 1]).toBeCloseTo(t, 12);
    expect(eb.pValue[2 * g + 1]).toBeCloseTo(twoSidedTP(t, 200), 15);
    // trend = TRUE with equal variances: also infinite, and s0^2 = exp(fitted e), i.e. 0.09 exp(log 2 - digamma(2)) = 0.11793958664689859
    // (R prints that: limma's trend branch does not undo the digamma shift when df.prior is infinite).
    const tr = eBayes(fit, { trend: true });
    expect(tr.dfPrior).toBe(Number.POSITIVE_INFINITY);
    for (const v of tr.s2Prior) expect(v).toBeCloseTo(0.11793958664689859, 14);
  });

  it('genes with sigma^2 = 0 get a positive posterior variance and finite t (R warns; so do we)', () => {
    const sigma = Array.from({ length: 40 }, (_, g) => (g % 10 === 0 ? 0 : 0.2 + 0.05 * Math.sin(g)));
    const eb = eBayes(fakeFit(sigma));
    expect(eb.warning).toMatch(/Zero sample variances/);
    expect(Number.isFinite(eb.dfPrior)).toBe(true);
    for (let g = 0; g < 40; g += 10) {
      expect(eb.s2Post[g]!).toBeGreaterThan(0);
      expect(Number.isFinite(eb.t[2 * g + 1]!)).toBe(true);
    }
  });

  it('more than half the variances zero: R\'s warning, median taken as 1, still finite', () => {
    const sigma = Array.from({ length: 20 }, (_, g) => (g < 12 ? 0 : 0.3 + 0.01 * g));
    const eb = eBayes(fakeFit(sigma));
    expect(eb.warning).toMatch(/More than half/);
    expect(eb.s2Post.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  });

  it('no residual df (n <= p) is an error, as is no finite sigma', () => {
    expect(() => eBayes(fakeFit([Number.NaN, Number.NaN], 0))).toThrow(/no residual degrees of freedom/);
    expect(() => eBayes(fakeFit([Number.NaN, Number.NaN], 3))).toThrow(/no finite residual/);
  });

  it('topTable sorts by p (stable, NA last), BH-adjusts, and refuses an aliased coefficient', () => {
    const fit = fakeFit(Array.from({ length: 30 }, (_, g) => 0.2 + 0.01 * ((g * 7) % 11)), 4, (g) => (g === 3 ? Number.NaN : ((g * 13) % 30) / 30));
    const eb = eBayes(fit);
    const table = topTable(fit, eb, 1);
    expect(table.length).toBe(30);
    expect(table[29]!.gene).toBe(3);
    expect(table[29]!.adjPValue).toBeNull();
    for (let i = 1; i < 29; i++) expect(table[i]!.pValue).toBeGreaterThanOrEqual(table[i - 1]!.pValue);
    expect(() => topTable({ ...fit, estimable: [true, false] }, eb, 1)).toThrow(/coefficient 1 is not estimable/);
    expect(() => topTable(fit, eb, 2)).toThrow(/no such coefficient/);
  });

  it('fitFDist: n = 0, n = 1, an unusable df1', () => {
    expect(fitFDist([], 3).df2).toBeNaN();
    expect(fitFDist([0.4], 3)).toMatchObject({ df2: 0 });
    expect(fitFDist([0.4, 0.5], Number.NaN).df2).toBeNaN();
    expect(() => squeezeVar([0.4, 0.5], Number.NaN)).toThrow(/prior df/);
  });
});

describe('special functions against R', () => {
  it('two-sided t p-values, tiny ones included, within 1e-12 relative', () => {
    const cases: [number, number, number][] = [
      [-40, 3.5, 8.7664411093730227e-6],
      [12, 100, 4.3950877156043564e-21],
      [-1.5, 7, 0.17729848698997003],
      [60, 30, 8.3113096135322409e-33],
      [-200, 250.5, 2.5498408664123405e-278],
      [0.3, 4.25, 0.77828326521380764],
    ];
    for (const [t, df, r] of cases) expect(Math.abs(twoSidedTP(t, df) - r) / r).toBeLessThan(1e-12);
    expect(twoSidedTP(0, 5)).toBe(1);
    expect(twoSidedTP(Number.NaN, 5)).toBeNaN();
  });

  it('psigamma(x, 2) within 1e-13 relative', () => {
    const cases: [number, number][] = [
      [0.01, -2000002.3403986769],
      [0.5, -16.82879664423432],
      [1, -2.4041138063191885],
      [3.7, -0.095395308728554035],
      [19.9, -0.0026552682774901052],
      [20.1, -0.0026013906050221915],
      [1000, -1.0010004999998335e-6],
    ];
    for (const [x, r] of cases) expect(Math.abs(tetragamma(x) - r) / Math.abs(r)).toBeLessThan(1e-13);
  });

  it('trigammaInverse equals limma\'s, and inverts trigamma', () => {
    const cases: [number, number][] = [
      [1e-7, 1e7],
      [0.01, 100.49916668194319],
      [0.5, 2.4599529483523073],
      [3, 0.67547810528137009],
      [1e4, 0.010000810704391058],
      [2e7, 0.00022360679774997895],
    ];
    for (const [x, r] of cases) expect(Math.abs(trigammaInverse(x) - r) / r).toBeLessThan(1e-13);
    for (const x of [1e-5, 0.3, 2, 50]) expect(trigamma(trigammaInverse(x)) / x).toBeCloseTo(1, 12);
    expect(trigammaInverse(-1)).toBeNaN();
  });
});

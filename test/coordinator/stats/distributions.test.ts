/**
 * The distribution functions under the statistics, against values R prints
 * with digits = 17 (qnorm, qchisq, pchisq, qgamma).
 */
import { describe, expect, it } from 'vitest';
import { chiSquareUpperTail, gammaQuantile, normalQuantile, normalUpperTail, regularizedGammaP, regularizedGammaQ } from '../../../coordinator/stats/index.js';

const rel = (x: number, y: number): number => (x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));

describe('distribution functions', () => {
  it('chiSquareUpperTail(qchisq(0.95, 1)) is 0.05 and reaches 1e-306 with 1e-12 relative error (R pchisq(1400, 1, lower = FALSE))', () => {
    expect(rel(chiSquareUpperTail(3.841458820694124, 1), 0.05)).toBeLessThan(1e-14);
    expect(rel(chiSquareUpperTail(1400, 1), 2.1010145162641344e-306)).toBeLessThan(1e-12);
    expect(chiSquareUpperTail(0, 1)).toBe(1);
    expect(chiSquareUpperTail(Infinity, 1)).toBe(0);
  });

  it('normalQuantile gives qnorm(0.975) = 1.9599639845400536, qnorm(1e-300) = -37.047096299361201, and is odd', () => {
    expect(rel(normalQuantile(0.975), 1.9599639845400536)).toBeLessThan(1e-14);
    expect(rel(normalQuantile(1e-300), -37.047096299361201)).toBeLessThan(1e-14);
    expect(normalQuantile(0.3)).toBeCloseTo(-normalQuantile(0.7), 14);
    expect(normalQuantile(0.5)).toBe(0);
    expect(rel(normalUpperTail(1.9599639845400536), 0.025)).toBeLessThan(1e-14);
  });

  it('gammaQuantile gives qgamma(0.05, 1) = -ln(0.95) and qgamma(0.05, 1e6) = 998355.71508371783', () => {
    expect(rel(gammaQuantile(0.05, 1), -Math.log(0.95))).toBeLessThan(1e-14);
    expect(rel(gammaQuantile(0.05, 1e6), 998355.71508371783)).toBeLessThan(1e-13);
    expect(rel(regularizedGammaP(7.5, gammaQuantile(0.3, 7.5)), 0.3)).toBeLessThan(1e-14);
  });

  it('P(a, x) + Q(a, x) = 1 on both sides of x = a + 1', () => {
    for (const [a, x] of [[0.5, 0.2], [3, 3.9], [3, 4.1], [50, 40], [50, 70]] as const) expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 14);
  });
});

/**
 * The coordinator's reading of the expression kinds' sums under DP
 * (coordinator/kinds/expression-sums.ts): released integers back to one
 * unit, n and X'X's intercept entry consistent; the variance the noise on
 * X'y adds to a coefficient, against the closed form (X'X)^-1 diag(sd^2)
 * (X'X)^-1 computed here by plain Gauss-Jordan inversion, and against a
 * simulation.
 */
import { describe, expect, it } from 'vitest';
import { coefficientNoiseVariance, decodeModelSums, noisyDesign } from '../../../coordinator/kinds/expression-sums.js';
import { fitRowInto, prepareDesign } from '../../../coordinator/stats/index.js';
import { encodeLimbs, EXPR_LIMBS, quantize } from '../../../proto/expression.js';
import { modelFamilies, releaseSum } from '../../../proto/expression-dp.js';
import { deSumCount, triangleIndex } from '../../../proto/expression-design.js';

let seed = 5;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

/** A design with intercept, a 0/1 group and a numeric covariate, n rows; exact X'X at 2^-48. */
function design(n: number): { x: number[][]; xtx: bigint[] } {
  const x = Array.from({ length: n }, () => [1, rnd() < 0.4 ? 1 : 0, Math.round(rnd() * 60)]);
  const xtx: bigint[] = [];
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) xtx.push(x.reduce((s, r) => s + BigInt(quantize(r[a]!)) * BigInt(quantize(r[b]!)), 0n));
  return { x, xtx };
}

/** Gauss-Jordan inverse of a small dense matrix (rows). */
function inverse(m: number[][]): number[][] {
  const k = m.length;
  const a = m.map((r, i) => [...r, ...Array.from({ length: k }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    const d = a[c]![c]!;
    for (let j = 0; j < 2 * k; j++) a[c]![j]! /= d;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < 2 * k; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  return a.map((r) => r.slice(k));
}

describe('noisy sums at the coordinator', () => {
  it('released integers come back in one unit: each product sum within half a released unit of the exact value, n rounded and X\'X[0][0] equal to it', () => {
    const { xtx } = design(40);
    const p = 3;
    const fams = modelFamilies([1, 1, 60].map((b) => BigInt(quantize(b))), 8, 2, 1);
    const count = deSumCount(p, 2);
    const exact = new Array<bigint>(count).fill(0n);
    exact[0] = 40n;
    for (let a = 0; a < p; a++) for (let b = a; b < p; b++) exact[1 + triangleIndex(a, b, p)] = xtx[a * p + b]!;
    for (let i = 1 + 6; i < count; i++) exact[i] = BigInt(Math.round((rnd() - 0.5) * 2 ** 60));
    const familyOf = (i: number): number => (i < 7 ? i : 7 + ((i - 7) % 4));
    const totals = new Uint32Array(count * EXPR_LIMBS);
    exact.forEach((v, i) => encodeLimbs(releaseSum(v, fams[familyOf(i)]!.shift), totals, i * EXPR_LIMBS));
    const s = decodeModelSums(Float64Array.from(totals), 0, p, 2, fams);
    expect(s.n).toBe(40);
    expect(Number(s.xtx[0]!) * s.unit).toBe(40);
    const half = (i: number): number => 2 ** (fams[familyOf(i)]!.shift - 48) / 2;
    for (let a = 0; a < p; a++) for (let b = a; b < p; b++) {
      if (a === 0 && b === 0) continue;
      const i = 1 + triangleIndex(a, b, p);
      expect(Math.abs(Number(s.xtx[a * p + b]!) * s.unit - Number(exact[i]!) * 2 ** -48)).toBeLessThanOrEqual(half(i));
      expect(s.xtx[b * p + a]).toBe(s.xtx[a * p + b]);
    }
    for (let g = 0; g < 2; g++) for (let j = 0; j <= p; j++) {
      const i = 7 + g * 4 + j;
      const got = j < p ? s.xty[g * p + j]! : s.yty[g]!;
      expect(Math.abs(Number(got) * s.unit - Number(exact[i]!) * 2 ** -48)).toBeLessThanOrEqual(half(i));
    }
    expect('design' in noisyDesign(s)).toBe(true);
    expect(noisyDesign({ ...s, n: 3 })).toEqual({ reason: 'the noisy sample count (3) is not above the design\'s 3 columns' });
  });

  it('the variance noise on X\'y adds to a coefficient equals the closed form sum_k [(X\'X)^-1]_jk^2 sd_k^2, and a simulation of 20,000 noise draws', () => {
    const { x, xtx } = design(200);
    const d = prepareDesign({ n: 200, xtx, unit: 2 ** -48, intercept: true });
    const sd = [30, 7, 400];
    const inv = inverse([0, 1, 2].map((a) => [0, 1, 2].map((b) => Number(xtx[a * 3 + b]!) * 2 ** -48)));
    for (const j of [1, 2]) {
      const closed = sd.reduce((s, v, k) => s + inv[j]![k]! ** 2 * v * v, 0);
      expect(coefficientNoiseVariance(d, j, sd)).toBeCloseTo(closed, 12 - Math.ceil(Math.log10(closed)));
    }
    // Simulated: the fitted group coefficient's spread when X'y carries that noise (Gaussian; y itself fixed).
    const y = x.map((r) => 3 + 0.5 * r[1]! + 0.01 * r[2]! + (rnd() - 0.5));
    const xty = [0, 1, 2].map((k) => x.reduce((s, r, i) => s + BigInt(quantize(r[k]!)) * BigInt(quantize(y[i]!)), 0n));
    const yty = y.reduce((s, v) => s + BigInt(quantize(v)) ** 2n, 0n);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const coef = new Float64Array(3);
    const draws: number[] = [];
    for (let t = 0; t < 20_000; t++) {
      const noisy = xty.map((v, k) => v + BigInt(Math.round((gauss() * sd[k]!) * 2 ** 48)));
      fitRowInto(d, noisy, 0, yty, coef, 0);
      draws.push(coef[1]!);
    }
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
    const want = coefficientNoiseVariance(d, 1, sd);
    expect(Math.abs(variance / want - 1)).toBeLessThan(5 * Math.sqrt(2 / draws.length));
  });
});

/**
 * The expression kinds' network sums at the coordinator: a linear model's
 * n, X'X, X'y and y'y recombined from their limbs (proto/expression.ts),
 * exact with DP off (units of 2^-48), and with DP on (proto/expression-dp.ts)
 * each released integer taken back from its family's units to one common
 * unit, so the fit (coordinator/stats) reads them as it reads exact sums.
 * With DP the n the fit uses is the noisy n rounded to whole people, and
 * X'X's intercept entry (the same count) is set to it. And what the answer
 * says of the noise: its sd on each family of network sums, in the sums'
 * own units.
 */
import { decodeLimbs, EXPR_FRACTION_BITS, EXPR_LIMBS } from '../../proto/expression.js';
import { releasedUnitLog2, type DpSumFamily } from '../../proto/expression-dp.js';
import { deGeneOffset, triangleIndex } from '../../proto/expression-design.js';
import { fitRowUnclamped, prepareDesign, type PreparedDesign } from '../stats/index.js';

/** One model's sums: integers standing for value x `unit`; X'X p x p (symmetric), X'y genes x p. */
export interface ModelSums {
  /** Samples (with DP: the noisy count, rounded; may be <= 0). */
  readonly n: number;
  readonly xtx: bigint[];
  readonly xty: bigint[];
  readonly yty: bigint[];
  readonly unit: number;
}

/**
 * The sums of one block (n, X'X triangle, then per gene X'y and y'y) whose
 * first sum is sum number `first` of the totals. `families`
 * (modelFamilies' order; DP on) or null (exact).
 */
export function decodeModelSums(totals: ArrayLike<number>, first: number, p: number, genes: number, families: readonly DpSumFamily[] | null): ModelSums {
  const at = (i: number): bigint => decodeLimbs(totals, (first + i) * EXPR_LIMBS);
  const tri = (i: number, j: number): number => 1 + triangleIndex(i, j, p);
  const xtx = new Array<bigint>(p * p);
  const xty = new Array<bigint>(genes * p);
  const yty = new Array<bigint>(genes);
  if (!families) {
    for (let i = 0; i < p; i++) for (let j = i; j < p; j++) xtx[i * p + j] = xtx[j * p + i] = at(tri(i, j));
    for (let g = 0; g < genes; g++) {
      const o = deGeneOffset(p, g);
      for (let j = 0; j < p; j++) xty[g * p + j] = at(o + j);
      yty[g] = at(o + p);
    }
    return { n: Number(at(0)), xtx, xty, yty, unit: 2 ** (-2 * EXPR_FRACTION_BITS) };
  }
  // Family f holds sums released in units of 2^e(f); all products go to the finest of those units.
  const e = families.map(releasedUnitLog2);
  const fine = Math.min(...e.slice(1));
  const lift = (v: bigint, f: number): bigint => v << BigInt(e[f]! - fine);
  const n = Math.round(Number(at(0)) * 2 ** e[0]!);
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) xtx[i * p + j] = xtx[j * p + i] = lift(at(tri(i, j)), tri(i, j));
  // The intercept's X'X entry is the count again: one estimate of it, consistent with n (coordinator/stats checks it).
  xtx[0] = BigInt(n) << BigInt(-fine);
  const yFamily = 1 + (p * (p + 1)) / 2;
  for (let g = 0; g < genes; g++) {
    const o = deGeneOffset(p, g);
    for (let j = 0; j < p; j++) xty[g * p + j] = lift(at(o + j), yFamily + j);
    yty[g] = lift(at(o + p), yFamily + p);
  }
  return { n, xtx, xty, yty, unit: 2 ** fine };
}

/** What the answer says of the DP noise (null with DP off). */
export interface ExpressionNoise {
  /** Every site clipped y to [-clip, clip] (log-CPM or log values). */
  readonly clip: number;
  /** The sd of the noise on each network sum of a family, in the sum's own units (people; value x design value; value^2; reads). */
  readonly sums: readonly { readonly sum: string; readonly sd: number }[];
}

/** Noise sd per family: the Skellam sd sqrt(2 mu) in released units, times what a unit stands for; families no person changes carry none. */
export function noiseReport(families: readonly DpSumFamily[], mu: number, clip: number): ExpressionNoise {
  const sd = Math.sqrt(2 * mu);
  return { clip, sums: families.filter((f) => f.delta > 0n).map((f) => ({ sum: f.name, sd: sd * 2 ** releasedUnitLog2(f) })) };
}

/**
 * Whether noisy sums still give a model (DP on): n above the design's
 * columns and X'X positive definite with every column kept (R's pivoting
 * would call a column aliased; under noise that means the noise, not the
 * design). The prepared design, or why not.
 */
export function noisyDesign(s: ModelSums): { design: PreparedDesign } | { reason: string } {
  const p = Math.round(Math.sqrt(s.xtx.length));
  if (!(s.n > p)) return { reason: `the noisy sample count (${s.n}) is not above the design's ${p} columns` };
  const design = prepareDesign({ n: s.n, xtx: s.xtx, unit: s.unit, intercept: true });
  if (design.rank < p) return { reason: 'the noisy X\'X is not positive definite' };
  return { design };
}

/** The residual sum of squares of each row of noisy sums (may be <= 0: no positive variance to test against). */
export function noisyRss(design: PreparedDesign, s: ModelSums): Float64Array {
  const p = design.p;
  const coef = new Float64Array(p);
  return Float64Array.from(s.yty, (yty, g) => fitRowUnclamped(design, s.xty, g * p, yty, coef, 0));
}

/**
 * The variance DP noise on X'y adds to the estimate of coefficient `coef`
 * (>= 1), the noise on each X'y sum independent with sd `xtySd[k]` (real
 * units: noiseReport). With the intercept centred out (as
 * coordinator/stats/linear-model.ts fits), the estimate is w'c for w the
 * coefficient's row of S^-1 (S the centred X'X) and c_k = X'y_k - m_k X'y_0,
 * so its noise is sum_b w_b (e_k - m_k e_0): variance sum_b w_b^2 sd_k^2 +
 * (sum_b w_b m_k)^2 sd_0^2. X'X's own noise (proportional to its
 * sensitivity, small beside X'y's: expression-dp.ts) is not counted.
 */
export function coefficientNoiseVariance(d: PreparedDesign, coef: number, xtySd: readonly number[]): number {
  const a = d.cols.indexOf(coef);
  if (!d.intercept || a < 0) throw new RangeError('coefficientNoiseVariance: the coefficient must be an estimable non-intercept column of an intercept design');
  const m = d.cols.length;
  const L = d.chol;
  // w = S^-1 e_a: L z = e_a, then L' w = z.
  const z = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = i === a ? 1 : 0;
    for (let j = 0; j < i; j++) s -= L[i * m + j]! * z[j]!;
    z[i] = s / L[i * m + i]!;
  }
  const w = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let j = i + 1; j < m; j++) s -= L[j * m + i]! * w[j]!;
    w[i] = s / L[i * m + i]!;
  }
  let own = 0;
  let shared = 0;
  for (let b = 0; b < m; b++) {
    const k = d.cols[b]!;
    own += w[b]! * w[b]! * xtySd[k]! * xtySd[k]!;
    shared += w[b]! * d.colMeans[k]!;
  }
  return own + shared * shared * xtySd[0]! * xtySd[0]!;
}

/** The noise sd of each X'y column's sums (real units), from the answer's report, in design-column order. */
export function xtyNoiseSd(noise: ExpressionNoise, p: number): number[] {
  return Array.from({ length: p }, (_, j) => noise.sums.find((s) => s.sum === `X'y[${j}]`)?.sd ?? 0);
}

/**
 * Natural cubic spline bases: R `splines::ns(x, df, knots, intercept,
 * Boundary.knots)`, step for step: interior knots at R's type-7 quantiles
 * of x, boundary knots at range(x), the cubic B-spline basis
 * (`splineDesign`), linear beyond the boundary knots, then projected onto
 * the null space of the second derivatives at the boundary knots through
 * the same Householder QR as R's (`qr(t(const))`, `qr.qty`), so the columns
 * equal R's, not merely span the same space. limma's trend fit uses
 * ns(Amean, df, intercept = TRUE).
 */
import { splineDesign } from './b-spline.js';
import { qrDecompose, qrQty } from './householder-qr.js';

export interface NaturalSplineOptions {
  /** Degrees of freedom (columns); sets df - 1 - intercept interior knots at quantiles of x. */
  df?: number;
  /** Interior knots (instead of df). */
  knots?: readonly number[];
  intercept?: boolean;
  /** Defaults to range(x); points outside it get the linear extension (R's predict on an ns basis). */
  boundaryKnots?: readonly [number, number];
}

export interface NaturalSplineBasis {
  /** length(x) x ncol, row-major. */
  basis: Float64Array;
  ncol: number;
  knots: number[];
  boundaryKnots: [number, number];
  intercept: boolean;
}

/** R `quantile(x, probs, type = 7)` (x without NaN). */
export function quantileType7(x: readonly number[], probs: readonly number[]): number[] {
  const s = [...x].sort((a, b) => a - b);
  const n = s.length;
  return probs.map((p) => {
    const index = 1 + Math.max(n - 1, 0) * p;
    const lo = Math.floor(index);
    const hi = Math.ceil(index);
    const qs = s[lo - 1]!;
    if (!(index > lo && s[hi - 1] !== qs)) return qs;
    const h = index - lo;
    return (1 - h) * qs + h * s[hi - 1]!;
  });
}

/** R `seq.int(0, 1, length.out = m)` without its two ends. */
function innerProbs(m: number): number[] {
  const by = 1 / (m - 1);
  return Array.from({ length: m - 2 }, (_, i) => (i + 1) * by);
}

/** R `ns(x, df = , knots = , intercept = , Boundary.knots = )`; x must be finite. */
export function naturalSpline(x: readonly number[], opts: NaturalSplineOptions): NaturalSplineBasis {
  const intercept = opts.intercept ?? false;
  if (x.some((v) => !Number.isFinite(v))) throw new RangeError('naturalSpline: x must be finite');
  let bk: [number, number];
  const given = opts.boundaryKnots !== undefined;
  if (given) {
    const [a, b] = opts.boundaryKnots!;
    bk = a <= b ? [a, b] : [b, a];
  } else if (x.length === 1) {
    bk = [(x[0]! * 7) / 8, (x[0]! * 9) / 8];
  } else {
    bk = [x.reduce((m, v) => Math.min(m, v)), x.reduce((m, v) => Math.max(m, v))];
  }
  const outsideLow = x.map((v) => given && v < bk[0]);
  const outsideHigh = x.map((v) => given && v > bk[1]);
  let knots: number[];
  if (opts.knots !== undefined) knots = [...opts.knots];
  else if (opts.df !== undefined) {
    const nIknots = Math.max(0, opts.df - 1 - (intercept ? 1 : 0));
    const inside = x.filter((_, i) => !outsideLow[i] && !outsideHigh[i]);
    knots = nIknots > 0 ? quantileType7(inside, innerProbs(nIknots + 2)) : [];
  } else knots = [];
  const aknots = [bk[0], bk[0], bk[0], bk[0], ...knots, bk[1], bk[1], bk[1], bk[1]].sort((a, b) => a - b);
  const K = aknots.length - 4;
  // The cubic B-spline basis; beyond a boundary knot, value + slope there times the distance.
  const full = new Float64Array(x.length * K);
  const inIdx = x.flatMap((_, i) => (outsideLow[i] || outsideHigh[i] ? [] : [i]));
  const core = splineDesign(aknots, inIdx.map((i) => x[i]!), 4).values;
  inIdx.forEach((i, r) => full.set(core.subarray(r * K, r * K + K), i * K));
  for (const [side, pivotKnot] of [[outsideLow, bk[0]], [outsideHigh, bk[1]]] as const) {
    if (!side.some(Boolean)) continue;
    const tt = splineDesign(aknots, [pivotKnot, pivotKnot], 4, [0, 1]).values; // 2 x K: value, slope
    side.forEach((out, i) => {
      if (!out) return;
      const d = x[i]! - pivotKnot;
      for (let j = 0; j < K; j++) full[i * K + j] = tt[j]! + d * tt[K + j]!;
    });
  }
  const constraint = splineDesign(aknots, bk, 4, [2, 2]).values; // 2 x K
  const drop = intercept ? 0 : 1;
  const kc = K - drop;
  // t(const) is kc x 2 column-major: column c is constraint row c without the dropped column.
  const tconst = new Float64Array(2 * kc);
  for (let c = 0; c < 2; c++) for (let j = 0; j < kc; j++) tconst[c * kc + j] = constraint[c * K + j + drop]!;
  const qr = qrDecompose(tconst, kc, 2);
  const ncol = kc - 2;
  const basis = new Float64Array(x.length * ncol);
  for (let i = 0; i < x.length; i++) {
    const qty = qrQty(qr, full.subarray(i * K + drop, i * K + K));
    basis.set(qty.subarray(2), i * ncol);
  }
  return { basis, ncol, knots, boundaryKnots: bk, intercept };
}

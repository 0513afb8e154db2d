/**
 * limma's `fitFDist(x, df1, covariate)` (limma 3.54, robust = FALSE), line
 * for line: moment estimation of a scaled F distribution for the sample
 * variances x with df1 degrees of freedom, i.e. the prior variance s0^2
 * (`scale`) and prior degrees of freedom d0 (`df2`) of the empirical Bayes
 * model s^2 | sigma^2 ~ sigma^2 chi2(df1) / df1, 1/sigma^2 ~ chi2(d0) / (d0 s0^2).
 *
 * e = log(max(x, 1e-5 median(x))) - digamma(df1/2) + log(df1/2); without a
 * covariate its mean and variance give the moments; with one (limma-trend:
 * the genes' Amean) its mean is a least-squares fit on the natural spline
 * basis `ns(covariate, df = splinedf, intercept = TRUE)`, splinedf = 1 +
 * (nok >= 3) + (nok >= 6) + (nok >= 30) capped at the number of distinct
 * covariate values, and the variance is the residual mean square. d0 =
 * 2 trigammaInverse(var(e) - mean(trigamma(df1/2))), Infinity when that is
 * not positive.
 */
import { naturalSpline } from './natural-spline.js';
import { qrDecompose, qrLeastSquares } from './householder-qr.js';
import { digamma, trigamma, trigammaInverse } from './polygamma.js';

export interface FDistFit {
  /** s0^2 per element of x (one value repeated when there is no covariate); NaN where R gives NA. */
  scale: Float64Array;
  /** d0: may be Infinity (no evidence of varying variances), 0 or NaN as R's. */
  df2: number;
  /** R's warning, if it would print one. */
  warning?: string;
}

/** Sum with Neumaier compensation (R accumulates in long double). */
export function accurateSum(x: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

/** R `mean(x)`: the sum over n, refined by the mean residual. */
export function rMean(x: ArrayLike<number>): number {
  const n = x.length;
  let s = accurateSum(x) / n;
  if (Number.isFinite(s)) s += accurateSum(Array.from(x, (v) => v - s)) / n;
  return s;
}

/** R `median(x)` (no NaN). */
export function rMedian(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function constant(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}

/** limma `fitFDist(x, df1, covariate = NULL)`. df1 is one value or one per element. */
export function fitFDist(x: ArrayLike<number>, df1: number | ArrayLike<number>, covariate?: ArrayLike<number>): FDistFit {
  const n = x.length;
  if (n === 0) return { scale: new Float64Array(0), df2: Number.NaN };
  if (n === 1) return { scale: constant(1, x[0]!), df2: 0 };
  const dfOk = (d: number): boolean => Number.isFinite(d) && d > 1e-15;
  const df = typeof df1 === 'number' ? null : df1;
  if (df === null && !dfOk(df1 as number)) return { scale: constant(n, Number.NaN), df2: Number.NaN };
  if (df !== null && df.length !== n) throw new RangeError('fitFDist: x and df1 have different lengths');
  let cov: number[] | null = null;
  if (covariate !== undefined) {
    if (covariate.length !== n) throw new RangeError('fitFDist: x and covariate must be of same length');
    cov = Array.from(covariate);
    if (cov.some(Number.isNaN)) throw new RangeError('fitFDist: NaN covariate values not allowed');
    const fin = cov.filter(Number.isFinite);
    if (fin.length < n) {
      if (fin.length > 0) {
        const lo = fin.reduce((a, b) => Math.min(a, b));
        const hi = fin.reduce((a, b) => Math.max(a, b));
        cov = cov.map((v) => (v === -Infinity ? lo - 1 : v === Infinity ? hi + 1 : v));
      } else cov = cov.map(Math.sign);
    }
  }
  const ok: boolean[] = Array.from({ length: n }, (_, i) => (df === null || dfOk(df[i]!)) && Number.isFinite(x[i]!) && x[i]! > -1e-15);
  const idx = ok.flatMap((o, i) => (o ? [i] : []));
  const nok = idx.length;
  if (nok === 1) return { scale: constant(n, x[idx[0]!]!), df2: 0 };
  const xs = idx.map((i) => x[i]!);
  const d1 = df === null ? null : idx.map((i) => df[i]!);
  const d1At = (k: number): number => (d1 === null ? (df1 as number) : d1[k]!);
  let splinedf = 1;
  if (cov !== null) {
    const covOk = idx.map((i) => cov![i]!);
    splinedf = Math.min(1 + (nok >= 3 ? 1 : 0) + (nok >= 6 ? 1 : 0) + (nok >= 30 ? 1 : 0), new Set(covOk).size);
    if (splinedf < 2) {
      const out = fitFDist(xs, d1 === null ? (df1 as number) : d1);
      return { ...out, scale: constant(n, out.scale[0]!) };
    }
  }
  let warning: string | undefined;
  let xc = xs.map((v) => Math.max(v, 0));
  let m = rMedian(xc);
  if (m === 0) {
    warning = 'More than half of residual variances are exactly zero: eBayes unreliable';
    m = 1;
  } else if (xc.some((v) => v === 0)) warning = 'Zero sample variances detected, have been offset away from zero';
  xc = xc.map((v) => Math.max(v, 1e-5 * m));
  const e = xc.map((v, k) => Math.log(v) - digamma(d1At(k) / 2) + Math.log(d1At(k) / 2));
  let emean: Float64Array;
  let evar: number;
  if (cov === null) {
    const mu = rMean(e);
    emean = constant(n, mu);
    evar = accurateSum(e.map((v) => (v - mu) ** 2)) / (nok - 1);
  } else {
    const covOk = idx.map((i) => cov![i]!);
    const ns = naturalSpline(covOk, { df: splinedf, intercept: true });
    const X = new Float64Array(nok * ns.ncol);
    for (let i = 0; i < nok; i++) for (let j = 0; j < ns.ncol; j++) X[j * nok + i] = ns.basis[i * ns.ncol + j]!;
    const qr = qrDecompose(X, nok, ns.ncol);
    const fit = qrLeastSquares(qr, e);
    emean = new Float64Array(n);
    idx.forEach((i, k) => (emean[i] = fit.fitted[k]!));
    const notOk = ok.flatMap((o, i) => (o ? [] : [i]));
    if (notOk.length > 0) {
      const pred = naturalSpline(notOk.map((i) => cov![i]!), { knots: ns.knots, boundaryKnots: ns.boundaryKnots, intercept: true });
      notOk.forEach((i, r) => {
        let s = 0;
        for (let j = 0; j < pred.ncol; j++) s += pred.basis[r * pred.ncol + j]! * fit.coefficients[j]!;
        emean[i] = s;
      });
    }
    evar = rMean(fit.effects.subarray(qr.rank).map((v) => v * v));
  }
  evar -= d1 === null ? trigamma((df1 as number) / 2) : rMean(d1.map((d) => trigamma(d / 2)));
  if (evar > 0) {
    const df2 = 2 * trigammaInverse(evar);
    const shift = digamma(df2 / 2);
    const logHalf = Math.log(df2 / 2);
    return { scale: emean.map((v) => Math.exp(v + shift - logHalf)), df2, ...(warning ? { warning } : {}) };
  }
  const scale = cov === null ? constant(n, rMean(xc)) : emean.map(Math.exp);
  return { scale, df2: Number.POSITIVE_INFINITY, ...(warning ? { warning } : {}) };
}

/**
 * Ordinary least squares from network sums: n, X'X, X'y and y'y give the
 * coefficients, R's aliasing, stdev.unscaled = sqrt(diag((X'X)^-1)) and the
 * residual variance of R `lm.fit(X, y)` (limma `lmFit`, `summary(lm())`),
 * without the data.
 *
 * Accuracy: RSS = y'y - b'X'y cancels catastrophically when y varies little
 * around a large mean. The sums arrive exact (integers, BigInt), so with an
 * intercept (column 0 all ones) the model is centred on it exactly first:
 * S_jk = X'X_jk - X'X_0j X'X_0k / n and the same for X'y and y'y, as
 * N0 X'X_jk - X'X_0j X'X_0k in BigInt, rounded once to a double. What is
 * left to cancel is only the variance the covariates explain. The centred
 * system is solved by Cholesky (z = L^-1 S_xy, RSS = S_yy - z'z, b = L^-T z).
 * Where that still cancels (RSS below 1e-4 of S_yy: a near-perfect fit) the
 * RSS is recomputed exactly from the integers (exact-rss.ts), so it is
 * always within ~1e-11 relative of the exact value (0 for a perfect fit).
 *
 * Aliasing as R's `dqrdc2` (tol 1e-7), columns taken left to right: a column
 * whose residual norm after the columns kept before it is below 1e-7 times
 * its own norm (or is 0) is not estimable (coefficient NaN, R's NA); at
 * most n columns are kept; df.residual = n - rank.
 */
import { bareissDeterminant, exactSchurComplement } from './exact-rss.js';

const TOL2 = 1e-14; // R's tol = 1e-7 on norms, squared
const EXACT_BELOW = 1e-4; // RSS / S_yy under which the RSS is recomputed exactly

/** Exact network totals of X'X. */
export interface DesignTotals {
  /** Samples. */
  n: number;
  /** X'X, p x p row-major, integers: each value is the sum times 1 / unit. */
  xtx: readonly bigint[];
  /** What one integer step of a sum stands for (2^-48 for proto/expression's products of two quantized values). */
  unit: number;
  /** Column 0 is all ones (default true): centre on it exactly. */
  intercept?: boolean;
}

/** A design ready for many rows of X'y, y'y (differential expression shares one X'X). */
export interface PreparedDesign {
  n: number;
  p: number;
  rank: number;
  dfResidual: number;
  /** Per column: false where R gives NA (aliased). */
  estimable: boolean[];
  /** sqrt(diag((X'X)^-1)) of the estimable columns, NaN for aliased ones (limma's stdev.unscaled). */
  stdevUnscaled: Float64Array;
  /** Column means (intercept designs; limma's Amean for y is X'y[0] / n). */
  colMeans: Float64Array;
  intercept: boolean;
  unit: number;
  xtx: readonly bigint[];
  /** Working (kept, non-intercept when centred) columns and their Cholesky factor, row-major m x m. */
  cols: number[];
  chol: Float64Array;
  /** The exact Gram matrix of the working columns and its determinant, made on first need. */
  exact?: { A: bigint[][]; detA: bigint };
}

export function prepareDesign(t: DesignTotals): PreparedDesign {
  const { n, xtx, unit } = t;
  const intercept = t.intercept ?? true;
  const p = Math.round(Math.sqrt(xtx.length));
  if (p < 1 || p * p !== xtx.length) throw new RangeError('prepareDesign: X\'X must be p x p');
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('prepareDesign: n must be a positive integer');
  if (!(unit > 0)) throw new RangeError('prepareDesign: unit must be positive');
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) if (xtx[j * p + k] !== xtx[k * p + j]) throw new RangeError('prepareDesign: X\'X is not symmetric');
  const n0 = xtx[0]!;
  if (intercept && Math.abs(Number(n0) * unit - n) > 1e-9 * n) throw new RangeError('prepareDesign: column 0 is not an all-ones intercept');
  const colMeans = new Float64Array(p).fill(Number.NaN);
  if (intercept) for (let j = 0; j < p; j++) colMeans[j] = (Number(xtx[j]!) * unit) / n;
  const scale = intercept ? unit / Number(n0) : unit;
  const gram = (j: number, k: number): number => (intercept ? Number(n0 * xtx[j * p + k]! - xtx[j]! * xtx[k]!) * scale : Number(xtx[j * p + k]!) * unit);
  const estimable = new Array<boolean>(p).fill(false);
  const cols: number[] = [];
  const L: number[][] = []; // rows of the Cholesky factor over the kept working columns
  let rank = 0;
  if (intercept) {
    estimable[0] = true;
    rank = 1;
  }
  for (let j = intercept ? 1 : 0; j < p; j++) {
    const raw = Number(xtx[j * p + j]!) * unit;
    // A sum of squares is >= 0; a negative one comes only from DP noise (coordinator/kinds/expression-dp-sums.ts): not estimable.
    if (rank >= n || !(raw > 0)) continue;
    const row: number[] = [];
    for (let a = 0; a < cols.length; a++) {
      let s = gram(j, cols[a]!);
      for (let b = 0; b < a; b++) s -= row[b]! * L[a]![b]!;
      row.push(s / L[a]![a]!);
    }
    let d = gram(j, j);
    for (const v of row) d -= v * v;
    if (!(d >= TOL2 * raw)) continue;
    row.push(Math.sqrt(d));
    L.push(row);
    cols.push(j);
    estimable[j] = true;
    rank++;
  }
  const m = cols.length;
  const chol = new Float64Array(m * m);
  L.forEach((row, a) => row.forEach((v, b) => (chol[a * m + b] = v)));
  const stdevUnscaled = new Float64Array(p).fill(Number.NaN);
  // diag(M^-1)_j = sum over i of (L^-1)_ij^2: solve L w = e_j column by column.
  for (let c = 0; c < m; c++) {
    const e = new Float64Array(m);
    e[c] = 1;
    const w = forward(chol, m, e);
    let s = 0;
    for (let i = c; i < m; i++) s += w[i]! * w[i]!;
    stdevUnscaled[cols[c]!] = Math.sqrt(s);
  }
  if (intercept) {
    const w = forward(chol, m, Float64Array.from(cols, (j) => colMeans[j]!));
    let s = 1 / n;
    for (const v of w) s += v * v;
    stdevUnscaled[0] = Math.sqrt(s);
  }
  return { n, p, rank, dfResidual: n - rank, estimable, stdevUnscaled, colMeans, intercept, unit, xtx, cols, chol };
}

/** Solves L z = v (L lower triangular, row-major m x m). */
function forward(L: Float64Array, m: number, v: Float64Array): Float64Array {
  const z = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    let s = v[a]!;
    for (let b = 0; b < a; b++) s -= L[a * m + b]! * z[b]!;
    z[a] = s / L[a * m + a]!;
  }
  return z;
}

/**
 * One row: writes the p coefficients (NaN where aliased) at coef[at..at+p)
 * and returns the residual sum of squares (>= 0). xty is read at
 * xty[xtyAt..xtyAt+p).
 */
export function fitRowInto(d: PreparedDesign, xty: readonly bigint[], xtyAt: number, yty: bigint, coef: Float64Array, at: number): number {
  return Math.max(0, fitRowUnclamped(d, xty, xtyAt, yty, coef, at));
}

/**
 * fitRowInto without the clamp: the residual sum of squares as the sums
 * give it, negative when they are not the sums of any data (DP noise on
 * y'y: the caller decides what such a row is).
 */
export function fitRowUnclamped(d: PreparedDesign, xty: readonly bigint[], xtyAt: number, yty: bigint, coef: Float64Array, at: number): number {
  const { p, cols, chol, intercept, unit, xtx } = d;
  const m = cols.length;
  const n0 = xtx[0]!;
  const y0 = xty[xtyAt]!;
  const scale = intercept ? unit / Number(n0) : unit;
  const v = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    const j = cols[a]!;
    v[a] = intercept ? Number(n0 * xty[xtyAt + j]! - xtx[j]! * y0) * scale : Number(xty[xtyAt + j]!) * unit;
  }
  const total = intercept ? Number(n0 * yty - y0 * y0) * scale : Number(yty) * unit;
  const z = forward(chol, m, v);
  let explained = 0;
  for (const x of z) explained += x * x;
  // b = L^-T z
  const b = new Float64Array(m);
  for (let a = m - 1; a >= 0; a--) {
    let s = z[a]!;
    for (let c = a + 1; c < m; c++) s -= chol[c * m + a]! * b[c]!;
    b[a] = s / chol[a * m + a]!;
  }
  coef.fill(Number.NaN, at, at + p);
  for (let a = 0; a < m; a++) coef[at + cols[a]!] = b[a]!;
  if (intercept) {
    let b0 = (Number(y0) * unit) / d.n;
    for (let a = 0; a < m; a++) b0 -= d.colMeans[cols[a]!]! * b[a]!;
    coef[at] = b0;
  }
  const rss = total - explained;
  return rss <= EXACT_BELOW * total ? exactRss(d, xty, xtyAt, yty) : rss;
}

/** The RSS from the integer sums alone (see exact-rss.ts). */
function exactRss(d: PreparedDesign, xty: readonly bigint[], xtyAt: number, yty: bigint): number {
  const { p, cols, intercept, xtx, unit } = d;
  const n0 = xtx[0]!;
  const y0 = xty[xtyAt]!;
  if (d.exact === undefined) {
    const A = cols.map((j) => cols.map((k) => (intercept ? n0 * xtx[j * p + k]! - xtx[j]! * xtx[k]! : xtx[j * p + k]!)));
    d.exact = { A, detA: bareissDeterminant(A.map((r) => [...r])) };
  }
  const c = cols.map((j) => (intercept ? n0 * xty[xtyAt + j]! - xtx[j]! * y0 : xty[xtyAt + j]!));
  const T = intercept ? n0 * yty - y0 * y0 : yty;
  const schur = exactSchurComplement(d.exact.A, c, T, d.exact.detA);
  return intercept ? (schur / Number(n0)) * unit : schur * unit;
}

/** One row's sums (a single X'y and y'y with its own X'X). */
export interface LinearModelSums extends DesignTotals {
  xty: readonly bigint[];
  yty: bigint;
}

export interface RowFit {
  coefficients: Float64Array;
  stdevUnscaled: Float64Array;
  estimable: boolean[];
  rank: number;
  dfResidual: number;
  rss: number;
  /** RSS / df.residual; NaN when df.residual = 0. */
  sigma2: number;
}

/** R `lm.fit(X, y)` for one row from its sums. */
export function fitFromSums(s: LinearModelSums): RowFit {
  const d = prepareDesign(s);
  if (s.xty.length !== d.p) throw new RangeError('fitFromSums: X\'y must have p entries');
  const coefficients = new Float64Array(d.p);
  const rss = fitRowInto(d, s.xty, 0, s.yty, coefficients, 0);
  const sigma2 = d.dfResidual > 0 ? rss / d.dfResidual : Number.NaN;
  return { coefficients, stdevUnscaled: d.stdevUnscaled, estimable: d.estimable, rank: d.rank, dfResidual: d.dfResidual, rss, sigma2 };
}

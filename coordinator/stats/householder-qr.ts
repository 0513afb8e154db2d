/**
 * R's QR decomposition, operation for operation: LINPACK `dqrdc2` (Householder
 * with R's limited column pivoting: a column whose remaining norm falls below
 * tol x its original norm is moved to the end and counted as aliased) and
 * `dqrsl` for Q'y and residuals. Equals R `qr(x)` (LAPACK = FALSE, tol 1e-7),
 * `qr.qty` and `lm.fit`'s effects, residuals and fitted values; natural
 * splines need the same Householder vectors as R's to give R's basis.
 * Matrices are column-major (Fortran) Float64Arrays.
 */

export interface QR {
  /** The compact factor, n x p column-major (R's `qr$qr`). */
  qr: Float64Array;
  n: number;
  p: number;
  rank: number;
  qraux: Float64Array;
  /** 0-based original column of each position (R's `qr$pivot` - 1). */
  pivot: Int32Array;
}

function norm(x: Float64Array, from: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += x[from + i]! * x[from + i]!;
  return Math.sqrt(s);
}

/** R `qr(x, tol)`: x is n x p column-major and is not modified. */
export function qrDecompose(x: Float64Array, n: number, p: number, tol = 1e-7): QR {
  const a = Float64Array.from(x);
  const qraux = new Float64Array(p);
  const work1 = new Float64Array(p);
  const work2 = new Float64Array(p);
  const pivot = Int32Array.from({ length: p }, (_, j) => j);
  for (let j = 0; j < p; j++) {
    qraux[j] = norm(a, j * n, n);
    work1[j] = qraux[j]!;
    work2[j] = qraux[j] === 0 ? 1 : qraux[j]!;
  }
  let k = p; // 0-based index of the first column moved to the end
  const lup = Math.min(n, p);
  for (let l = 0; l < lup; l++) {
    // Cycle negligible columns to the end (R's limited pivoting).
    while (l < k && qraux[l]! < work2[l]! * tol) {
      const col = a.slice(l * n, l * n + n);
      a.copyWithin(l * n, (l + 1) * n, p * n);
      a.set(col, (p - 1) * n);
      for (const arr of [pivot, qraux, work1, work2]) {
        const t = arr[l]!;
        arr.copyWithin(l, l + 1, p);
        arr[p - 1] = t;
      }
      k--;
    }
    if (l === n - 1) continue;
    const ll = l * n + l;
    let nrmxl = norm(a, ll, n - l);
    if (nrmxl === 0) continue;
    if (a[ll] !== 0) nrmxl = Math.sign(a[ll]!) * Math.abs(nrmxl);
    const inv = 1 / nrmxl;
    for (let i = 0; i < n - l; i++) a[ll + i]! *= inv;
    a[ll] = 1 + a[ll]!;
    for (let j = l + 1; j < p; j++) {
      const lj = j * n + l;
      let dot = 0;
      for (let i = 0; i < n - l; i++) dot += a[ll + i]! * a[lj + i]!;
      const t = -dot / a[ll]!;
      for (let i = 0; i < n - l; i++) a[lj + i]! += t * a[ll + i]!;
      if (qraux[j] === 0) continue;
      const tt = Math.max(1 - (Math.abs(a[lj]!) / qraux[j]!) ** 2, 0);
      if (Math.abs(tt) < 1e-6) {
        qraux[j] = norm(a, lj + 1, n - l - 1);
        work1[j] = qraux[j]!;
      } else {
        qraux[j] = qraux[j]! * Math.sqrt(tt);
      }
    }
    qraux[l] = a[ll]!;
    a[ll] = -nrmxl;
  }
  return { qr: a, n, p, rank: Math.min(k, n), qraux, pivot };
}

/** Applies the Householder reflections 0..ju-1 to v (in place), forward (Q'v) or backward (Qv). */
function reflect(q: QR, v: Float64Array, forward: boolean): void {
  const { n, qr, qraux } = q;
  const ju = Math.min(q.rank, n - 1);
  for (let s = 0; s < ju; s++) {
    const j = forward ? s : ju - 1 - s;
    if (qraux[j] === 0) continue;
    const jj = j * n + j;
    const diag = qraux[j]!;
    let dot = diag * v[j]!;
    for (let i = 1; i < n - j; i++) dot += qr[jj + i]! * v[j + i]!;
    const t = -dot / diag;
    v[j] = v[j]! + t * diag;
    for (let i = 1; i < n - j; i++) v[j + i] = v[j + i]! + t * qr[jj + i]!;
  }
}

/** R `qr.qty(qr, y)` for one vector y of length n. */
export function qrQty(q: QR, y: ArrayLike<number>): Float64Array {
  const v = Float64Array.from(y);
  if (q.n === 1) return v;
  reflect(q, v, true);
  return v;
}

/**
 * R `lm.fit(x, y)` on the QR'd design: effects (Q'y), residuals, fitted
 * values, and coefficients in the original column order (NaN, R's NA, for
 * aliased columns), by dqrsl's column-oriented back substitution.
 */
export function qrLeastSquares(q: QR, y: ArrayLike<number>): { effects: Float64Array; residuals: Float64Array; fitted: Float64Array; coefficients: Float64Array } {
  const { n, rank, qr, pivot } = q;
  const effects = qrQty(q, y);
  const residuals = Float64Array.from(effects);
  residuals.fill(0, 0, rank);
  if (n > 1) reflect(q, residuals, false);
  else residuals[0] = 0;
  const fitted = Float64Array.from(y, (v, i) => v - residuals[i]!);
  const b = effects.slice(0, rank);
  for (let j = rank - 1; j >= 0; j--) {
    b[j] = b[j]! / qr[j * n + j]!;
    const t = -b[j]!;
    for (let i = 0; i < j; i++) b[i] = b[i]! + t * qr[j * n + i]!;
  }
  const coefficients = new Float64Array(q.p).fill(Number.NaN);
  for (let j = 0; j < rank; j++) coefficients[pivot[j]!] = b[j]!;
  return { effects, residuals, fitted, coefficients };
}

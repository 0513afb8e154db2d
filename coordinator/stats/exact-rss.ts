/**
 * The residual sum of squares in exact integer arithmetic, for the rows
 * where the double-precision RSS = S_yy - z'z would cancel (near-perfect
 * fits): with A the (centred, scaled) Gram matrix of the kept columns, c the
 * matching X'y sums and T the y'y sum, all exact BigInt, the Schur complement
 * T - c' A^-1 c = det([[A, c], [c', T]]) / det(A), each determinant by
 * Bareiss's fraction-free elimination (exact divisions only), the ratio
 * rounded once (to within an ulp) at the end.
 */

/** det(M) of a square BigInt matrix (rows; modified), Bareiss with row swaps on zero pivots. */
export function bareissDeterminant(M: bigint[][]): bigint {
  const m = M.length;
  if (m === 0) return 1n;
  let sign = 1n;
  let prev = 1n;
  for (let k = 0; k < m - 1; k++) {
    if (M[k]![k] === 0n) {
      const r = M.findIndex((row, i) => i > k && row[k] !== 0n);
      if (r < 0) return 0n;
      [M[k], M[r]] = [M[r]!, M[k]!];
      sign = -sign;
    }
    const pivot = M[k]![k]!;
    for (let i = k + 1; i < m; i++) {
      const row = M[i]!;
      for (let j = k + 1; j < m; j++) row[j] = (row[j]! * pivot - row[k]! * M[k]![j]!) / prev;
    }
    prev = pivot;
  }
  return sign * M[m - 1]![m - 1]!;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(16).length * 4;
}

/** a / b as a double (b != 0) for BigInts of any size: a quotient of at least 64 bits in BigInt, then one rounding. */
export function bigRatio(a: bigint, b: bigint): number {
  if (a === 0n) return 0;
  const negative = a < 0n !== b < 0n;
  const ua = a < 0n ? -a : a;
  const ub = b < 0n ? -b : b;
  const k = Math.max(0, 66 + bitLength(ub) - bitLength(ua));
  const q = Number((ua << BigInt(k)) / ub);
  const half = k >> 1;
  const r = q * 2 ** -half * 2 ** -(k - half);
  return negative ? -r : r;
}

/**
 * T - c' A^-1 c exactly, rounded once more to a double: A (m x m, symmetric,
 * non-singular), c (m), T. `detA` may be passed when A is shared by rows.
 */
export function exactSchurComplement(A: readonly (readonly bigint[])[], c: readonly bigint[], T: bigint, detA = bareissDeterminant(A.map((r) => [...r]))): number {
  const B = A.map((row, i) => [...row, c[i]!]);
  B.push([...c, T]);
  return bigRatio(bareissDeterminant(B), detA);
}

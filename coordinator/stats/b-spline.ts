/**
 * B-spline basis matrices: R `splines::splineDesign(knots, x, ord, derivs)`
 * for x inside [knots[ord - 1], knots[nk - ord]] (R's default outer.ok =
 * FALSE). Each basis function is evaluated by de Boor's algorithm on a unit
 * coefficient vector, after differencing the coefficients once per
 * derivative order (de Boor, A Practical Guide to Splines, X).
 */

/**
 * The interval index mu (0-based): knots[mu] <= x < knots[mu + 1], except
 * that x at the right boundary knot takes the last non-empty interval (R's
 * `set_cursor` boundary rule), so the basis there is left-continuous.
 */
function interval(knots: ArrayLike<number>, ord: number, x: number): number {
  const nk = knots.length;
  if (x < knots[ord - 1]! || x > knots[nk - ord]!) throw new RangeError('splineDesign: x outside the boundary knots');
  if (x === knots[nk - ord]) return nk - ord - 1;
  let mu = ord - 1;
  while (knots[mu + 1]! <= x) mu++;
  return mu;
}

/**
 * The value (or derivative of order `deriv`) at x of the spline with
 * coefficient 1 on basis function `j` (support [knots[j], knots[j + ord]))
 * and 0 elsewhere, j in mu - ord + 1..mu.
 */
function unitSpline(knots: ArrayLike<number>, ord: number, mu: number, j: number, x: number, deriv: number): number {
  const c = new Float64Array(ord); // c[i] is the coefficient of basis function mu - ord + 1 + i
  c[j - (mu - ord + 1)] = 1;
  const base = mu - ord + 1;
  for (let r = 1; r <= deriv; r++) {
    for (let i = ord - 1; i >= r; i--) {
      const b = base + i;
      const span = knots[b + ord - r]! - knots[b]!;
      c[i] = span > 0 ? ((ord - r) * (c[i]! - c[i - 1]!)) / span : 0;
    }
  }
  const k = ord - deriv; // order of the differentiated spline
  for (let r = 1; r < k; r++) {
    for (let i = ord - 1; i >= deriv + r; i--) {
      const b = base + i;
      const span = knots[b + k - r]! - knots[b]!;
      const alpha = span > 0 ? (x - knots[b]!) / span : 0;
      c[i] = alpha * c[i]! + (1 - alpha) * c[i - 1]!;
    }
  }
  return c[ord - 1]!;
}

/**
 * R `splineDesign(knots, x, ord, derivs)`: the length(x) x (nk - ord)
 * matrix, row-major, of the B-spline basis (or its derivs[i % length]-th
 * derivative at x[i]). knots sorted ascending.
 */
export function splineDesign(knots: readonly number[], x: readonly number[], ord = 4, derivs: readonly number[] = [0]): { values: Float64Array; ncol: number } {
  const nk = knots.length;
  if (nk < 2 * ord - 1) throw new RangeError('splineDesign: need at least 2 ord - 1 knots');
  const ncol = nk - ord;
  const values = new Float64Array(x.length * ncol);
  for (let r = 0; r < x.length; r++) {
    const xr = x[r]!;
    const deriv = derivs[r % derivs.length]!;
    if (deriv >= ord) continue;
    const mu = interval(knots, ord, xr);
    for (let j = mu - ord + 1; j <= mu; j++) values[r * ncol + j] = unitSpline(knots, ord, mu, j, xr, deriv);
  }
  return { values, ncol };
}

/**
 * Fisher's exact test on the 2x2 allele table, two-sided, as R's
 * `fisher.test` and PLINK 1.9 `--assoc fisher` (P) define it.
 */
import { checkAlleles, type AlleleTable } from './tables.js';

/** R's tolerance for "as or less probable than observed" (fisher.test: relErr <- 1 + 10^(-7)). */
const TIE_TOLERANCE = 1 + 1e-7;
/** A tail is cut once what is left of it is below this fraction of the sum kept (2^-56). */
const NEGLIGIBLE = 2 ** -56;

/**
 * Two-sided p-value: the sum of the hypergeometric probabilities (margins
 * fixed) of every table whose probability is at most the observed table's
 * times (1 + 1e-7), R's `fisher.test(matrix(c(a, c, b, d), 2))$p.value`.
 *
 * How: probabilities relative to the mode (weight 1), built by the exact
 * ratio w(x+1)/w(x) = (R1 - x)(C1 - x) / ((x + 1)(R2 - C1 + x + 1)), x the
 * case ALT count. No factorials, so no overflow and no lgamma rounding at
 * thousands of alleles; each step costs a few flops and adds ~1e-16 relative
 * error. The walk goes from the mode to the observed table and on until the
 * rest of each tail is provably negligible: the pmf is log-concave, so the
 * ratios only fall and the remainder after a weight w with next ratio r is
 * at most w r / (1 - r). p = (tail weights) / (all weights).
 *
 * Returns 1 when the margins allow a single table (a zero margin, the empty
 * table), as R and PLINK do. p-values below ~1e-300 lose relative precision
 * (subnormal weights) and are 0 below ~1e-308; R's fisher.test underflows
 * the same way.
 */
export function fisherExact(t: AlleleTable): number {
  checkAlleles(t);
  const { caseA1: a, caseA2: b, controlA1: c, controlA2: d } = t;
  const r1 = a + b; // case alleles
  const r2 = c + d; // control alleles
  const c1 = a + c; // ALT alleles
  const lo = Math.max(0, c1 - r2);
  const hi = Math.min(r1, c1);
  if (lo === hi) return 1;
  const k = r2 - c1;
  // w(x+1) / w(x) (dir 1) and w(x-1) / w(x) (dir -1): one module-level function, so the walks below
  // make monomorphic calls V8 inlines (closures chosen per table were a third of a 1M-variant answer).
  const away = (x: number): number => ratio(s, x, r1, c1, k); // from the mode toward the observed side
  const back = (x: number): number => ratio(-s, x, r1, c1, k);

  const mode = Math.min(hi, Math.max(lo, Math.floor(((r1 + 1) * (c1 + 1)) / (r1 + r2 + 2))));
  if (a === mode) return 1;
  const s = a > mode ? 1 : -1;

  // Mode to observed: every weight counts in the total.
  let total = 1;
  let w = 1;
  let x = mode;
  while (x !== a) {
    w *= away(x);
    x += s;
    total += w;
  }
  const w0 = w;
  if (w0 === 0) return 0;
  const threshold = w0 * TIE_TOLERANCE;
  let tail = w0;
  // Tables between the mode and the observed one that tie with it (within 1e-7).
  for (let y = a, wy = w0; y !== mode; ) {
    wy *= back(y);
    y -= s;
    if (wy > threshold) break;
    tail += wy;
  }
  // Beyond the observed table: all of it is as or less probable.
  const observedEnd = s > 0 ? hi : lo;
  for (x = a, w = w0; x !== observedEnd; ) {
    const r = away(x);
    if (w * r <= NEGLIGIBLE * tail * (1 - r)) break; // false while r >= 1
    w *= r;
    x += s;
    total += w;
    tail += w;
  }
  // The other side of the mode: counts once it falls to the threshold.
  const otherEnd = s > 0 ? lo : hi;
  for (x = mode, w = 1; x !== otherEnd; ) {
    const r = back(x);
    if (w * r <= NEGLIGIBLE * tail * (1 - r)) break;
    w *= r;
    x -= s;
    total += w;
    if (w <= threshold) tail += w;
  }
  return Math.min(1, tail / total);
}

/** The hypergeometric weight ratio w(x + dir) / w(x) for margins r1, c1 and k = r2 - c1. */
function ratio(dir: number, x: number, r1: number, c1: number, k: number): number {
  return dir > 0 ? ((r1 - x) * (c1 - x)) / ((x + 1) * (k + x + 1)) : (x * (k + x)) / ((r1 - x + 1) * (c1 - x + 1));
}

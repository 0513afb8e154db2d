/**
 * Student's t tails through @stdlib's cdf, which for t < 0 returns the lower
 * tail itself from the regularized incomplete beta function (never 1 - cdf),
 * so tiny p-values keep their relative precision.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { normalUpperTail } from './distributions.js';

/**
 * Two-sided p = 2 P(T_df <= -|t|): R `2 * pt(-abs(t), df)` (limma's
 * moderated t, `summary.lm`'s Pr(>|t|)). NaN where t or df is NaN or
 * df <= 0; the normal tail 2 P(Z >= |t|) for df = Infinity.
 */
export function twoSidedTP(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df) || df <= 0) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return 2 * normalUpperTail(Math.abs(t));
  return 2 * tCdf(-Math.abs(t), df);
}

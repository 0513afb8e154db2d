/**
 * One coefficient's ordinary least-squares test from one row's sums (the
 * eQTL shape: every variant has its own X'X, the dosage column differing):
 * R `summary(lm(y ~ dosage + covariates))$coefficients["dosage", ]`, i.e.
 * estimate, standard error sqrt(RSS / (n - p) [(X'X)^-1]_jj), t = estimate
 * / SE and p = 2 pt(-|t|, n - p). No moderation.
 */
import { fitFromSums, type LinearModelSums } from './linear-model.js';
import { twoSidedTP } from './student-t.js';

export interface CoefficientTest {
  estimate: number;
  se: number;
  t: number;
  p: number;
  /** Residual degrees of freedom n - rank. */
  df: number;
}

/**
 * The test of coefficient `coef` (0-based design column); null where R
 * leaves its row out of the table (the column is aliased, e.g. a
 * monomorphic variant). With no residual degrees of freedom, se, t and p
 * are NaN (R prints NaN).
 */
export function olsCoefficientTest(sums: LinearModelSums, coef: number): CoefficientTest | null {
  const fit = fitFromSums(sums);
  if (!Number.isInteger(coef) || coef < 0 || coef >= fit.coefficients.length) throw new RangeError('olsCoefficientTest: no such coefficient');
  if (!fit.estimable[coef]) return null;
  const estimate = fit.coefficients[coef]!;
  const se = Math.sqrt(fit.sigma2) * fit.stdevUnscaled[coef]!;
  const t = estimate / se;
  return { estimate, se, t, p: twoSidedTP(t, fit.dfResidual), df: fit.dfResidual };
}

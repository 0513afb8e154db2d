/**
 * Gene-wise linear models sharing one design, from network sums: R limma
 * `lmFit(y, design)` (the fields eBayes and topTable read: coefficients,
 * stdev.unscaled, sigma, df.residual, Amean = rowMeans(y)), for
 * differential expression where every gene has the same X'X.
 */
import { fitRowInto, prepareDesign, type DesignTotals } from './linear-model.js';

/** limma's MArrayLM fields, gene-major: gene g, coefficient j at [g * p + j]. */
export interface LinearModelFit {
  genes: number;
  p: number;
  /** NaN where a coefficient is not estimable (R's NA). */
  coefficients: Float64Array;
  stdevUnscaled: Float64Array;
  /** Residual standard deviation; NaN where df.residual = 0. */
  sigma: Float64Array;
  dfResidual: Float64Array;
  /** AveExpr: rowMeans(y) = X'y[intercept] / n (NaN without an intercept column). */
  amean: Float64Array;
  /** Per coefficient: false where the design column is aliased. */
  estimable: boolean[];
}

/**
 * limma `lmFit(y, design)` from the exact network totals: the shared X'X
 * (`design`), X'y (genes x p, gene-major) and y'y (one per gene), all
 * integers at `design.unit`.
 */
export function lmFitFromSums(design: DesignTotals, xty: readonly bigint[], yty: readonly bigint[]): LinearModelFit {
  const d = prepareDesign(design);
  const { p, n } = d;
  const genes = yty.length;
  if (xty.length !== genes * p) throw new RangeError('lmFitFromSums: X\'y must hold p sums per gene');
  const coefficients = new Float64Array(genes * p);
  const stdevUnscaled = new Float64Array(genes * p);
  const sigma = new Float64Array(genes);
  const amean = new Float64Array(genes);
  for (let g = 0; g < genes; g++) {
    const rss = fitRowInto(d, xty, g * p, yty[g]!, coefficients, g * p);
    sigma[g] = d.dfResidual > 0 ? Math.sqrt(rss / d.dfResidual) : Number.NaN;
    amean[g] = d.intercept ? (Number(xty[g * p]!) * d.unit) / n : Number.NaN;
    stdevUnscaled.set(d.stdevUnscaled, g * p);
  }
  return { genes, p, coefficients, stdevUnscaled, sigma, dfResidual: new Float64Array(genes).fill(d.dfResidual), amean, estimable: d.estimable };
}

/**
 * limma's empirical Bayes moderated t: R `eBayes(fit, trend)` (limma 3.54
 * `.ebayes`, robust = FALSE, without the B-statistic) and `topTable(fit,
 * coef, number = Inf, sort.by = "P")`.
 *
 * s2.post = (df s^2 + d0 s0^2) / (df + d0) (squeezeVar; s0^2 a function of
 * Amean when trend = TRUE), moderated t = coefficient / stdev.unscaled /
 * sqrt(s2.post), df.total = min(df.residual + d0, sum of df.residual over
 * genes), p = 2 pt(-|t|, df.total), adj.P.Val = BH over the genes.
 */
import type { LinearModelFit } from './lm-fit.js';
import { benjaminiHochberg } from './multiple-testing.js';
import { squeezeVar } from './squeeze-var.js';
import { twoSidedTP } from './student-t.js';

export interface ModeratedFit {
  /** d0, a single value (may be Infinity). */
  dfPrior: number;
  /** s0^2 per gene (one value repeated when trend = FALSE). */
  s2Prior: Float64Array;
  s2Post: Float64Array;
  /** genes x p, gene-major like the fit; NaN where the coefficient is NA. */
  t: Float64Array;
  dfTotal: Float64Array;
  pValue: Float64Array;
  warning?: string;
}

export interface EBayesOptions {
  /** FALSE (default), TRUE (s0^2 a smooth function of Amean), or a numeric covariate per gene (limma's numeric trend). */
  trend?: boolean | ArrayLike<number>;
}

/** limma `eBayes(fit, trend = ...)`: everything but lods/B and the F statistic. */
export function eBayes(fit: LinearModelFit, opts: EBayesOptions = {}): ModeratedFit {
  const { genes, p, coefficients, stdevUnscaled, sigma, dfResidual } = fit;
  let maxDf = Number.NEGATIVE_INFINITY;
  for (const d of dfResidual) maxDf = Math.max(maxDf, d);
  if (maxDf === 0) throw new RangeError('eBayes: no residual degrees of freedom in linear model fits');
  if (!sigma.some(Number.isFinite)) throw new RangeError('eBayes: no finite residual standard deviations');
  let covariate: ArrayLike<number> | undefined;
  if (opts.trend === true) {
    if (fit.amean.some(Number.isNaN)) throw new RangeError('eBayes: trend = TRUE needs AveExpr (a design with an intercept column)');
    covariate = fit.amean;
  } else if (opts.trend !== undefined && opts.trend !== false) {
    if (opts.trend.length !== genes) throw new RangeError('eBayes: a numeric trend needs one value per gene');
    covariate = opts.trend;
  }
  const sq = squeezeVar(sigma.map((s) => s * s), dfResidual, covariate);
  const t = new Float64Array(genes * p);
  const pValue = new Float64Array(genes * p);
  let dfPooled = 0;
  for (const d of dfResidual) if (!Number.isNaN(d)) dfPooled += d;
  const dfTotal = dfResidual.map((d) => Math.min(d + sq.dfPrior, dfPooled));
  for (let g = 0; g < genes; g++) {
    const root = Math.sqrt(sq.varPost[g]!);
    for (let j = 0; j < p; j++) {
      const k = g * p + j;
      t[k] = coefficients[k]! / stdevUnscaled[k]! / root;
      pValue[k] = twoSidedTP(t[k]!, dfTotal[g]!);
    }
  }
  return { dfPrior: sq.dfPrior, s2Prior: sq.varPrior, s2Post: sq.varPost, t, dfTotal, pValue, ...(sq.warning ? { warning: sq.warning } : {}) };
}

/** One row of limma's topTable for a single coefficient. */
export interface TopTableRow {
  /** Row of the gene in the fit. */
  gene: number;
  logFC: number;
  aveExpr: number;
  t: number;
  pValue: number;
  /** BH over all genes (null where the p-value is NA). */
  adjPValue: number | null;
}

/**
 * limma `topTable(fit, coef, number = Inf, sort.by = "P")` after eBayes:
 * every gene, ascending p-value (stable; NA last, as R's order). The
 * coefficient must be estimable: an aliased one is an error, not a table
 * of NA.
 */
export function topTable(fit: LinearModelFit, eb: ModeratedFit, coef: number): TopTableRow[] {
  const { genes, p } = fit;
  if (!Number.isInteger(coef) || coef < 0 || coef >= p) throw new RangeError('topTable: no such coefficient');
  if (!fit.estimable[coef]) throw new RangeError(`topTable: coefficient ${coef} is not estimable (its design column is aliased with earlier columns)`);
  const ps = Array.from({ length: genes }, (_, g) => eb.pValue[g * p + coef]!);
  const adj = benjaminiHochberg(ps.map((v) => (Number.isNaN(v) ? null : v)));
  const order = Array.from({ length: genes }, (_, g) => g);
  const key = (g: number): number => (Number.isNaN(ps[g]!) ? 2 : ps[g]!); // NA after every p <= 1
  order.sort((a, b) => key(a) - key(b) || a - b);
  return order.map((g) => ({
    gene: g,
    logFC: fit.coefficients[g * p + coef]!,
    aveExpr: fit.amean[g]!,
    t: eb.t[g * p + coef]!,
    pValue: ps[g]!,
    adjPValue: adj[g]!,
  }));
}

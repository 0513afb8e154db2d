/**
 * The differential-expression table from network sums in one call: limma
 * `topTable(eBayes(lmFit(y, design), trend), coef, number = Inf, sort.by =
 * "P")` with gene names, from the exact sums (lmFitFromSums, eBayes,
 * topTable).
 */
import { lmFitFromSums, type LinearModelFit } from './lm-fit.js';
import { eBayes, topTable } from './moderated-t.js';
import { rMedian } from './fit-f-dist.js';

/** One gene of the table (topTable's logFC, AveExpr, t, P.Value, adj.P.Val). */
export interface DeRow {
  gene: string;
  logfc: number;
  ave_expr: number;
  t: number;
  p: number;
  adj_p: number;
}

export interface DeSumsExact {
  n: number;
  /** X'X (p x p row-major), X'y (genes x p, gene-major), y'y (one per gene): exact integer sums, each standing for value / unit. */
  xtx: readonly bigint[];
  xty: readonly bigint[];
  yty: readonly bigint[];
  /** 2^-48 for proto/expression.ts's quantized products. */
  unit: number;
}

export interface DeTableOptions {
  genes: readonly string[];
  /** 0-based design column tested (column 0 is the intercept). */
  coefficient: number;
  trend: boolean;
  /** Design column names, for the error when the tested column is aliased. */
  columnNames?: readonly string[];
}

export interface DeTable {
  /** Ascending p (limma's order; ties keep the input order). */
  rows: DeRow[];
  dfResidual: number;
  /** limma's df.prior (may be Infinity). */
  dfPrior: number;
  /** limma's s2.prior; with trend = TRUE (one per gene) its median. */
  s2Prior: number;
  /** R's eBayes warning, if it would print one (zero variances). */
  warning?: string;
}

export function differentialExpressionTable(sums: DeSumsExact, opts: DeTableOptions): DeTable {
  if (opts.genes.length !== sums.yty.length) throw new RangeError('differentialExpressionTable: one gene name per y\'y sum');
  const fit: LinearModelFit = lmFitFromSums({ n: sums.n, xtx: sums.xtx, unit: sums.unit, intercept: true }, sums.xty, sums.yty);
  if (opts.coefficient >= 0 && opts.coefficient < fit.p && !fit.estimable[opts.coefficient]) {
    const name = opts.columnNames?.[opts.coefficient];
    throw new RangeError(`differentialExpressionTable: the tested design column${name ? ` '${name}'` : ''} is aliased with other columns (e.g. constant within the samples, or a covariate that determines the group), so it cannot be estimated`);
  }
  const eb = eBayes(fit, { trend: opts.trend });
  const rows = topTable(fit, eb, opts.coefficient).map((r) => ({
    gene: opts.genes[r.gene]!,
    logfc: r.logFC,
    ave_expr: r.aveExpr,
    t: r.t,
    p: r.pValue,
    adj_p: r.adjPValue ?? Number.NaN,
  }));
  return { rows, dfResidual: fit.dfResidual[0] ?? Number.NaN, dfPrior: eb.dfPrior, s2Prior: rMedian(eb.s2Prior), ...(eb.warning ? { warning: eb.warning } : {}) };
}

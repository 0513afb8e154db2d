/**
 * Differential expression at the coordinator: the network sums (n, X'X,
 * per gene X'y and y'y, recombined from their limbs) -> per gene limma's
 * fit and moderated t (coordinator/stats: fitted from the sums alone; no
 * site's statistics exist here), sorted by p.
 */
import { decodeLimbs, EXPR_FRACTION_BITS, EXPR_LIMBS } from '../../proto/expression.js';
import { deGeneOffset, designColumns, triangleIndex } from '../../proto/expression-design.js';
import { expressionDe as spec, type ExpressionDeParams } from '../../proto/kinds/expression-de.js';
import { CoordinatorError } from '../errors.js';
import type { DisclosureSummary } from '../federation/types.js';
import { differentialExpressionTable, type DeRow, type DeSumsExact } from '../stats/index.js';
import type { CoordinatorKind } from './kind.js';

export interface ExpressionDeRequest {
  readonly querier: string;
  readonly groupA: string;
  readonly groupB: string;
  readonly covariates: readonly string[];
  readonly values: 'counts' | 'log';
  readonly meanLibSize: number;
  readonly genes: readonly string[];
  /** limma eBayes(trend = TRUE): the prior variance follows average expression. */
  readonly trend: boolean;
}

export interface ExpressionDeBody {
  /** Sorted by p (then gene id). */
  readonly rows: readonly DeRow[];
  /** Samples in the model. */
  readonly n: number;
  /** The design's columns (the coefficient reported is `group`: A - B). */
  readonly design: readonly string[];
  readonly dfResidual: number;
  /** limma's prior: degrees of freedom and variance (the variance's median with trend = TRUE). */
  /** null: infinite. */
  readonly dfPrior: number | null;
  readonly s2Prior: number;
  readonly disclosure: DisclosureSummary;
}

/** Recombine the limbs of every sum (exact): n, X'X (p x p), X'y (genes x p), y'y, in units of 2^-48. */
export function decodeDeSums(totals: ArrayLike<number>, p: number, genes: number): DeSumsExact {
  const at = (i: number): bigint => decodeLimbs(totals, i * EXPR_LIMBS);
  const n = Number(at(0));
  const xtx = new Array<bigint>(p * p);
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) xtx[i * p + j] = xtx[j * p + i] = at(1 + triangleIndex(i, j, p));
  const xty = new Array<bigint>(genes * p);
  const yty = new Array<bigint>(genes);
  for (let g = 0; g < genes; g++) {
    const o = deGeneOffset(p, g);
    for (let j = 0; j < p; j++) xty[g * p + j] = at(o + j);
    yty[g] = at(o + p);
  }
  return { n, xtx, xty, yty, unit: 2 ** (-2 * EXPR_FRACTION_BITS) };
}

export const expressionDe: CoordinatorKind<ExpressionDeRequest, ExpressionDeBody> = {
  spec,
  plan: () => ({}),
  params: (req): ExpressionDeParams => ({
    kind: 'expression-de', groupA: req.groupA, groupB: req.groupB, covariates: [...req.covariates],
    values: req.values, meanLibSize: req.values === 'counts' ? req.meanLibSize : 0, genes: [...req.genes],
  }),
  empty: () => {
    throw new CoordinatorError('GENOFED_INTERNAL', 'expression-de has no empty answer');
  },
  answer(totals, { req, ctx }) {
    const columns = designColumns(ctx.schema, req.covariates, 'group');
    const sums = decodeDeSums(totals, columns.length, req.genes.length);
    let table;
    try {
      table = differentialExpressionTable(sums, { genes: req.genes, coefficient: 1, columnNames: columns.map((c) => c.name), trend: req.trend });
    } catch (err) {
      // The group's coefficient cannot be estimated (a covariate determines the group): the researcher's model, a 400.
      if (err instanceof RangeError) throw new CoordinatorError('GENOFED_QUERY_INVALID', err.message.replace(/^differentialExpressionTable: /, ''));
      throw err;
    }
    return {
      rows: table.rows, n: sums.n, design: columns.map((c) => c.name), dfResidual: table.dfResidual,
      dfPrior: Number.isFinite(table.dfPrior) ? table.dfPrior : null, s2Prior: table.s2Prior,
      disclosure: { policy: { ...ctx.policy }, rowsAffected: 0, rules: [] },
    };
  },
};

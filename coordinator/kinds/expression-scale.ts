/**
 * The first round of differential expression at the coordinator: the
 * network's analysed samples, their summed library sizes, and how many
 * sites hold counts and how many log values.
 */
import { decodeLimbs, EXPR_LIMBS, EXPR_SCALE } from '../../proto/expression.js';
import { expressionScale as spec, type ExpressionScaleParams } from '../../proto/kinds/expression-scale.js';
import type { DisclosureSummary } from '../federation/types.js';
import type { CoordinatorKind } from './kind.js';

export interface ExpressionScaleRequest {
  readonly querier: string;
  readonly groupA: string;
  readonly groupB: string;
  readonly covariates: readonly string[];
}

export interface ExpressionScaleBody {
  /** Samples in the model (both groups, every covariate present). */
  readonly n: number;
  readonly libSizeSum: number;
  readonly countSites: number;
  readonly logSites: number;
  readonly disclosure: DisclosureSummary;
}

export const expressionScale: CoordinatorKind<ExpressionScaleRequest, ExpressionScaleBody> = {
  spec,
  plan: () => ({}),
  params: (req): ExpressionScaleParams => ({ kind: 'expression-scale', groupA: req.groupA, groupB: req.groupB, covariates: [...req.covariates] }),
  empty: (_req, ctx) => ({ n: 0, libSizeSum: 0, countSites: 0, logSites: 0, disclosure: { policy: { ...ctx.policy }, rowsAffected: 0, rules: [] } }),
  answer(totals, { ctx }) {
    const sum = (i: number): number => Number(decodeLimbs(totals, i * EXPR_LIMBS));
    // Library sizes are summed quantized (scale 2^24): non-integer counts (estimated counts) sum exactly too.
    return { n: sum(0), libSizeSum: sum(1) / EXPR_SCALE, countSites: sum(2), logSites: sum(3), disclosure: { policy: { ...ctx.policy }, rowsAffected: 0, rules: [] } };
  },
};

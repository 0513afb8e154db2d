/**
 * The first round of differential expression at the coordinator: the
 * network's analysed samples, their summed library sizes, and how many
 * sites hold counts and how many log values. With DP on, n and the
 * library sizes come back in their families' units with noise
 * (proto/expression-dp.ts; n rounded to whole people; the site counts
 * carry none).
 */
import { decodeLimbs, EXPR_LIMBS, EXPR_SCALE } from '../../proto/expression.js';
import { releasedUnitLog2, scaleFamilies } from '../../proto/expression-dp.js';
import { expressionScale as spec, type ExpressionScaleParams } from '../../proto/kinds/expression-scale.js';
import type { DisclosureSummary } from '../federation/types.js';
import { noiseReport, type ExpressionNoise } from './expression-sums.js';
import type { CoordinatorKind } from './kind.js';

export interface ExpressionScaleRequest {
  readonly querier: string;
  readonly groupA: string;
  readonly groupB: string;
  readonly covariates: readonly string[];
}

export interface ExpressionScaleBody {
  /** Samples in the model (both groups, every covariate present); with DP noisy, rounded, at least 0. */
  readonly n: number;
  readonly libSizeSum: number;
  readonly countSites: number;
  readonly logSites: number;
  /** DP on: the noise on n and on the library sizes' sum (clip: 0, no expression values are summed here); null with DP off. */
  readonly dp: ExpressionNoise | null;
  readonly disclosure: DisclosureSummary;
}

export const expressionScale: CoordinatorKind<ExpressionScaleRequest, ExpressionScaleBody> = {
  spec,
  plan: () => ({}),
  params: (req): ExpressionScaleParams => ({ kind: 'expression-scale', groupA: req.groupA, groupB: req.groupB, covariates: [...req.covariates] }),
  empty: (_req, ctx) => ({ n: 0, libSizeSum: 0, countSites: 0, logSites: 0, dp: null, disclosure: { policy: { ...ctx.policy }, rowsAffected: 0, rules: [] } }),
  answer(totals, { ctx, noise }) {
    const sum = (i: number): bigint => decodeLimbs(totals, i * EXPR_LIMBS);
    const disclosure = { policy: { ...ctx.policy }, rowsAffected: 0, rules: [] };
    if (!noise) {
      // Library sizes are summed quantized (scale 2^24): non-integer counts (estimated counts) sum exactly too.
      return { n: Number(sum(0)), libSizeSum: Number(sum(1)) / EXPR_SCALE, countSites: Number(sum(2)), logSites: Number(sum(3)), dp: null, disclosure };
    }
    const f = scaleFamilies();
    const value = (i: number): number => Number(sum(i)) * 2 ** releasedUnitLog2(f[i]!);
    return { n: Math.max(0, Math.round(value(0))), libSizeSum: value(1), countSites: Number(sum(2)), logSites: Number(sum(3)), dp: noiseReport(f, noise.mu, 0), disclosure };
  },
};

/**
 * `expression-scale`: the first round of a differential-expression query.
 * Over the samples of group A and group B (expression values, the group's
 * cohort, every covariate present; disjoint at every site), the network's
 * sample count and sum of library sizes (the mean library size scales
 * edgeR's log-CPM prior, so every site computes the log-CPM the pooled
 * matrix would have), and how many sites hold counts and how many log
 * values (the coordinator refuses a network that mixes the two). Every sum
 * is EXPR_LIMBS limbs (proto/expression.ts); the nodes verify both groups'
 * sizes (>= k).
 *
 * One group (`groupB` ''): the first round of an eQTL query, over the
 * cohort's samples with expression values and genotypes (`groupA` '' =
 * every such sample), each covariate cell verified (>= k).
 *
 * With DP on (proto/expression-dp.ts): library sizes clipped at
 * LIB_SIZE_CLIP in the sum, noise on n and on the library sizes (the two
 * site counts change with no person: none); this round spends the
 * per-query epsilon and is admitted only when the budget also covers the
 * sums round that follows (`dpRoundsAfter`).
 */
import { z } from 'zod';
import { EXPR_LIMB_COUNTERS } from '../expression.js';
import { checkExpressionDp, familiesSensitivity, scaleFamilies } from '../expression-dp.js';
import { designCells, designColumns, designPopulations, MAX_COVARIATES } from '../expression-design.js';
import type { PhenotypeSchema } from '../phenotype-schema.js';
import { blockLayout, type Population, type QueryParams } from '../query.js';
import { parseWith, type QueryKindSpec } from './kind.js';

export interface ExpressionScaleParams extends QueryParams {
  readonly kind: 'expression-scale';
  readonly groupA: string;
  /** '' = one group: the eQTL scale (the analysed samples need genotypes too). */
  readonly groupB: string;
  readonly covariates: readonly string[];
}

/** The eQTL scale's populations: the analysed cells (cohort x covariate cell), each refused when 1..k-1. */
export function analysedCellPopulations(schema: PhenotypeSchema, covariates: readonly string[]): Population[] {
  return designCells(schema, covariates).map((c) => ({ label: c.label ? `analysed cell (${c.label})` : 'analysed samples', onSmall: 'refuse' as const }));
}

/** The sums, in slot order. */
export const SCALE_SUMS = Object.freeze(['n', 'lib_size', 'count_sites', 'log_sites']);

const schema = z.strictObject({
  kind: z.literal('expression-scale'),
  groupA: z.string().max(10_000),
  groupB: z.string().max(10_000),
  covariates: z.array(z.string().min(1).max(63)).max(MAX_COVARIATES),
}).refine((p) => p.groupB === '' || p.groupA.trim() !== '', { message: 'two groups need a cohort expression each', path: ['groupA'] });

export const expressionScale: QueryKindSpec<ExpressionScaleParams> = {
  kind: 'expression-scale',
  rpc: 'aggregate',
  parse: (raw) => parseWith(schema, raw, 'expression-scale') as ExpressionScaleParams,
  list: () => undefined,
  region: () => undefined,
  cohorts: (p) => [p.groupA, p.groupB].filter((c) => c.trim() !== ''),
  populations: (p, schema) => (p.groupB === '' ? analysedCellPopulations(schema, p.covariates) : designPopulations(schema, p.covariates)),
  layout: (_p, slotCount) => blockLayout(EXPR_LIMB_COUNTERS, 1, SCALE_SUMS.length, slotCount),
  // n and the (clipped) library sizes; the two site counts change with no person (proto/expression-dp.ts).
  sensitivity: () => familiesSensitivity(scaleFamilies()),
  dpNoise: 'sums',
  // The sums round (expression-de or expression-eqtl) follows: with DP on, admitted only when the budget covers both.
  dpRoundsAfter: () => 1,
  audit: (p) => ({ groupA: p.groupA, groupB: p.groupB, covariates: [...p.covariates] }),
  check(p, limits) {
    designColumns(limits.schema, p.covariates, 'group');
    designCells(limits.schema, p.covariates);
    if (limits.dpEpsilon > 0) checkExpressionDp('expression-scale', undefined, scaleFamilies(), limits.dpEpsilon);
  },
  impossible: () => undefined,
};

/**
 * `expression-de`: differential expression, group A against group B, one
 * linear model per gene (proto/expression-design.ts) on log-CPM (counts;
 * edgeR's prior scaled by the network mean library size from
 * `expression-scale`) or on the values as ingested (log). Each site sends,
 * over the samples of both groups, n, X'X and per gene X'y and y'y, all
 * quantized and exact (proto/expression.ts), as limbs; the coordinator
 * fits the models and moderates the variances (limma's eBayes) from the
 * network sums alone. The nodes verify both groups' sizes (>= k).
 *
 * DP (proto/expression-dp.ts): with DP on, every node clips y to [-clip,
 * clip] and adds its Skellam share to each sum, released in its family's
 * units, before cutting it into limbs (`dpNoise: 'sums'`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EXPR_LIMB_COUNTERS, MAX_GENES } from '../expression.js';
import { checkExpressionDp, designBounds, familiesSensitivity, MAX_EXPR_CLIP, modelFamilies, type DpSumFamily } from '../expression-dp.js';
import { deSumCount, designCells, designColumns, designPopulations, MAX_COVARIATES } from '../expression-design.js';
import type { PhenotypeSchema } from '../phenotype-schema.js';
import { blockLayout, type QueryParams } from '../query.js';
import { parseWith, type QueryKindSpec } from './kind.js';

export interface ExpressionDeParams extends QueryParams {
  readonly kind: 'expression-de';
  readonly groupA: string;
  readonly groupB: string;
  readonly covariates: readonly string[];
  /** What every site holds (expression-scale's round checked they agree). */
  readonly values: 'counts' | 'log';
  /** Counts: the network mean library size of the analysed samples; log: 0. */
  readonly meanLibSize: number;
  /** The genes tested, sorted (code-point order), each once: the slot order. */
  readonly genes: readonly string[];
  /** Each site clips y to [-clip, clip] before summing; 0: no clip (DP off only). */
  readonly clip: number;
}

/** The DP families of the released sums, in modelFamilies' order (proto/expression-dp.ts). */
export function deFamilies(p: ExpressionDeParams, schema: PhenotypeSchema): DpSumFamily[] {
  return modelFamilies(designBounds(designColumns(schema, p.covariates, 'group'), schema, 1), p.clip, p.genes.length, 1);
}

/** SHA-256 of the gene list (one id per line), for the audit log. */
export function genesDigest(genes: readonly string[]): string {
  return createHash('sha256').update(genes.join('\n')).digest('hex');
}

const schema = z.strictObject({
  kind: z.literal('expression-de'),
  groupA: z.string().min(1).max(10_000),
  groupB: z.string().min(1).max(10_000),
  covariates: z.array(z.string().min(1).max(63)).max(MAX_COVARIATES),
  values: z.enum(['counts', 'log']),
  meanLibSize: z.number().finite().min(0),
  genes: z.array(z.string().min(1).max(200)).min(1).max(MAX_GENES),
  clip: z.number().finite().min(0).max(MAX_EXPR_CLIP),
}).refine((p) => p.genes.every((g, i) => i === 0 || p.genes[i - 1]! < g), { message: 'genes must be sorted, each once', path: ['genes'] })
  .refine((p) => (p.values === 'counts') === (p.meanLibSize > 0), { message: 'a mean library size with counts, and only then', path: ['meanLibSize'] });

export const expressionDe: QueryKindSpec<ExpressionDeParams> = {
  kind: 'expression-de',
  rpc: 'aggregate',
  parse: (raw) => parseWith(schema, raw, 'expression-de') as ExpressionDeParams,
  list: () => undefined,
  region: () => undefined,
  cohorts: (p) => [p.groupA, p.groupB],
  populations: (p, schema) => designPopulations(schema, p.covariates),
  layout: (p, slotCount, schema) => blockLayout(EXPR_LIMB_COUNTERS, 1, deSumCount(designColumns(schema, p.covariates, 'group').length, p.genes.length), slotCount),
  sensitivity: (p, _layout, schema) => familiesSensitivity(deFamilies(p, schema)),
  dpNoise: 'sums',
  audit: (p) => ({ groupA: p.groupA, groupB: p.groupB, covariates: [...p.covariates], values: p.values, meanLibSize: p.meanLibSize, geneCount: p.genes.length, genesSha256: genesDigest(p.genes), clip: p.clip }),
  check(p, limits) {
    designColumns(limits.schema, p.covariates, 'group');
    designCells(limits.schema, p.covariates);
    if (limits.dpEpsilon > 0) checkExpressionDp('expression-de', p.clip, deFamilies(p, limits.schema), limits.dpEpsilon);
  },
  impossible: () => undefined,
};

/**
 * `expression-de`: differential expression, group A against group B, one
 * linear model per gene (proto/expression-design.ts) on log-CPM (counts;
 * edgeR's prior scaled by the network mean library size from
 * `expression-scale`) or on the values as ingested (log). Each site sends,
 * over the samples of both groups, n, X'X and per gene X'y and y'y, all
 * quantized and exact (proto/expression.ts), as limbs; the coordinator
 * fits the models and moderates the variances (limma's eBayes) from the
 * network sums alone. The nodes verify both groups' sizes (>= k).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ProtoError } from '../errors.js';
import { EXPR_LIMB_COUNTERS, MAX_GENES } from '../expression.js';
import { deSumCount, designCells, designColumns, designPopulations, MAX_COVARIATES } from '../expression-design.js';
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
  // Refused under DP in check(); never called with DP on.
  sensitivity: (_p, layout) => ({ sensitivity: 1, counts: layout.valueCount }),
  audit: (p) => ({ groupA: p.groupA, groupB: p.groupB, covariates: [...p.covariates], values: p.values, meanLibSize: p.meanLibSize, geneCount: p.genes.length, genesSha256: genesDigest(p.genes) }),
  check(p, limits) {
    if (limits.dpEpsilon > 0) throw new ProtoError('GENOFED_BAD_MESSAGE', 'expression-de: expression sums are fixed-point limbs and carry no DP noise; this network has DP on (THREAT-MODEL.md, "Expression answers")');
    designColumns(limits.schema, p.covariates, 'group');
    designCells(limits.schema, p.covariates);
  },
  impossible: () => undefined,
};

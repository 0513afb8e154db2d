/**
 * Expression by genotype (cis eQTL) over the network, three rounds (each a
 * query of its own through every check of the engine):
 * 1. `expression-genes`: the gene must be in every site's matrix;
 * 2. `expression-scale` with one group: the cohort's analysed samples
 *    (expression values and genotypes, every covariate present), their
 *    summed library sizes and the value kind every site holds;
 * 3. `expression-eqtl` over the phase-1 union of the sites' variants in
 *    the window: per variant the sums of y ~ 1 + dosage + covariates ->
 *    slope, SE, t, p (R's lm on the pooled data).
 *
 * The window: the gene's span widened by `window` bases on each side
 * (Matrix eQTL's cisDist: a variant is cis when its distance to the
 * nearer end of the gene is at most the window), clipped at position 1.
 *
 * With DP on, as for differential expression (expression.ts): 2 x epsilon
 * per answer (scale and sums rounds), a clip (default DEFAULT_EXPR_CLIP);
 * the sums round's noise is checked before the scale round for the most
 * variants a window may hold (MAX_EQTL_VARIANTS: the count is known only
 * after phase 1), so a query refused for it is refused before any budget.
 */
import { eqtlFamilies, MAX_EQTL_VARIANTS } from '../../proto/kinds/expression-eqtl.js';
import { expressionGenes } from '../../proto/kinds/expression-genes.js';
import { canonicalStrata } from '../../proto/query.js';
import { CoordinatorError } from '../errors.js';
import { expressionEqtl, type ExpressionEqtlBody } from '../kinds/expression-eqtl.js';
import { expressionScale } from '../kinds/expression-scale.js';
import { dpNote, networkMeanLibSize, precheckDp, queryClip, type ExpressionDpNote } from './expression.js';
import type { FederationEngine } from './engine.js';
import type { QueryOutcome } from './types.js';

/** Largest cis window on each side of the gene (GTEx uses 1 Mb). */
export const MAX_EQTL_WINDOW = 5_000_000;

export interface EqtlRequest {
  readonly querier: string;
  readonly gene: string;
  /** Where the gene lies (1-based, inclusive), from the researcher's annotation. */
  readonly chrom: string;
  readonly start: number;
  readonly end: number;
  /** Bases on each side of the gene. */
  readonly window: number;
  /** Cohort expression ('' or absent: every sample with expression values and genotypes). */
  readonly cohort?: string;
  readonly covariates?: readonly string[];
  /** Every site clips y to [-clip, clip] first. Default: DEFAULT_EXPR_CLIP with DP on, none (0) with DP off. */
  readonly clip?: number;
}

export type EqtlAnswer = Omit<ExpressionEqtlBody, 'dp'> & QueryOutcome & {
  /** DP on: the clip and the noise sd on each family of network sums (the scale round's prefixed `scale`); null with DP off. */
  readonly dp: ExpressionDpNote | null;
  readonly gene: string;
  readonly region: string;
  readonly values: 'counts' | 'log';
  /** Samples with expression values and genotypes in the cohort (every covariate present). */
  readonly n: number;
};

/** The cis window of a gene as a region (CHR:START-END). */
export function cisRegion(chrom: string, start: number, end: number, window: number): string {
  if (!/^[A-Za-z0-9_.*:-]{1,64}$/.test(chrom) || chrom.includes(':')) throw new CoordinatorError('GENOFED_QUERY_INVALID', 'chrom: a contig name');
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) throw new CoordinatorError('GENOFED_QUERY_INVALID', 'start, end: 1-based positions with start <= end');
  if (!Number.isInteger(window) || window < 0 || window > MAX_EQTL_WINDOW) throw new CoordinatorError('GENOFED_QUERY_INVALID', `window: an integer in 0..${MAX_EQTL_WINDOW}`);
  return `${chrom}:${Math.max(1, start - window)}-${end + window}`;
}

export async function eqtl(engine: FederationEngine, req: EqtlRequest, signal?: AbortSignal): Promise<EqtlAnswer> {
  const covariates = canonicalStrata(engine.phenotypeSchema(), req.covariates ?? []);
  const cohort = (req.cohort ?? '').trim();
  const region = cisRegion(req.chrom, req.start, req.end, req.window);
  const listed = await engine.listNames(req.querier, expressionGenes.parse({ kind: 'expression-genes' }), signal);
  const lacking = listed.filter((s) => !s.names.includes(req.gene)).length;
  if (lacking > 0) throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', `gene ${req.gene} is not in the expression matrix of ${lacking} of ${listed.length} sites`);
  const clip = queryClip(req.clip, engine.dpEpsilon);
  const widest = { kind: 'expression-eqtl' as const, gene: req.gene, cohort, covariates, values: 'log' as const, meanLibSize: 0, variantCount: MAX_EQTL_VARIANTS, variantsSha256: '0'.repeat(64), region, clip };
  precheckDp('expression-eqtl', eqtlFamilies(widest, engine.phenotypeSchema()), clip, engine.dpEpsilon);
  const scale = await engine.run(expressionScale, { querier: req.querier, groupA: cohort, groupB: '', covariates }, signal);
  const sites = scale.sites.responding.length;
  let values: 'counts' | 'log';
  if (scale.countSites === sites) values = 'counts';
  else if (scale.logSites === sites) values = 'log';
  else throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', `the sites hold different kinds of expression values (${scale.countSites} counts, ${scale.logSites} log values, of ${sites}): a network analyses one kind`);
  // With DP on n is noisy: a small cohort may read 0 and still hold people (the sums round says).
  if (!scale.dp && scale.n === 0) throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', 'no sample of the cohort has both expression values and genotypes');
  const meanLibSize = values === 'counts' ? networkMeanLibSize(scale) : 0;
  const answer = await engine.run(expressionEqtl, { querier: req.querier, gene: req.gene, cohort, covariates, values, meanLibSize, region, clip }, signal);
  return { ...answer, gene: req.gene, region, values, n: scale.n, dp: dpNote(engine.dpEpsilon, clip, scale.dp, answer.dp) };
}

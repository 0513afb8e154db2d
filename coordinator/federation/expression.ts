/**
 * Differential expression over the network, three rounds (each a query of
 * its own through every check of the engine):
 * 1. `expression-genes`: every site lists its matrix's gene ids; the genes
 *    tested are those every site holds (and the researcher listed, if so);
 * 2. `expression-scale`: the analysed samples, their summed library sizes
 *    (edgeR's log-CPM prior scales with the network mean) and the value
 *    kind every site holds (counts or log values; a mixed network is refused);
 * 3. `expression-de`: the sums of the linear model per gene -> limma's
 *    moderated statistics.
 *
 * With DP on (proto/expression-dp.ts) the gene listing spends no budget
 * (names, no patient data); the scale round (n and summed library sizes)
 * and the sums round each spend the per-query epsilon at every node: 2 x
 * epsilon per answer, and a node admits the scale round only when the
 * budget covers both. The query carries a clip (default
 * DEFAULT_EXPR_CLIP), and its sums round's noise is checked against the
 * sampler's range here, before the scale round spends anything.
 */
import { expressionGenes } from '../../proto/kinds/expression-genes.js';
import { MAX_GENES } from '../../proto/expression.js';
import { checkExpressionDp, DEFAULT_EXPR_CLIP, LIB_SIZE_CLIP, MAX_EXPR_CLIP, type DpSumFamily } from '../../proto/expression-dp.js';
import { ProtoError } from '../../proto/errors.js';
import { canonicalStrata } from '../../proto/query.js';
import { deFamilies } from '../../proto/kinds/expression-de.js';
import { CoordinatorError } from '../errors.js';
import { expressionDe, type ExpressionDeBody } from '../kinds/expression-de.js';
import type { ExpressionNoise } from '../kinds/expression-sums.js';
import { expressionScale } from '../kinds/expression-scale.js';
import type { FederationEngine } from './engine.js';
import type { QueryOutcome } from './types.js';

export interface DifferentialExpressionRequest {
  readonly querier: string;
  /** Cohort expressions over the roster's schema; the coefficient is A - B. */
  readonly groupA: string;
  readonly groupB: string;
  readonly covariates?: readonly string[];
  /** Test only these genes (those every site holds); absent: every gene every site holds. */
  readonly genes?: readonly string[];
  readonly trend?: boolean;
  /** Every site clips y to [-clip, clip] first. Default: DEFAULT_EXPR_CLIP with DP on, none (0) with DP off. */
  readonly clip?: number;
}

/** DP on: what the answer carries of the noise (null with DP off). */
export interface ExpressionDpNote extends ExpressionNoise {
  /** The epsilon each counted round spent at every node (the scale round and the sums round: twice this in all). */
  readonly epsilonPerRound: number;
}

export type DifferentialExpressionAnswer = Omit<ExpressionDeBody, 'dp'> & QueryOutcome & {
  readonly values: 'counts' | 'log';
  /** Genes asked (or listed by some site) that not every site holds: not tested. */
  readonly genesNotAtEverySite: number;
  /** DP on: the clip, the noise sd on each family of network sums (the scale round's prefixed `scale`), the sd the noise adds to every logFC (counted in t and p), the genes left out (noisy residual variance <= 0). */
  readonly dp: (ExpressionDpNote & { readonly logfcNoiseSd: number; readonly genesNotFitted: readonly string[] }) | null;
};

/**
 * The clip a query carries: the researcher's, else the default under DP
 * (none without); refused when DP is on and it is 0.
 */
export function queryClip(asked: number | undefined, dpEpsilon: number): number {
  const clip = asked ?? (dpEpsilon > 0 ? DEFAULT_EXPR_CLIP : 0);
  if (!(clip >= 0 && clip <= MAX_EXPR_CLIP)) throw new CoordinatorError('GENOFED_QUERY_INVALID', `clip: a number in 0..${MAX_EXPR_CLIP}`);
  if (dpEpsilon > 0 && clip === 0) throw new CoordinatorError('GENOFED_QUERY_INVALID', 'clip: DP is on, so the values must be clipped (a clip > 0; default 16)');
  return clip;
}

/** With DP on, refuse (a 400) a sums round whose noise the sampler cannot draw exactly, before any round spends budget. */
export function precheckDp(kind: string, families: readonly DpSumFamily[], clip: number, dpEpsilon: number): void {
  if (!(dpEpsilon > 0)) return;
  try {
    checkExpressionDp(kind, clip, families, dpEpsilon);
  } catch (err) {
    if (err instanceof ProtoError) throw new CoordinatorError('GENOFED_QUERY_INVALID', err.message);
    throw err;
  }
}

/** The answer's DP note: both rounds' noise (the scale round's alone when the sums round had nothing to sum: an eQTL window without variants). */
export function dpNote(epsilon: number, clip: number, scale: ExpressionNoise | null, sums: ExpressionNoise | null): ExpressionDpNote | null {
  if (!scale) return null;
  return { clip, epsilonPerRound: epsilon, sums: [...scale.sums.map((s) => ({ sum: `scale ${s.sum}`, sd: s.sd })), ...(sums?.sums ?? [])] };
}

/** Why these bounds: no real library is below 10^3 reads, and LIB_SIZE_CLIP caps each released one. */
export const MIN_MEAN_LIB_SIZE = 1e3;

/**
 * The network mean library size from the scale round (counts). Exact with
 * DP off (a sum of 0 refused). With DP on both sums are noisy, and at a
 * small network or shallow libraries the noise can exceed the sum (one
 * person may change it by LIB_SIZE_CLIP reads): the noisy mean is clamped
 * to [MIN_MEAN_LIB_SIZE, LIB_SIZE_CLIP] (post-processing, no privacy cost).
 * It only scales edgeR's prior count (proto/expression.ts logCpm), so an
 * error there shifts the log-CPM of low counts, far less than the noise on
 * the sums themselves.
 */
export function networkMeanLibSize(scale: { n: number; libSizeSum: number; dp: ExpressionNoise | null }): number {
  if (!scale.dp) {
    if (!(scale.libSizeSum > 0)) throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', 'the analysed samples have no counts (library sizes sum to 0)');
    return scale.libSizeSum / scale.n;
  }
  const mean = scale.libSizeSum / Math.max(1, scale.n);
  return Math.min(LIB_SIZE_CLIP, Math.max(MIN_MEAN_LIB_SIZE, Number.isFinite(mean) ? mean : MIN_MEAN_LIB_SIZE));
}

/** The genes every site holds, sorted (code-point order), restricted to `asked` when given. */
export function commonGenes(perSite: readonly (readonly string[])[], asked?: readonly string[]): { genes: string[]; missing: number } {
  const count = new Map<string, number>();
  for (const names of perSite) for (const g of new Set(names)) count.set(g, (count.get(g) ?? 0) + 1);
  const everywhere = (g: string): boolean => count.get(g) === perSite.length;
  const universe = asked ? [...new Set(asked)] : [...count.keys()];
  const genes = universe.filter(everywhere).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { genes, missing: universe.length - genes.length };
}

export async function differentialExpression(engine: FederationEngine, req: DifferentialExpressionRequest, signal?: AbortSignal): Promise<DifferentialExpressionAnswer> {
  // As the schema spells them: the nodes match cells by these names.
  const covariates = canonicalStrata(engine.phenotypeSchema(), req.covariates ?? []);
  if (req.genes && req.genes.length > MAX_GENES) throw new CoordinatorError('GENOFED_QUERY_INVALID', `genes: at most ${MAX_GENES} in one query`);
  const listed = await engine.listNames(req.querier, expressionGenes.parse({ kind: 'expression-genes' }), signal);
  const { genes, missing } = commonGenes(listed.map((s) => s.names), req.genes);
  if (genes.length === 0) {
    throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', req.genes ? 'none of the genes asked is held by every site' : 'the sites hold no gene in common (or no expression matrix)');
  }
  const clip = queryClip(req.clip, engine.dpEpsilon);
  precheckDp('expression-de', deFamilies({ kind: 'expression-de', groupA: req.groupA, groupB: req.groupB, covariates, values: 'log', meanLibSize: 0, genes, clip }, engine.phenotypeSchema()), clip, engine.dpEpsilon);
  const scale = await engine.run(expressionScale, { querier: req.querier, groupA: req.groupA, groupB: req.groupB, covariates }, signal);
  const sites = scale.sites.responding.length;
  let values: 'counts' | 'log';
  if (scale.countSites === sites) values = 'counts';
  else if (scale.logSites === sites) values = 'log';
  else throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', `the sites hold different kinds of expression values (${scale.countSites} counts, ${scale.logSites} log values, of ${sites}): a network analyses one kind`);
  const meanLibSize = values === 'counts' ? networkMeanLibSize(scale) : 0;
  const de = await engine.run(expressionDe, { querier: req.querier, groupA: req.groupA, groupB: req.groupB, covariates, values, meanLibSize, genes, trend: req.trend === true, clip }, signal);
  const note = dpNote(engine.dpEpsilon, clip, scale.dp, de.dp);
  return { ...de, values, genesNotAtEverySite: missing, dp: note && de.dp ? { ...note, logfcNoiseSd: de.dp.logfcNoiseSd, genesNotFitted: de.dp.genesNotFitted } : null };
}

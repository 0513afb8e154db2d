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
 */
import { expressionGenes } from '../../proto/kinds/expression-genes.js';
import { MAX_GENES } from '../../proto/expression.js';
import { canonicalStrata } from '../../proto/query.js';
import { CoordinatorError } from '../errors.js';
import { expressionDe, type ExpressionDeBody } from '../kinds/expression-de.js';
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
}

export type DifferentialExpressionAnswer = ExpressionDeBody & QueryOutcome & {
  readonly values: 'counts' | 'log';
  /** Genes asked (or listed by some site) that not every site holds: not tested. */
  readonly genesNotAtEverySite: number;
};

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
  const scale = await engine.run(expressionScale, { querier: req.querier, groupA: req.groupA, groupB: req.groupB, covariates }, signal);
  const sites = scale.sites.responding.length;
  let values: 'counts' | 'log';
  if (scale.countSites === sites) values = 'counts';
  else if (scale.logSites === sites) values = 'log';
  else throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', `the sites hold different kinds of expression values (${scale.countSites} counts, ${scale.logSites} log values, of ${sites}): a network analyses one kind`);
  if (values === 'counts' && !(scale.libSizeSum > 0)) throw new CoordinatorError('GENOFED_EXPRESSION_MISMATCH', 'the analysed samples have no counts (library sizes sum to 0)');
  const meanLibSize = values === 'counts' ? scale.libSizeSum / scale.n : 0;
  const de = await engine.run(expressionDe, { querier: req.querier, groupA: req.groupA, groupB: req.groupB, covariates, values, meanLibSize, genes, trend: req.trend === true }, signal);
  return { ...de, values, genesNotAtEverySite: missing };
}

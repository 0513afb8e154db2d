/**
 * Differential expression at the coordinator: the network sums (n, X'X,
 * per gene X'y and y'y, recombined from their limbs: expression-sums.ts) ->
 * per gene limma's fit and moderated t (coordinator/stats: fitted from the
 * sums alone; no site's statistics exist here), sorted by p.
 *
 * With DP on the fit runs on the noisy sums. A noisy n not above the
 * design's columns, or a noisy X'X that is not positive definite, leaves no
 * model (GENOFED_DP_NOISE_TOO_LARGE, with the noise scale); a gene whose
 * noisy residual sum of squares is <= 0 (noise on y'y larger than its
 * variance) has no variance to test against: it is left out of the fit and
 * of eBayes and listed in `dp.genesNotFitted` (clamping it to a tiny
 * variance would make it the top hit). And the noise on X'y moves every
 * logFC by far more than its sampling error (at epsilon 100 on 2,504
 * samples, sd ~0.5 against ~0.02), so limma's t alone would call most
 * null genes (measured: 89% of the calls false at 5% FDR): t adds the
 * noise's variance of the coefficient (known: coefficientNoiseVariance)
 * to limma's squared standard error, t = logFC / sqrt((logFC / t_limma)^2
 * + var_noise), p from it on limma's total degrees of freedom, then BH.
 */
import { designColumns } from '../../proto/expression-design.js';
import { deFamilies, expressionDe as spec, type ExpressionDeParams } from '../../proto/kinds/expression-de.js';
import { CoordinatorError } from '../errors.js';
import type { DisclosureSummary } from '../federation/types.js';
import { benjaminiHochberg, differentialExpressionTable, twoSidedTP, type DeRow, type DeTable, type PreparedDesign } from '../stats/index.js';
import { coefficientNoiseVariance, decodeModelSums, noiseReport, noisyDesign, noisyRss, xtyNoiseSd, type ExpressionNoise, type ModelSums } from './expression-sums.js';
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
  /** Every site clips y to [-clip, clip]; 0: no clip (DP off only). */
  readonly clip: number;
}

export interface ExpressionDeBody {
  /** Sorted by p (then gene id). */
  readonly rows: readonly DeRow[];
  /** Samples in the model (with DP: the noisy count, rounded). */
  readonly n: number;
  /** The design's columns (the coefficient reported is `group`: A - B). */
  readonly design: readonly string[];
  readonly dfResidual: number;
  /** limma's prior: degrees of freedom and variance (the variance's median with trend = TRUE). */
  /** null: infinite. */
  readonly dfPrior: number | null;
  readonly s2Prior: number;
  /** DP on: the clip, the noise on each family of sums, the sd the noise adds to every logFC (counted in t), and the genes left out (noisy residual variance <= 0); null with DP off. */
  readonly dp: (ExpressionNoise & { readonly logfcNoiseSd: number; readonly genesNotFitted: readonly string[] }) | null;
  readonly disclosure: DisclosureSummary;
}

/** The genes whose noisy sums leave a positive residual variance, and the others; throws when the model itself is gone. */
function fittableUnderNoise(sums: ModelSums, genes: readonly string[], noise: ExpressionNoise): { sums: ModelSums; genes: string[]; notFitted: string[]; design: PreparedDesign } {
  const scale = noise.sums.map((s) => `${s.sum} ${s.sd.toPrecision(3)}`).join(', ');
  const d = noisyDesign(sums);
  if ('reason' in d) throw new CoordinatorError('GENOFED_DP_NOISE_TOO_LARGE', `DP noise leaves no model to fit: ${d.reason} (noise sd per network sum: ${scale}); more samples, fewer genes, a smaller clip or a larger epsilon would help`);
  const rss = noisyRss(d.design, sums);
  const keep: number[] = [];
  const notFitted: string[] = [];
  rss.forEach((r, g) => (r > 0 ? keep.push(g) : notFitted.push(genes[g]!)));
  if (keep.length === 0) throw new CoordinatorError('GENOFED_DP_NOISE_TOO_LARGE', `DP noise leaves no gene with a positive residual variance (noise sd per network sum: ${scale})`);
  const p = d.design.p;
  return {
    sums: { ...sums, xty: keep.flatMap((g) => sums.xty.slice(g * p, (g + 1) * p)), yty: keep.map((g) => sums.yty[g]!) },
    genes: keep.map((g) => genes[g]!),
    notFitted,
    design: d.design,
  };
}

/** limma's rows with the noise's variance of the coefficient added to each squared standard error: t, p (limma's total df), BH, re-sorted by p. */
function withNoiseVariance(table: DeTable, genes: number, variance: number): DeRow[] {
  const df = Math.min(table.dfResidual + table.dfPrior, table.dfResidual * genes);
  const rows = table.rows.map((r) => {
    const se2 = r.t === 0 ? 0 : (r.logfc / r.t) ** 2;
    const t = r.logfc / Math.sqrt(se2 + variance);
    return { ...r, t, p: twoSidedTP(t, df) };
  });
  const adj = benjaminiHochberg(rows.map((r) => (Number.isNaN(r.p) ? null : r.p)));
  const out = rows.map((r, i) => ({ r: { ...r, adj_p: adj[i] ?? Number.NaN }, i }));
  out.sort((a, b) => (Number.isNaN(a.r.p) ? 2 : a.r.p) - (Number.isNaN(b.r.p) ? 2 : b.r.p) || a.i - b.i);
  return out.map((x) => x.r);
}

export const expressionDe: CoordinatorKind<ExpressionDeRequest, ExpressionDeBody> = {
  spec,
  plan: () => ({}),
  params: (req): ExpressionDeParams => ({
    kind: 'expression-de', groupA: req.groupA, groupB: req.groupB, covariates: [...req.covariates],
    values: req.values, meanLibSize: req.values === 'counts' ? req.meanLibSize : 0, genes: [...req.genes], clip: req.clip,
  }),
  empty: () => {
    throw new CoordinatorError('GENOFED_INTERNAL', 'expression-de has no empty answer');
  },
  answer(totals, { req, params, ctx, noise }) {
    const columns = designColumns(ctx.schema, req.covariates, 'group');
    const families = noise ? deFamilies(params as ExpressionDeParams, ctx.schema) : null;
    let sums = decodeModelSums(totals, 0, columns.length, req.genes.length, families);
    let genes: readonly string[] = req.genes;
    let dp: ExpressionDeBody['dp'] = null;
    let variance = 0;
    if (families && noise) {
      const report = noiseReport(families, noise.mu, req.clip);
      const f = fittableUnderNoise(sums, genes, report);
      ({ sums, genes } = f);
      variance = coefficientNoiseVariance(f.design, 1, xtyNoiseSd(report, columns.length));
      dp = { ...report, logfcNoiseSd: Math.sqrt(variance), genesNotFitted: f.notFitted };
    }
    let table;
    try {
      table = differentialExpressionTable(sums, { genes, coefficient: 1, columnNames: columns.map((c) => c.name), trend: req.trend });
    } catch (err) {
      // The group's coefficient cannot be estimated (a covariate determines the group): the researcher's model, a 400.
      if (err instanceof RangeError) throw new CoordinatorError('GENOFED_QUERY_INVALID', err.message.replace(/^differentialExpressionTable: /, ''));
      throw err;
    }
    return {
      rows: dp ? withNoiseVariance(table, genes.length, variance) : table.rows, n: sums.n, design: columns.map((c) => c.name), dfResidual: table.dfResidual,
      dfPrior: Number.isFinite(table.dfPrior) ? table.dfPrior : null, s2Prior: table.s2Prior, dp,
      disclosure: { policy: { ...ctx.policy }, rowsAffected: 0, rules: [] },
    };
  },
};

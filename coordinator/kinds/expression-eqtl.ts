/**
 * Expression by genotype at the coordinator: per listed variant, the
 * network sums (n, X'X, X'y, y'y, recombined from their limbs) -> R's
 * `summary(lm(y ~ dosage + covariates))` row for dosage: slope, standard
 * error, t, p (coordinator/stats/ols.ts, from the sums alone). Variants the
 * nodes withheld (a genotype class x covariate cell of 1..k-1, or thinned:
 * proto/kinds/expression-eqtl.ts) are listed with no statistics and the
 * disclosure note says why.
 *
 * With DP on each variant is fitted on its noisy sums (expression-sums.ts):
 * a variant whose noisy n is not above the design's columns, whose noisy
 * X'X is not positive definite, or whose noisy residual sum of squares is
 * <= 0 has no statistics (`note: 'noise'`); its AF is the noisy dosage sum
 * over 2n, clamped to [0, 1]. The slope's SE adds the variance the noise on
 * X'y gives it (expression-sums.ts coefficientNoiseVariance; as in
 * expression-de.ts), and t and p follow from that SE.
 */
import { designColumns } from '../../proto/expression-design.js';
import { eqtlFamilies, eqtlSumsPerVariant, expressionEqtl as spec, type ExpressionEqtlParams } from '../../proto/kinds/expression-eqtl.js';
import { canonicalRegions } from '../../proto/region.js';
import { variantListDigestHex } from '../../proto/query.js';
import type { DisclosureSummary } from '../federation/types.js';
import { olsCoefficientTest } from '../stats/ols.js';
import { twoSidedTP } from '../stats/student-t.js';
import { coefficientNoiseVariance, decodeModelSums, noiseReport, noisyDesign, noisyRss, xtyNoiseSd, type ExpressionNoise } from './expression-sums.js';
import type { CoordinatorKind } from './kind.js';

export interface ExpressionEqtlRequest {
  readonly querier: string;
  readonly gene: string;
  readonly cohort: string;
  readonly covariates: readonly string[];
  readonly values: 'counts' | 'log';
  readonly meanLibSize: number;
  /** The cis window: a region list (bcftools -r form). */
  readonly region: string;
  /** Every site clips y to [-clip, clip]; 0: no clip (DP off only). */
  readonly clip: number;
}

export interface EqtlRow {
  readonly chrom: string;
  readonly pos: number;
  readonly ref: string;
  readonly alt: string;
  /** Samples in this variant's model (genotype called); null when withheld. */
  readonly n: number | null;
  /** ALT allele frequency among them. */
  readonly af: number | null;
  readonly slope: number | null;
  readonly se: number | null;
  readonly t: number | null;
  readonly p: number | null;
  /** Why there are no statistics: `withheld` (by the nodes), `monomorphic` (dosage constant: R's NA), `noise` (DP: the noisy sums give no model), or null. */
  readonly note: 'withheld' | 'monomorphic' | 'noise' | null;
}

export interface ExpressionEqtlBody {
  /** Sorted by p, ties by |t| (rows without statistics last, in list order). */
  readonly rows: readonly EqtlRow[];
  /** The design's columns (the coefficient reported is `dosage`). */
  readonly design: readonly string[];
  /** DP on: the clip and the noise on each family of sums; null with DP off. */
  readonly dp: ExpressionNoise | null;
  readonly disclosure: DisclosureSummary;
}

const WITHHELD_RULE = 'eqtl-variant-withheld';
const WITHHELD_REASON = 'withheld by the nodes: a genotype class (0, 1 or 2 ALT copies) x covariate cell of 1..k-1 people, a called set of 1..k-1, or a variant whose carrier, hom-alt or called set differs by 1..k-1 people at some site from another released variant or an earlier answer (their sums would subtract to a few people\'s expression)';


export const expressionEqtl: CoordinatorKind<ExpressionEqtlRequest, ExpressionEqtlBody> = {
  spec,
  plan: (req) => ({ region: canonicalRegions(req.region) }),
  params: (req, list): ExpressionEqtlParams => ({
    kind: 'expression-eqtl', gene: req.gene, cohort: req.cohort, covariates: [...req.covariates], values: req.values,
    meanLibSize: req.values === 'counts' ? req.meanLibSize : 0, variantCount: list.length, variantsSha256: variantListDigestHex(list), region: canonicalRegions(req.region), clip: req.clip,
  }),
  empty: (req, ctx) => ({ rows: [], design: designColumns(ctx.schema, req.covariates, 'dosage').map((c) => c.name), dp: null, disclosure: { policy: { ...ctx.policy }, rowsAffected: 0, rules: [] } }),
  answer(totals, { req, params, list, ctx, withheld, noise }) {
    const columns = designColumns(ctx.schema, req.covariates, 'dosage');
    const P = columns.length;
    const families = noise ? eqtlFamilies(params as ExpressionEqtlParams, ctx.schema) : null;
    const report = families && noise ? noiseReport(families, noise.mu, req.clip) : null;
    const xtySd = report ? xtyNoiseSd(report, P) : [];
    const rows: EqtlRow[] = [];
    for (let v = 0; v < list.length; v++) {
      const k = list.at(v)!;
      const key = { chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt };
      if (withheld.has(v)) {
        rows.push({ ...key, n: null, af: null, slope: null, se: null, t: null, p: null, note: 'withheld' });
        continue;
      }
      const s = decodeModelSums(totals, v * eqtlSumsPerVariant(P), P, 1, families);
      // X'X[0][1]: the sum of dosages (intercept x dosage) in units of s.unit; noisy with DP.
      const af = s.n > 0 ? Math.min(1, Math.max(0, (Number(s.xtx[1]!) * s.unit) / (2 * s.n))) : null;
      let noiseVariance = 0;
      if (families) {
        const d = noisyDesign(s);
        if ('reason' in d || !(noisyRss(d.design, s)[0]! > 0)) {
          rows.push({ ...key, n: s.n, af, slope: null, se: null, t: null, p: null, note: 'noise' });
          continue;
        }
        noiseVariance = coefficientNoiseVariance(d.design, 1, xtySd);
      }
      const test = s.n > 0 ? olsCoefficientTest({ n: s.n, xtx: s.xtx, unit: s.unit, xty: s.xty, yty: s.yty[0]! }, 1) : null;
      if (!test) rows.push({ ...key, n: s.n, af, slope: null, se: null, t: null, p: null, note: 'monomorphic' });
      else if (noiseVariance > 0) {
        const se = Math.sqrt(test.se * test.se + noiseVariance);
        const t = test.estimate / se;
        rows.push({ ...key, n: s.n, af, slope: test.estimate, se, t, p: twoSidedTP(t, test.df), note: null });
      } else rows.push({ ...key, n: s.n, af, slope: test.estimate, se: test.se, t: test.t, p: test.p, note: null });
    }
    const order = rows.map((r, i) => ({ r, i }));
    // Ties (p below the smallest double is 0) by |t|, largest first; then list order.
    order.sort((a, b) => (a.r.p === null ? (b.r.p === null ? a.i - b.i : 1) : b.r.p === null ? -1 : a.r.p - b.r.p || Math.abs(b.r.t!) - Math.abs(a.r.t!) || a.i - b.i));
    const rules = withheld.size > 0 ? [{ rule: WITHHELD_RULE, action: 'suppressed' as const, rows: withheld.size, reason: WITHHELD_REASON }] : [];
    const dp = report;
    return { rows: order.map((x) => x.r), design: columns.map((c) => c.name), dp, disclosure: { policy: { ...ctx.policy }, rowsAffected: withheld.size, rules } };
  },
};

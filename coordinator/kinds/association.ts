/**
 * Case-control association at the coordinator: cases and controls (two
 * cohorts of the roster's schema), a region (phase 1 union) or a list;
 * network totals -> per variant the 2x2 allele table and the 2x3 genotype
 * table, the allelic chi-square and p, the odds ratio of the ALT allele
 * (cases vs controls) with its 95% CI, Fisher's exact p and the
 * Cochran-Armitage trend p (coordinator/stats, equal to PLINK 1.9 and R),
 * sorted by p; the genomic inflation over the released statistics.
 *
 * Disclosure: each group's AC and AN pass the allele-frequency policy;
 * a statistic is a function of its table, so the allelic statistics are
 * withheld (null) when a cell of the allele table is 1..k-1, and the trend
 * when a cell of the genotype table is (`association-cell-below-k`).
 * Multi-allelic sites: one row per ALT allele; the allele table is ALT vs
 * every other allele, the genotype table counts carriers of 0/1/2 copies
 * of that ALT as the store classifies them (genotypes with only another
 * ALT are in neither), so rows of multi-allelic sites differ from PLINK,
 * which reads biallelic records only.
 */
import { association as spec, type AssociationParams } from '../../proto/kinds/association.js';
import { variantListDigestHex } from '../../proto/query.js';
import { canonicalRegions } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';
import { AlleleCountRelease, applyAlleleFrequencyPolicy } from '../disclosure/index.js';
import { CoordinatorError } from '../errors.js';
import type { DisclosureSummary, ReleasedCount, VariantItemRef, VariantRef } from '../federation/types.js';
import { allelicChiSquare, fisherExact, genomicInflation, oddsRatio, stableOrder, trendTest } from '../stats/index.js';
import { planList } from './allele-frequency.js';
import type { CoordinatorKind } from './kind.js';

export interface AssociationRequest {
  readonly cases: string;
  readonly controls: string;
  /** Exactly one of region and variants. */
  readonly region?: string;
  readonly variants?: readonly VariantItemRef[];
  readonly querier: string;
}

export interface AssociationRow extends VariantRef {
  readonly ac_cases: ReleasedCount;
  readonly an_cases: ReleasedCount;
  readonly ac_controls: ReleasedCount;
  readonly an_controls: ReleasedCount;
  /** Allelic chi-square (1 df, no continuity correction) and its p; null where PLINK prints NA or a cell is withheld. */
  readonly chisq: number | null;
  readonly p: number | null;
  /** Odds ratio of the ALT allele in cases vs controls, Woolf 95% CI. */
  readonly or: number | null;
  readonly or_l95: number | null;
  readonly or_u95: number | null;
  readonly p_fisher: number | null;
  readonly p_trend: number | null;
}

export interface AssociationBody {
  /** Sorted by p (rows without p last, in variant order). */
  readonly rows: readonly AssociationRow[];
  /** Genomic inflation: median released chi-square / 0.4549 (null without any). */
  readonly lambda: number | null;
  readonly disclosure: DisclosureSummary;
}

const CELL_RULE = 'association-cell-below-k';
const CELL_REASON = 'a cell of the allele table (ALT or REF alleles of cases or controls) or of the genotype table is 1..k-1: the statistics computed from it are withheld (a statistic with known margins would reveal the cell)';

/** A finite number, or null (PLINK's NA, and the non-finite bounds of a zero cell, travel as null). */
function num(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}

export const association: CoordinatorKind<AssociationRequest, AssociationBody> = {
  spec,

  plan(req) {
    if ((req.region === undefined) === (req.variants === undefined)) throw new CoordinatorError('GENOFED_QUERY_INVALID', 'region, variants: give exactly one');
    if (req.cases.trim() === req.controls.trim()) throw new CoordinatorError('GENOFED_QUERY_INVALID', 'cases, controls: the two groups are the same expression');
    if (req.region !== undefined) return { region: canonicalRegions(req.region) };
    return planList(req.variants!);
  },

  params: (req, list): AssociationParams => ({
    kind: 'association', cases: req.cases, controls: req.controls, variantCount: list.length, variantsSha256: variantListDigestHex(list), region: req.region !== undefined ? canonicalRegions(req.region) : '',
  }),

  empty: (_req, ctx) => ({ rows: [], lambda: null, disclosure: applyAlleleFrequencyPolicy([], ctx.policy).disclosure }),

  answer(totals, { list, ctx }) {
    const V = list.length;
    const k = ctx.policy.k;
    const small = (x: number): boolean => x > 0 && x < k;
    // Each group's counts under the allele-frequency policy (nhomalt = hom_alt), row by row, and one row
    // object per variant (a million-variant answer: no intermediate rows).
    const casesRelease = new AlleleCountRelease(ctx.policy);
    const controlsRelease = new AlleleCountRelease(ctx.policy);
    let withheldRows = 0;
    let affected = 0;
    const rows: AssociationRow[] = new Array(V);
    const pKey = new Float64Array(V);
    const chisqs: (number | null)[] = new Array(V);
    for (let i = 0; i < V; i++) {
      const o0 = 5 * i;
      const o1 = 5 * (V + i);
      const caseAc = totals[o0]!;
      const caseAn = totals[o0 + 1]!;
      const ctrlAc = totals[o1]!;
      const ctrlAn = totals[o1 + 1]!;
      const table = { caseA1: caseAc, caseA2: caseAn - caseAc, controlA1: ctrlAc, controlA2: ctrlAn - ctrlAc };
      const cases = { homRef: totals[o0 + 2]!, het: totals[o0 + 3]!, homAlt: totals[o0 + 4]! };
      const controls = { homRef: totals[o1 + 2]!, het: totals[o1 + 3]!, homAlt: totals[o1 + 4]! };
      const alleleCellSmall = small(table.caseA1) || small(table.caseA2) || small(table.controlA1) || small(table.controlA2);
      const genotypeCellSmall = small(cases.homRef) || small(cases.het) || small(cases.homAlt) || small(controls.homRef) || small(controls.het) || small(controls.homAlt);
      if (alleleCellSmall || genotypeCellSmall) withheldRows += 1;
      const chi = alleleCellSmall ? null : allelicChiSquare(table);
      const or = alleleCellSmall ? null : oddsRatio(table);
      const trend = genotypeCellSmall ? null : trendTest({ cases, controls });
      const c = casesRelease.release(caseAc, caseAn, cases.homAlt);
      const cAc = c.ac;
      const cAn = c.an;
      const u = controlsRelease.release(ctrlAc, ctrlAn, controls.homAlt);
      if (alleleCellSmall || genotypeCellSmall || typeof cAc === 'string' || typeof cAn === 'string' || typeof u.ac === 'string' || typeof u.an === 'string') affected += 1;
      const v = list.at(i)!;
      const pv = num(chi?.p);
      rows[i] = {
        chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt,
        ac_cases: cAc, an_cases: cAn, ac_controls: u.ac, an_controls: u.an,
        chisq: num(chi?.chisq), p: pv, or: num(or?.or), or_l95: num(or?.lower), or_u95: num(or?.upper),
        p_fisher: alleleCellSmall ? null : num(fisherExact(table)), p_trend: num(trend?.p),
      };
      pKey[i] = pv === null ? Infinity : pv;
      chisqs[i] = rows[i]!.chisq;
    }
    // Sorted by p, rows without p last; ties in variant order (the index breaks them: a stable order).
    const order = stableOrder(pKey);
    const sorted = Array.from(order, (i) => rows[i]!);
    const lambda = genomicInflation(chisqs);
    const casesNote = casesRelease.note();
    const controlsNote = controlsRelease.note();
    // One note: what the per-group policy withheld (rows counted once per group) and the statistics withheld.
    const rules = [...casesNote.rules.map((x) => ({ ...x, rule: `cases:${x.rule}` })), ...controlsNote.rules.map((x) => ({ ...x, rule: `controls:${x.rule}` }))];
    if (withheldRows > 0) rules.push({ rule: CELL_RULE, action: 'suppressed', rows: withheldRows, reason: CELL_REASON });
    return { rows: sorted, lambda: num(lambda), disclosure: { policy: casesNote.policy, rowsAffected: affected, rules } };
  },
};

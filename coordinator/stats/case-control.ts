/**
 * All the case-control tests of one variant from its genotype totals, the
 * way the coordinator will call them on decrypted network counts.
 */
import { allelicChiSquare, oddsRatio, type ChiSquareResult, type OddsRatioResult } from './allelic.js';
import { fisherExact } from './fisher.js';
import { alleleTableFromGenotypes, type AlleleTable, type GenotypeTable } from './tables.js';
import { trendTest } from './trend.js';

export interface CaseControlResult {
  readonly alleles: AlleleTable;
  /** Allelic chi-square (PLINK --assoc CHISQ/P); null when a margin is 0. */
  readonly allelic: ChiSquareResult | null;
  /** ALT-allele OR, cases vs controls, with Woolf's 95% CI; null when case REF or control ALT is 0. */
  readonly oddsRatio: OddsRatioResult | null;
  /** Two-sided Fisher p on the allele table; 1 when only one table fits the margins. */
  readonly fisherP: number;
  /** Cochran-Armitage trend (PLINK --model TREND); null with no cases, no controls, or one genotype only. */
  readonly trend: ChiSquareResult | null;
}

/** Why: one call per variant, every statistic from the same counts (missing genotypes already excluded from them). */
export function caseControlTests(g: GenotypeTable): CaseControlResult {
  const alleles = alleleTableFromGenotypes(g);
  return {
    alleles,
    allelic: allelicChiSquare(alleles),
    oddsRatio: oddsRatio(alleles),
    fisherP: fisherExact(alleles),
    trend: trendTest(g),
  };
}

/**
 * The Cochran-Armitage trend test on the 2x3 genotype table, as PLINK 1.9
 * `--model` (TREND row) and R's `prop.trend.test` compute it.
 */
import { chiSquareUpperTail } from './distributions.js';
import type { ChiSquareResult } from './allelic.js';
import { checkGenotypes, type GenotypeTable } from './tables.js';

/**
 * Cochran-Armitage trend chi-square, 1 df, no continuity correction, with
 * genotype scores t = 0, 1, 2 (ALT alleles carried; the statistic is the
 * same for any linear recoding, so REF-counting scores give the same value):
 *
 *   X2 = N [N sum(t r) - R sum(t n)]^2 / (R S [N sum(t^2 n) - (sum(t n))^2])
 *
 * r = case counts, n = case + control counts per genotype, R and S the case
 * and control totals, N = R + S (Armitage 1955; the variance uses N, not
 * N - 1). Equals R's `prop.trend.test(r, n, score = 0:2)` and PLINK's
 * `--model` TREND CHISQ/P. Every product is an exact integer below 2^53 for
 * any realistic cohort.
 *
 * null when there are no cases or no controls, or when every called sample
 * has the same genotype (the score variance is 0: R gives NA/NaN, PLINK
 * prints NA, also for a table of heterozygotes only).
 */
export function trendTest(g: GenotypeTable): ChiSquareResult | null {
  checkGenotypes(g);
  const { cases, controls } = g;
  const R = cases.homRef + cases.het + cases.homAlt;
  const S = controls.homRef + controls.het + controls.homAlt;
  if (R === 0 || S === 0) return null;
  const N = R + S;
  const het = cases.het + controls.het;
  const homAlt = cases.homAlt + controls.homAlt;
  const sumTr = cases.het + 2 * cases.homAlt;
  const sumTn = het + 2 * homAlt;
  const sumT2n = het + 4 * homAlt;
  const variance = N * sumT2n - sumTn * sumTn;
  if (variance === 0) return null;
  const num = N * sumTr - R * sumTn;
  const chisq = (N * num * num) / (R * S * variance);
  return { chisq, p: chiSquareUpperTail(chisq, 1) };
}

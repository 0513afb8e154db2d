/**
 * The allelic case-control tests on a 2x2 allele table, as PLINK 1.9
 * `--assoc --ci 0.95` computes them (CHISQ, P, OR, SE, L95, U95).
 */
import { chiSquareUpperTail, normalQuantile } from './distributions.js';
import { checkAlleles, type AlleleTable } from './tables.js';

export interface ChiSquareResult {
  readonly chisq: number;
  /** Upper tail of chi-square with 1 df. */
  readonly p: number;
}

/**
 * Pearson's chi-square on the 2x2 allele table, 1 df, WITHOUT continuity
 * correction: X2 = N (ad - bc)^2 / (R1 R2 C1 C2) with a = case ALT, b = case
 * REF, c = control ALT, d = control REF. Equals R's
 * `chisq.test(matrix(c(a, c, b, d), 2), correct = FALSE)` and PLINK `--assoc`
 * CHISQ/P. Why the closed form: ad - bc is exact in integers (R's sum of
 * (O - E)^2 / E loses digits when the table is near independence).
 *
 * null when a margin is 0 (no cases' or no controls' alleles, or a
 * monomorphic table): R gives NaN, PLINK prints NA.
 */
export function allelicChiSquare(t: AlleleTable): ChiSquareResult | null {
  checkAlleles(t);
  const { caseA1: a, caseA2: b, controlA1: c, controlA2: d } = t;
  const r1 = a + b;
  const r2 = c + d;
  const c1 = a + c;
  const c2 = b + d;
  if (r1 === 0 || r2 === 0 || c1 === 0 || c2 === 0) return null;
  const diff = a * d - b * c;
  const chisq = ((r1 + r2) * diff * diff) / (r1 * r2 * c1 * c2);
  return { chisq, p: chiSquareUpperTail(chisq, 1) };
}

export interface OddsRatioResult {
  /** Odds of ALT in cases over odds of ALT in controls: (a d) / (b c). */
  readonly or: number;
  /** Standard error of ln(OR), Woolf: sqrt(1/a + 1/b + 1/c + 1/d); Infinity when a or d is 0. */
  readonly se: number;
  /** exp(ln OR - z se): 0 when OR is 0. */
  readonly lower: number;
  /** exp(ln OR + z se): NaN when OR is 0 (PLINK prints `nan`). */
  readonly upper: number;
}

const Z_CACHE = new Map<number, number>();

/** Why: the two-sided normal quantile of the CI, computed once per confidence level (PLINK: ltqnorm(1 - (1 - ci) / 2)). */
function twoSidedZ(confidence: number): number {
  let z = Z_CACHE.get(confidence);
  if (z === undefined) {
    z = normalQuantile(1 - (1 - confidence) / 2);
    Z_CACHE.set(confidence, z);
  }
  return z;
}

/**
 * The allelic odds ratio of the ALT allele (A1) in cases versus controls,
 * OR = (a d) / (b c), with Woolf's confidence interval
 * exp(ln OR +- z sqrt(1/a + 1/b + 1/c + 1/d)) (Woolf 1955), z the two-sided
 * normal quantile of `confidence` (1.959964 for 0.95). This is PLINK 1.9's
 * `--assoc --ci 0.95` OR/SE/L95/U95 with `--keep-allele-order` (A1 = ALT);
 * without that flag PLINK's A1 is the minor allele and its OR may be our 1/OR.
 *
 * Zero cells, as PLINK prints them (checked by running plink1.9):
 * - b c = 0 (no case REF or no control ALT): PLINK prints NA for OR, SE, L95,
 *   U95; this returns null.
 * - a d = 0 with b c > 0: OR 0, SE Infinity, lower 0, upper NaN (PLINK: 0,
 *   inf, 0, nan).
 * No continuity correction (Haldane's +0.5) is applied, as in PLINK.
 */
export function oddsRatio(t: AlleleTable, confidence = 0.95): OddsRatioResult | null {
  checkAlleles(t);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('oddsRatio: confidence must be in (0, 1)');
  const { caseA1: a, caseA2: b, controlA1: c, controlA2: d } = t;
  if (b * c === 0) return null;
  const or = (a * d) / (b * c);
  const se = Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d);
  const z = twoSidedZ(confidence);
  const lnOr = Math.log(or);
  // With OR = 0: ln OR = -inf and se = inf, so the lower bound is exp(-inf) = 0 and the upper exp(-inf + inf) = NaN, exactly PLINK's "0 inf 0 nan".
  return { or, se, lower: Math.exp(lnOr - z * se), upper: Math.exp(lnOr + z * se) };
}

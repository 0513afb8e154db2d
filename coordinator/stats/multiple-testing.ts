/**
 * Summaries over many tests: the genomic inflation factor for a QQ-style
 * check, and Benjamini-Hochberg adjusted p-values (association now,
 * differential expression later).
 */

/** qchisq(0.5, 1) as R prints it with digits = 17: the median of a 1-df chi-square. */
export const CHI_SQUARE_1DF_MEDIAN = 0.45493642311957283;

/**
 * Genomic inflation lambda_GC = median(X2) / qchisq(0.5, 1) over 1-df
 * chi-square statistics (Devlin and Roeder 1999). null and NaN entries
 * (untestable variants) are skipped; null when none is left. No clamping:
 * PLINK's --adjust divides by 0.456 and floors lambda at 1; this does
 * neither, so a deflated scan shows lambda < 1.
 */
export function genomicInflation(chisq: Iterable<number | null>): number | null {
  const kept: number[] = [];
  for (const x of chisq) {
    if (x === null || Number.isNaN(x)) continue;
    if (x < 0) throw new RangeError('genomicInflation: chi-square statistics must be >= 0');
    kept.push(x);
  }
  if (kept.length === 0) return null;
  // A typed array sorts numerically without a comparator call per pair (a million statistics).
  const values = Float64Array.from(kept).sort();
  const mid = values.length >> 1;
  const median = values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  return median / CHI_SQUARE_1DF_MEDIAN;
}

/**
 * Benjamini-Hochberg adjusted p-values (step-up FDR, Benjamini and Hochberg
 * 1995), element for element equal to R's `p.adjust(p, method = "BH")`:
 * with the m non-missing p sorted ascending, q(i) = min over j >= i of
 * min(1, (m / j) p(j)), computed as R does ((m / j) * p, then a running
 * minimum from the largest), the same operations in the same order. null and NaN
 * entries stay null and do not count in m (R's default n for NA input).
 */
export function benjaminiHochberg(p: readonly (number | null)[]): (number | null)[] {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null || v === undefined || Number.isNaN(v)) continue;
    if (v < 0 || v > 1) throw new RangeError('benjaminiHochberg: p-values must be in [0, 1]');
    idx.push(i);
  }
  const out: (number | null)[] = new Array<number | null>(p.length).fill(null);
  const m = idx.length;
  idx.sort((i, j) => (p[i] as number) - (p[j] as number));
  let running = Number.POSITIVE_INFINITY;
  for (let rank = m; rank >= 1; rank--) {
    const i = idx[rank - 1]!;
    const q = (m / rank) * (p[i] as number);
    if (q < running) running = q;
    out[i] = Math.min(1, running);
  }
  return out;
}

/**
 * The public surface of coordinator/stats/ (see README.md): statistics the
 * coordinator computes from decrypted network totals. Pure functions, no I/O.
 */

// Count tables (A1 = ALT, cases then controls) and their validation.
export { alleleTableFromGenotypes, type AlleleTable, type GenotypeCounts, type GenotypeTable } from './tables.js';
// Allelic chi-square and Woolf odds ratio, as PLINK --assoc --ci 0.95.
export { allelicChiSquare, oddsRatio, type ChiSquareResult, type OddsRatioResult } from './allelic.js';
// The stable order of non-negative keys (rows sorted by p).
export { stableOrder } from './stable-order.js';
// Fisher's exact test, two-sided, as R fisher.test and PLINK --assoc fisher.
export { fisherExact } from './fisher.js';
// Cochran-Armitage trend, as R prop.trend.test and PLINK --model TREND.
export { trendTest } from './trend.js';
// Every case-control test of one variant from its genotype counts.
export { caseControlTests, type CaseControlResult } from './case-control.js';
// gnomAD's filtering allele frequency and group maxima.
export {
  faf95,
  filteringAlleleFrequency,
  poissonLowerBound,
  grpmax,
  fafMax,
  GNOMAD_EXCLUDED_STRATA,
  type FafMax,
  type FafMaxOptions,
  type GroupMaxOptions,
  type GrpMax,
  type Strata,
  type StratumCounts,
} from './faf.js';
// Genomic inflation and Benjamini-Hochberg.
export { genomicInflation, benjaminiHochberg, CHI_SQUARE_1DF_MEDIAN } from './multiple-testing.js';
// The distribution functions underneath (exported for tests and later statistics).
export { chiSquareUpperTail, normalUpperTail, normalQuantile, gammaQuantile, regularizedGammaP, regularizedGammaQ, logGamma } from './distributions.js';
// Linear models from network sums (n, X'X, X'y, y'y): R lm.fit / limma lmFit, and one coefficient's OLS test (summary(lm())).
export { prepareDesign, fitRowInto, fitRowUnclamped, fitFromSums, type DesignTotals, type PreparedDesign, type LinearModelSums, type RowFit } from './linear-model.js';
export { lmFitFromSums, type LinearModelFit } from './lm-fit.js';
export { olsCoefficientTest, type CoefficientTest } from './ols.js';
// limma's empirical Bayes: fitFDist, squeezeVar, eBayes (moderated t) and topTable.
export { fitFDist, type FDistFit } from './fit-f-dist.js';
export { squeezeVar, posteriorVariances, type SqueezedVariances } from './squeeze-var.js';
export { eBayes, topTable, type EBayesOptions, type ModeratedFit, type TopTableRow } from './moderated-t.js';
// The whole differential-expression table from exact sums, with gene names.
export { differentialExpressionTable, type DeRow, type DeSumsExact, type DeTable, type DeTableOptions } from './differential-expression.js';
// What they rest on: R's QR (dqrdc2), B-splines and natural splines (splines::ns), polygamma functions, Student's t tail.
export { qrDecompose, qrQty, qrLeastSquares, type QR } from './householder-qr.js';
export { splineDesign } from './b-spline.js';
export { naturalSpline, quantileType7, type NaturalSplineBasis, type NaturalSplineOptions } from './natural-spline.js';
export { digamma, trigamma, tetragamma, trigammaInverse } from './polygamma.js';
export { twoSidedTP } from './student-t.js';

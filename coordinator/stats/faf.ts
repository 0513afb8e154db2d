/**
 * gnomAD's filtering allele frequency (FAF) and the per-group maxima
 * (grpmax, faf95_max) over strata of network totals.
 *
 * Whiffin et al. 2017, Genet Med 19:1151, "Using high-resolution variant
 * frequencies to empower clinical genome interpretation"; gnomAD computes it
 * with Hail's `hl.experimental.filtering_allele_frequency(AC, AN, 0.95)`.
 */
import { gammaQuantile } from './distributions.js';

/**
 * The exact one-sided Poisson LOWER confidence bound on the allele
 * frequency: the AF at which P(X >= ac) = 1 - confidence for
 * X ~ Poisson(an * AF), i.e. qgamma(1 - confidence, shape = ac) / an
 * (Garwood 1936). For AF below it, seeing ac or more alleles has probability
 * under 1 - confidence; it is the largest AF still "incompatible" with the
 * observed count, which is why gnomAD filters on it: if even this AF is above
 * a disorder's maximum credible AF, the variant is too common to cause it.
 *
 * 0 when ac = 0; null when an = 0 (no frequency to bound). ac = 1 gives
 * -ln(confidence) / an (0.0513 / an at 95%).
 */
export function poissonLowerBound(ac: number, an: number, confidence = 0.95): number | null {
  checkCounts(ac, an, confidence);
  if (an === 0) return null;
  if (ac === 0) return 0;
  return gammaQuantile(1 - confidence, ac) / an;
}

/**
 * gnomAD's filtering allele frequency: `poissonLowerBound(ac, an,
 * confidence)`, except 0 when ac <= 1 or an = 0, as Hail has returned since
 * hail-is/hail#5047 ("FAF should not be calculated on singletons"), which
 * every gnomAD release from v2.1 uses.
 *
 * Hail finds the bound by root-finding on qpois (uniroot, tol 1e-7) and then
 * steps down a 1e-6 grid, so a published gnomAD value sits up to 1e-6 (in AF,
 * absolute) below this exact bound, never above it; at AN = 250,000 that is
 * up to 25% of a faf95 near 4e-6. Same definition, Hail's discretization.
 */
export function filteringAlleleFrequency(ac: number, an: number, confidence = 0.95): number {
  checkCounts(ac, an, confidence);
  if (ac <= 1 || an === 0) return 0;
  return lowerQuantile(confidence, ac) / an;
}

/**
 * qgamma(1 - confidence, ac), remembered per (confidence, ac): the bound
 * depends on AN only through the division, and a million-row answer has a
 * few hundred distinct AC values (the quantile was 5 s of a 1M-row answer).
 */
const quantiles = new Map<number, Map<number, number>>();
const QUANTILE_CACHE_MAX = 1 << 20;

function lowerQuantile(confidence: number, ac: number): number {
  let byAc = quantiles.get(confidence);
  if (!byAc) quantiles.set(confidence, (byAc = new Map()));
  let q = byAc.get(ac);
  if (q === undefined) {
    q = gammaQuantile(1 - confidence, ac);
    if (byAc.size >= QUANTILE_CACHE_MAX) byAc.clear();
    byAc.set(ac, q);
  }
  return q;
}

/** gnomAD's `faf95`. */
export function faf95(ac: number, an: number): number {
  return filteringAlleleFrequency(ac, an, 0.95);
}

/**
 * Groups gnomAD leaves out of grpmax and the FAF maxima: bottlenecked or
 * consanguineous groups (Amish, Ashkenazi Jewish, Finnish, Middle Eastern)
 * and the unassigned remainder (`oth` before v4, `remaining` since);
 * gnomad_methods' POPS_TO_REMOVE_FOR_POPMAX.
 */
export const GNOMAD_EXCLUDED_STRATA: readonly string[] = Object.freeze(['ami', 'asj', 'fin', 'mid', 'oth', 'remaining']);

export interface StratumCounts {
  readonly ac: number;
  readonly an: number;
}

/** Strata by name: a plain object or a Map, iterated in insertion order. */
export type Strata = Readonly<Record<string, StratumCounts>> | ReadonlyMap<string, StratumCounts>;

export interface GroupMaxOptions {
  /** Stratum names to skip, compared case-insensitively; default GNOMAD_EXCLUDED_STRATA. */
  readonly exclude?: readonly string[];
}

export interface GrpMax {
  readonly stratum: string;
  readonly ac: number;
  readonly an: number;
  readonly af: number;
}

/**
 * gnomAD's `grpmax` (`popmax` before v4): the stratum with the highest
 * AF = ac / an among those not excluded and with AC > 0 (gnomad_methods
 * pop_max_expr filters `AC > 0`; that also drops AN = 0). null when no
 * stratum qualifies (gnomAD: missing). Ties go to the first stratum in
 * iteration order.
 */
export function grpmax(strata: Strata, options: GroupMaxOptions = {}): GrpMax | null {
  const excluded = excludedSet(options.exclude);
  let best: GrpMax | null = null;
  for (const [stratum, { ac, an }] of entries(strata)) {
    checkCounts(ac, an, 0.95);
    if (excluded.has(stratum.toLowerCase()) || ac === 0) continue;
    const af = ac / an;
    if (best === null || af > best.af) best = { stratum, ac, an, af };
  }
  return best;
}

export interface FafMaxOptions extends GroupMaxOptions {
  /** Default 0.95 (`faf95_max`); gnomAD also publishes 0.99. */
  readonly confidence?: number;
}

export interface FafMax {
  readonly stratum: string;
  readonly faf: number;
}

/**
 * gnomAD's `fafmax.faf95_max` and its group: the highest filtering allele
 * frequency among the strata not excluded. Strata with FAF 0 (AC <= 1,
 * AN = 0) never win, and null is returned when none is above 0
 * (gnomad_methods gen_anc_faf_max_expr: `or_missing(faf > 0)`). Ties go to
 * the first stratum in iteration order.
 */
export function fafMax(strata: Strata, options: FafMaxOptions = {}): FafMax | null {
  const excluded = excludedSet(options.exclude);
  const confidence = options.confidence ?? 0.95;
  let best: FafMax | null = null;
  for (const [stratum, { ac, an }] of entries(strata)) {
    if (excluded.has(stratum.toLowerCase())) continue;
    const faf = filteringAlleleFrequency(ac, an, confidence);
    if (faf > 0 && (best === null || faf > best.faf)) best = { stratum, faf };
  }
  return best;
}

function entries(strata: Strata): Iterable<[string, StratumCounts]> {
  return strata instanceof Map ? (strata as ReadonlyMap<string, StratumCounts>).entries() : Object.entries(strata as Readonly<Record<string, StratumCounts>>);
}

function excludedSet(exclude: readonly string[] | undefined): Set<string> {
  return new Set((exclude ?? GNOMAD_EXCLUDED_STRATA).map((s) => s.toLowerCase()));
}

function checkCounts(ac: number, an: number, confidence: number): void {
  if (!Number.isSafeInteger(ac) || !Number.isSafeInteger(an) || ac < 0 || ac > an) {
    throw new RangeError('allele counts: ac and an must be integers with 0 <= ac <= an');
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be in (0, 1)');
}

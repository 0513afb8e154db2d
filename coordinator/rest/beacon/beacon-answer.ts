/**
 * A g_variants question answered from encrypted network totals:
 *
 * - exists: some individual of the cohort (the filters; all samples
 *   without) carries an alternate allele of a matching variant, read from
 *   the allele-frequency answer over the query's region (an AC released as
 *   a number > 0, or withheld as "<k" / ">n", which the policy only does
 *   for AC >= 1). A variant whose row is withheld whole (fewer than k
 *   called individuals) proves nothing. With DP on the AC is noisy, so
 *   for a small true AC `exists` can be wrong either way (a variant no
 *   site holds has no row and stays absent).
 * - count (numTotalResults): the number of individuals of the cohort who
 *   carry at least one alternate allele of a matching variant: the
 *   `cohort-count` kind with `carriersOf` those variants, so the nodes
 *   verify the carrier set's network size before anything is summed.
 *
 * Disclosure control, in Beacon v2 terms (beacon-v2 PRs #220 / #223):
 * a count the nodes or the coordinator withhold (1..k-1 carriers) is
 * released as `numTotalResults: k`, `countAdjustedTo: ["<k"]`,
 * `countPrecision: "imprecise"`; a count carrying DP noise is
 * `imprecise`; only a noiseless count of 0 or >= k is `exact`. `rounded`
 * is never produced: the consortium policy rounds allele counts, never
 * cohort counts.
 */
import type { AlleleFrequencyRow, DisclosureSummary, Federation, NoiseScale, ReleasedCount, SiteOutcome, VariantRef } from '../../federation/types.js';
import { CoordinatorError } from '../../errors.js';
import { matchesQuery, regionOf, type VariantQuery } from './beacon-query.js';

/** A Beacon count as beacon-v2 PRs #220/#223 define it. */
export interface BeaconCount {
  readonly numTotalResults: number;
  /** exact: the true total; imprecise: withheld or noisy; rounded: rounded (never produced here). */
  readonly countPrecision: 'exact' | 'imprecise' | 'rounded';
  /** What a withheld count was adjusted to, as PR #220's string form (`<5`). */
  readonly countAdjustedTo?: readonly (string | number)[];
}

export interface VariantAnswer {
  readonly queryId: string;
  readonly sites: SiteOutcome;
  readonly exists: boolean;
  /** Only when a count was asked (and allowed). */
  readonly count?: BeaconCount;
  /** Matching variant records in the network (with count only: a count, not for public answers). */
  readonly variantsMatched: number;
  /** Matching records whose row disclosure control withheld whole (existence unknown). */
  readonly variantsWithheld: number;
  /**
   * DP noise on the number the answer rests on: the carrier count's when a
   * count was computed (cohort-count: one count, its own Skellam mu), else
   * the allele counts' that `exists` was read from (many counts, a larger mu).
   */
  readonly noise: NoiseScale | null;
  /** DP on: the epsilon the querier has left after the last federation query of this answer (null with DP off). */
  readonly remainingEpsilon: number | null;
  readonly policy: DisclosureSummary['policy'] | null;
  /** Disclosure rules that fired on the answers this one was computed from (names only). */
  readonly rules: readonly string[];
}

/** true: carried in the cohort; false: AC is 0; undefined: the row was withheld whole. */
function carried(row: AlleleFrequencyRow): boolean | undefined {
  if (typeof row.an !== 'number') return undefined;
  if (typeof row.ac === 'number') return row.ac > 0;
  return true;
}

/** The nodes refused the query because a verified population had 1..k-1 people (node-client names the node's code). */
export function isSmallPopulationRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === 'GENOFED_SITE_FAILED' && typeof e.message === 'string' && /refused with GENOFED_COHORT_TOO_SMALL$/.test(e.message);
}

/** Why: one mapping from a released genofed count to Beacon's count fields (also used by the tests' expectations). */
export function beaconCount(released: ReleasedCount, k: number, noisy: boolean): BeaconCount {
  if (typeof released === 'number') return { numTotalResults: Math.max(0, Math.round(released)), countPrecision: noisy ? 'imprecise' : 'exact' };
  return { numTotalResults: k, countPrecision: 'imprecise', countAdjustedTo: [`<${k}`] };
}

export interface AnswerOptions {
  readonly querier: string;
  readonly variant: VariantQuery;
  readonly cohort: string | undefined;
  readonly count: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Why: the route stays a converter; this is the one place that turns a
 * Beacon variant question into federation queries (one allele-frequency
 * query, plus one carrier count for count granularity).
 */
export async function answerVariantQuery(federation: Federation, o: AnswerOptions): Promise<VariantAnswer> {
  let af;
  try {
    af = await federation.alleleFrequency({ querier: o.querier, region: regionOf(o.variant), ...(o.cohort !== undefined ? { cohort: o.cohort } : {}) }, o.signal);
  } catch (err) {
    if (isSmallPopulationRefusal(err)) {
      throw new CoordinatorError('GENOFED_BAD_REQUEST', 'the filters select fewer than k individuals network-wide (verified by the nodes); nothing is answered', { cause: err });
    }
    throw err;
  }
  const rows = af.rows.filter((r) => matchesQuery(o.variant, r));
  const states = rows.map(carried);
  const exists = states.some((s) => s === true);
  const policy = af.disclosure?.policy ?? null;
  const k = policy?.k ?? 5;
  const noise = af.noise ?? null;
  const rules = new Set((af.disclosure?.rules ?? []).map((r) => r.rule));
  const base = {
    queryId: af.queryId, sites: af.sites, exists, variantsMatched: rows.length,
    variantsWithheld: states.filter((s) => s === undefined).length, noise, remainingEpsilon: af.remainingEpsilon ?? null, policy,
  };
  if (!o.count) return { ...base, rules: [...rules] };

  // Carriers of any matching variant not known to be absent from the cohort (AC 0 adds nobody).
  const carriersOf: VariantRef[] = rows.filter((_r, i) => states[i] !== false).map((r) => ({ chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt }));
  if (carriersOf.length === 0) return { ...base, rules: [...rules], count: beaconCount(0, k, noise !== null) };
  try {
    const c = await federation.cohortCount({ querier: o.querier, cohort: o.cohort ?? '', carriersOf }, o.signal);
    for (const r of c.disclosure?.rules ?? []) rules.add(r.rule);
    const countNoise = c.noise ?? noise;
    return { ...base, queryId: c.queryId, noise: countNoise, remainingEpsilon: c.remainingEpsilon ?? base.remainingEpsilon, rules: [...rules], count: beaconCount(c.count, k, countNoise !== null) };
  } catch (err) {
    // The cohort passed the same check in the allele-frequency query: the carriers are 1..k-1.
    if (!isSmallPopulationRefusal(err)) throw err;
    rules.add('cohort-below-k');
    return { ...base, rules: [...rules], count: beaconCount(`<${k}`, k, noise !== null) };
  }
}

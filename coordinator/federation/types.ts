import type { DifferentialExpressionAnswer, DifferentialExpressionRequest } from './expression.js';
import type { EqtlAnswer, EqtlRequest } from './eqtl.js';
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import type { CoordinatorKind } from '../kinds/kind.js';

/**
 * The contract between the federation engine (gRPC fan-out, homomorphic
 * aggregation, decryption of network totals) and its front ends (REST API,
 * researcher CLI, demo). Front ends depend on this interface only.
 */

export interface VariantRef {
  readonly chrom: string;
  readonly pos: number;
  readonly ref: string;
  readonly alt: string;
}

/** A variant named by dbSNP rs id: the sites resolve it to every ALT allele of their records carrying it. */
export interface RsIdRef {
  readonly rsId: string;
}

/** An item of a researcher's list: a key, or an rs id. */
export type VariantItemRef = VariantRef | RsIdRef;

export function isRsIdRef(v: VariantItemRef): v is RsIdRef {
  return 'rsId' in v;
}

export interface AlleleFrequencyRequest {
  /** `CHR:START-END` (1-based, inclusive). Exactly one of region / variants. */
  readonly region?: string;
  /** Keys and rs ids, in the order the rows should come (an rs id: its keys, sorted). */
  readonly variants?: readonly VariantItemRef[];
  /** Cohort expression over the roster's phenotype schema (proto/cohort grammar). */
  readonly cohort?: string;
  /** Stratification columns of the schema (at most 3): one block of rows per cell, after the all-sample rows. */
  readonly by?: readonly string[];
  /**
   * With `by`: groups of the first column left out of `grpmax` and
   * `faf95_max` (values of that column, case-insensitive). Default gnomAD's
   * list (ami, asj, fin, mid, oth, remaining; coordinator/stats).
   */
  readonly grpmaxExclude?: readonly string[];
  /** Who asks (bearer-token identity), for the nodes' logs and budgets. */
  readonly querier: string;
}

/**
 * A released count: the network total, or a bound such as "<5" / ">1995"
 * when disclosure control withholds it (coordinator/disclosure).
 */
export type ReleasedCount = number | string;

export interface AlleleFrequencyRow extends VariantRef {
  /** With strata: the row's value of each stratification column (`all` on the all-sample rows). */
  readonly strata?: Readonly<Record<string, string>>;
  readonly ac: ReleasedCount;
  readonly an: ReleasedCount;
  /** ac / an from the released values; null when an is 0 or ac/an is withheld. */
  readonly af: number | null;
  readonly nhomalt: ReleasedCount;
  /** gnomAD's filtering allele frequency (95% Poisson lower bound; 0 for ac <= 1) from the released ac/an; null when either is withheld or an is 0. */
  readonly faf95: number | null;
  /**
   * Whether any site holds the record: false for a listed variant no site
   * observed (its AN 0 is not missing data), always true over a region;
   * null when DP noise blurs the count of sites holding it.
   */
  readonly exists?: boolean | null;
}

/** gnomAD's per-variant maxima over the groups of the first stratification column (from released values only). */
export interface GroupMaximaRow extends VariantRef {
  /** The group with the highest AF among those released, not excluded and with ac > 0; null when none. */
  readonly grpmax: { readonly group: string; readonly ac: number; readonly an: number; readonly af: number; readonly nhomalt: number | null } | null;
  /** The group with the highest faf95 (> 0) among those released and not excluded; null when none. */
  readonly faf95_max: { readonly group: string; readonly faf95: number } | null;
}

export interface GroupMaxima {
  /** The stratification column whose values are the groups (the first of `by`). */
  readonly column: string;
  /** The groups left out, as given (or gnomAD's default list). */
  readonly exclude: readonly string[];
  /** One per variant, in the order of the all-sample rows. */
  readonly rows: readonly GroupMaximaRow[];
}

/** What disclosure control did to an answer (rule names and row counts, never a value). */
export interface DisclosureSummary {
  readonly policy: { readonly k: number; readonly smallCounts: 'suppress' | 'round'; readonly roundTo: number };
  readonly rowsAffected: number;
  readonly rules: readonly { readonly rule: string; readonly action: 'suppressed' | 'rounded' | 'clamped'; readonly rows: number; readonly reason: string; readonly strata?: readonly string[] }[];
}

/** The DP noise every released total carries: Skellam(mu, mu), sd = sqrt(2 mu). */
export interface NoiseScale {
  readonly mu: number;
  readonly sd: number;
}

export interface SiteOutcome {
  /** Sites whose answers are in the sum. */
  readonly responding: readonly string[];
  /**
   * Always empty: every roster member must answer or the query fails
   * naming the site (issue 9: a total over a subset, next to one over the
   * whole roster, would give a site's counts away). Kept for API stability.
   */
  readonly missing: readonly { readonly site: string; readonly reason: string }[];
}

export interface AlleleFrequencyAnswer {
  readonly queryId: string;
  readonly rows: readonly AlleleFrequencyRow[];
  /** With `by`: grpmax and faf95_max per variant; null without strata. */
  readonly groupMaxima?: GroupMaxima | null;
  readonly sites: SiteOutcome;
  /** What was withheld and why (absent only from front ends' fakes). */
  readonly disclosure?: DisclosureSummary;
  /** DP noise on every count, or null when the consortium runs without DP. */
  readonly noise?: NoiseScale | null;
  /** DP on: the epsilon the querier has left (see QueryOutcome); null or absent otherwise. */
  readonly remainingEpsilon?: number | null;
  /** rs ids of the request that no site holds (no rows). */
  readonly unresolved?: readonly string[];
}

export interface CohortCountRequest {
  readonly cohort: string;
  /** Count only patients carrying at least one ALT allele of any of these. */
  readonly carriersOf?: readonly VariantRef[];
  readonly querier: string;
}

export interface CohortCountAnswer {
  readonly queryId: string;
  readonly count: ReleasedCount;
  readonly sites: SiteOutcome;
  readonly disclosure?: DisclosureSummary;
  readonly noise?: NoiseScale | null;
  readonly remainingEpsilon?: number | null;
}

export interface SiteStatus {
  readonly site: string;
  readonly healthy: boolean;
  readonly detail?: string;
}

/** What the engine adds to every kind's answer. */
export interface QueryOutcome {
  readonly queryId: string;
  readonly sites: SiteOutcome;
  /** DP noise on every count, or null when the consortium runs without DP. */
  readonly noise: NoiseScale | null;
  /**
   * DP on: the epsilon this querier (its bearer-token identity, through
   * this coordinator) has left after this query: the smallest of the
   * remainders the sites signed into their answer headers, since the
   * network answers only while every site has budget. Null with DP off,
   * and when no site was asked for counts (nothing was spent).
   */
  readonly remainingEpsilon: number | null;
  /** rs ids of the request that no site holds (no rows); absent when none were asked or all were found. */
  readonly unresolved?: readonly string[];
}

/** Where a streamed answer's rows go as they are released (FederationEngine.stream). */
export interface RowSink<Row> {
  /** Once, before any row: every site's signed header passed the checks (the sites and noise are final). */
  start(info: { readonly queryId: string; readonly sites: SiteOutcome; readonly noise: NoiseScale | null; readonly remainingEpsilon: number | null }): void;
  /** A piece of rows, in answer order. */
  rows(rows: readonly Row[]): void;
}

export interface Federation {
  /** The roster's phenotype schema: what cohort expressions and strata may use. */
  phenotypeSchema(): PhenotypeSchema;
  /** Any query kind (coordinator/kinds/): what new kinds' routes call. */
  run<Req extends { readonly querier: string }, Body extends { readonly disclosure: DisclosureSummary }>(kind: CoordinatorKind<Req, Body>, req: Req, signal?: AbortSignal): Promise<Body & QueryOutcome>;
  alleleFrequency(request: AlleleFrequencyRequest, signal?: AbortSignal): Promise<AlleleFrequencyAnswer>;
  /**
   * The same answer as alleleFrequency, its rows released to `sink` as the
   * sites' chunks complete (issue 11); resolves with the rest of the answer
   * after the last row. A rejection after `sink.start` means the rows
   * released so far are not the whole answer.
   */
  alleleFrequencyStream(request: AlleleFrequencyRequest, sink: RowSink<AlleleFrequencyRow>, signal?: AbortSignal): Promise<Omit<AlleleFrequencyAnswer, 'rows'>>;
  cohortCount(request: CohortCountRequest, signal?: AbortSignal): Promise<CohortCountAnswer>;
  /** Differential expression (issue 12): three rounds, coordinator/federation/expression.ts. */
  differentialExpression(request: DifferentialExpressionRequest, signal?: AbortSignal): Promise<DifferentialExpressionAnswer>;
  /** Expression by genotype (issue 12): three rounds, coordinator/federation/eqtl.ts. */
  eqtl(request: EqtlRequest, signal?: AbortSignal): Promise<EqtlAnswer>;
  status(): Promise<readonly SiteStatus[]>;
  close(): Promise<void>;
}

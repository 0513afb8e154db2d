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

export interface SitePolicy {
  /**
   * Minimum number of sites that must answer. Unset: every configured site
   * must answer, or the query fails naming the site (never a silent partial
   * sum). Set: the answer lists the sites that did not answer.
   */
  readonly minSites?: number;
}

export interface AlleleFrequencyRequest extends SitePolicy {
  /** `CHR:START-END` (1-based, inclusive). Exactly one of region / variants. */
  readonly region?: string;
  readonly variants?: readonly VariantRef[];
  /** Cohort expression over phenotype columns (proto/cohort grammar). */
  readonly cohort?: string;
  /** Who asks (bearer-token identity), for the nodes' logs and budgets. */
  readonly querier: string;
}

/**
 * A released count: the network total, or a bound such as "<5" / ">1995"
 * when disclosure control withholds it (coordinator/disclosure).
 */
export type ReleasedCount = number | string;

export interface AlleleFrequencyRow extends VariantRef {
  readonly ac: ReleasedCount;
  readonly an: ReleasedCount;
  /** ac / an from the released values; null when an is 0 or ac/an is withheld. */
  readonly af: number | null;
  readonly nhomalt: ReleasedCount;
}

/** What disclosure control did to an answer (rule names and row counts, never a value). */
export interface DisclosureSummary {
  readonly policy: { readonly k: number; readonly smallCounts: 'suppress' | 'round'; readonly roundTo: number };
  readonly rowsAffected: number;
  readonly rules: readonly { readonly rule: string; readonly action: 'suppressed' | 'rounded' | 'clamped'; readonly rows: number; readonly reason: string }[];
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
   * Sites left out (only possible under an explicit minSites policy). A site
   * that dropped out of phase 2 is listed with "phase 2 restarted without
   * it": its masks make a partial sum meaningless, so the round was rerun
   * under a new query id with the remaining sites.
   */
  readonly missing: readonly { readonly site: string; readonly reason: string }[];
}

export interface AlleleFrequencyAnswer {
  readonly queryId: string;
  readonly rows: readonly AlleleFrequencyRow[];
  readonly sites: SiteOutcome;
  /** What was withheld and why (absent only from front ends' fakes). */
  readonly disclosure?: DisclosureSummary;
  /** DP noise on every count, or null when the consortium runs without DP. */
  readonly noise?: NoiseScale | null;
}

export interface CohortCountRequest extends SitePolicy {
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
}

export interface SiteStatus {
  readonly site: string;
  readonly healthy: boolean;
  readonly detail?: string;
}

export interface Federation {
  alleleFrequency(request: AlleleFrequencyRequest, signal?: AbortSignal): Promise<AlleleFrequencyAnswer>;
  cohortCount(request: CohortCountRequest, signal?: AbortSignal): Promise<CohortCountAnswer>;
  status(): Promise<readonly SiteStatus[]>;
  close(): Promise<void>;
}

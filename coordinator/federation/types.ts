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

export interface AlleleFrequencyRow extends VariantRef {
  readonly ac: number;
  readonly an: number;
  /** ac / an, or null when an is 0. */
  readonly af: number | null;
  readonly nhomalt: number;
}

export interface SiteOutcome {
  /** Sites whose answers are in the sum. */
  readonly responding: readonly string[];
  /** Sites left out (only possible under an explicit minSites policy). */
  readonly missing: readonly { readonly site: string; readonly reason: string }[];
}

export interface AlleleFrequencyAnswer {
  readonly queryId: string;
  readonly rows: readonly AlleleFrequencyRow[];
  readonly sites: SiteOutcome;
}

export interface CohortCountRequest extends SitePolicy {
  readonly cohort: string;
  /** Count only patients carrying at least one ALT allele of any of these. */
  readonly carriersOf?: readonly VariantRef[];
  readonly querier: string;
}

export interface CohortCountAnswer {
  readonly queryId: string;
  readonly count: number;
  readonly sites: SiteOutcome;
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

/**
 * What the node service needs from the store and from crypto/, as narrow
 * interfaces: the gRPC service is tested against the real implementations,
 * but depends only on these shapes (node/store/README.md, crypto/README.md).
 */
import type { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import type { Region } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';

export interface QueryLogEntry {
  readonly queryId: string;
  readonly kind: string;
  readonly querier: string;
  readonly decision: 'answered' | 'refused';
  readonly reason?: string;
  readonly at: Date;
  readonly details?: object;
}

export interface ServedStore {
  summary(): Promise<{ samples: number; variants: number; contigs: string[]; assembly: string | null }>;
  /** What summary() says without counting records (samples, contigs, assembly): Info and every counted query ask for it. */
  describe(): Promise<{ samples: number; contigs: string[]; assembly: string | null }>;
  /** Per ALT allele: AC, AN, nhomalt and the genotype classes (node/store/README.md: homRef, het, homAlt, missing). */
  alleleCounts(q: { region?: Region; regions?: readonly Region[]; variants?: VariantKey[]; cohort?: string; by?: readonly string[]; groups?: readonly string[] }): Promise<readonly { stratum?: string; chrom: string; pos: number; ref: string; alt: string; ac: number; an: number; nhomalt: number; homRef: number; het: number; homAlt: number; missing: number; present?: boolean }[]>;
  /** Region (or whole-store) counts to `each` as found, none kept: 7 counters (ac an nhomalt homRef het homAlt missing) per stratum of `strata` (strata columns' cells, or disjoint `groups` '0', '1', ...); `counts` is valid during the call only (reused for the next row). */
  alleleCountsEach(q: { regions?: readonly Region[]; cohort?: string; by?: readonly string[]; groups?: readonly string[] }, each: (chrom: string, pos: number, ref: string, alt: string, counts: Int32Array, strata: readonly string[]) => void): Promise<void>;
  cohortCount(cohort: string, options?: { carriersOf?: VariantKey[] }): Promise<number>;
  variantKeys(region: Region | readonly Region[]): Promise<VariantKey[]>;
  /** The same keys of a region list as packed lines, as the phase-1 listing sends them. */
  variantKeyList(regions: readonly Region[]): Promise<PackedKeyList>;
  /** dbSNP rs id -> the keys (every ALT allele) of the records carrying it; ids the store lacks are absent. */
  resolveRsIds(ids: readonly string[]): Promise<Map<string, VariantKey[]>>;
  appendQueryLog(entry: QueryLogEntry): Promise<void>;
  hasQueryId(id: string): Promise<boolean>;
  /** Sorted stable sample indices of a cohort (undefined = every genotyped sample), or one set per stratum with `by`: the size round's and differencing guard's input. */
  cohortMembers(cohort?: string, options?: { by?: readonly string[] }): Promise<Uint32Array | Map<string, Uint32Array>>;
  /** Sorted sample indices of the cohort's carriers of any of the variants. */
  carrierMembers(cohort: string, carriersOf: VariantKey[]): Promise<Uint32Array>;
  /** ALT dosages of the variants for the samples (sorted indices): variants x samples, row-major, -1 not called. */
  dosages?(variants: readonly VariantKey[], samples: Uint32Array): Promise<Int8Array>;
  /** The expression matrix (issue 12); absent or null: this site holds none. */
  expression?(): Promise<ServedExpression | null>;
  /** Fingerprint of the phenotype schema the phenotypes were ingested under (null: none). */
  phenotypeSchemaFingerprint?(): string | null;
  close(): Promise<void>;
}

/** What the expression kinds read (node/store/README.md, "Expression"). */
export interface ServedExpression {
  readonly values: 'counts' | 'log';
  /** The matrix's gene ids, sorted (code-point order). */
  genes(): Promise<string[]>;
  /** Sorted sample indices of the samples with expression values matching the cohort; with `by`, one set per stratum cell (label as proto strataCells). */
  members(cohort: string, options?: { by?: readonly string[] }): Promise<Uint32Array | Map<string, Uint32Array>>;
  /** Library sizes (column sums of the counts over every gene) of the samples, in their order. */
  libSizes(samples: Uint32Array): Promise<Float64Array>;
  /**
   * Exact quantized sums over `samples` (sorted) with `design` (samples x p,
   * row-major, real values): n, X'X (p x p), per gene of `genes` X'y and y'y;
   * y is log-CPM with `meanLibSize` (counts) or the value (log), clipped
   * to [-clip, clip] when `clip` > 0 (DP: proto/expression-dp.ts).
   */
  sums(q: { samples: Uint32Array; design: Float64Array; p: number; genes: readonly string[]; meanLibSize: number; clip: number }): Promise<{ n: number; xtx: bigint[]; xty: bigint[]; yty: bigint[] }>;
  /** One gene's quantized y (scale 2^24; clipped to [-clip, clip] when clip > 0) for the samples, in their order; null when the matrix lacks the gene. */
  geneValues(gene: string, samples: Uint32Array, meanLibSize: number, clip: number): Promise<Float64Array | null>;
}

/** Encrypts a count vector under the coordinator's BFV public key, one ciphertext at a time. */
export interface CountEncryptor {
  readonly fingerprint: string;
  readonly preset: string;
  readonly slotCount: number;
  readonly plainModulus: bigint;
  /** `mask(c)`: slotCount values added mod t to chunk c (pairwise mask + noise share; node/privacy/). */
  encryptVector(values: Uint32Array, options: { bound: number; parties: number; mask?: (chunkIndex: number) => Uint32Array }): Iterable<Uint8Array>;
}

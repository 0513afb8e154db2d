/**
 * What the node service needs from the store and from crypto/, as narrow
 * interfaces: the gRPC service is tested against the real implementations,
 * but depends only on these shapes (node/store/README.md, crypto/README.md).
 */
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
  alleleCounts(q: { region?: Region; variants?: VariantKey[]; cohort?: string }): Promise<readonly { chrom: string; pos: number; ref: string; alt: string; ac: number; an: number; nhomalt: number }[]>;
  cohortCount(cohort: string, options?: { carriersOf?: VariantKey[] }): Promise<number>;
  variantKeys(region: Region): Promise<VariantKey[]>;
  appendQueryLog(entry: QueryLogEntry): Promise<void>;
  hasQueryId(id: string): Promise<boolean>;
  /** Sorted stable sample indices of a cohort (undefined = every genotyped sample): the differencing guard's input. */
  cohortMembers(cohort?: string): Promise<Uint32Array | Map<string, Uint32Array>>;
  close(): Promise<void>;
}

/** Encrypts a count vector under the coordinator's BFV public key, one ciphertext at a time. */
export interface CountEncryptor {
  readonly fingerprint: string;
  readonly preset: string;
  readonly slotCount: number;
  /** `mask(c)`: slotCount values added mod t to chunk c (pairwise mask + noise share; node/privacy/). */
  encryptVector(values: Uint32Array, options: { bound: number; parties: number; mask?: (chunkIndex: number) => Uint32Array }): Iterable<Uint8Array>;
}

/**
 * The audit entry: what the node records for every query it answered or
 * refused, and how an entry is hashed into the chain. Shared by the writer
 * (`audit-log.ts`) and the verifier (`verify.ts`) so both hash the same
 * bytes.
 *
 * Privacy: parameters are the querier's own text (region, cohort
 * expression, strata) and counts + digests of variant lists; never sample
 * ids, genotypes or file paths. `reason` is a stable error code.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, type CanonicalValue } from '../../proto/canonical-json.js';

/** prevHash of entry 1. */
export const GENESIS_HASH = '0'.repeat(64);

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const paramValue = z.union([z.string(), z.number().finite(), z.array(z.string())]);

export const auditEntrySchema = z.strictObject({
  seq: z.number().int().min(1),
  at: z.string().min(1),
  queryId: z.string(),
  querier: z.strictObject({ coordinator: z.string(), researcher: z.string() }),
  kind: z.string().min(1),
  parameters: z.record(z.string(), paramValue),
  participants: z.array(z.string()),
  epsilonSpent: z.number().finite().min(0),
  decision: z.enum(['answered', 'refused', 'recovered']),
  reason: z.string().optional(),
  prevHash: hex64,
  hash: hex64,
});

/** One line of `audit.log`. */
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** What a caller records; the log adds seq, at (unless given), prevHash and hash. */
export interface AuditRecord {
  readonly queryId: string;
  readonly querier: { readonly coordinator: string; readonly researcher: string };
  readonly kind: string;
  readonly parameters: Readonly<Record<string, string | number | readonly string[]>>;
  readonly participants: readonly string[];
  /** Epsilon debited for this query (0 without DP, and for refusals). */
  readonly epsilonSpent: number;
  readonly decision: 'answered' | 'refused';
  /** A stable GENOFED_* code for refusals. */
  readonly reason?: string;
  readonly at?: Date;
}

/** SHA-256 (hex) of the canonical JSON of the entry without its `hash`. */
export function entryHash(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _ignored, ...rest } = entry as AuditEntry;
  return createHash('sha256').update(canonicalJson(rest as unknown as CanonicalValue)).digest('hex');
}

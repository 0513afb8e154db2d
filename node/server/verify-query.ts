/**
 * The node's checks on a signed query, in the order that leaks least and
 * costs least: signature over the exact bytes (before decoding anything),
 * then envelope version, coordinator id, participant set, time window,
 * crypto fingerprint, kind, and finally the replay check against the
 * store's query log (plus queries in flight in this process).
 */
import type { KeyObject } from 'node:crypto';
import { decodeEnvelope, verifyEnvelopeSignature } from '../../proto/convert/envelope.js';
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { PROTOCOL_VERSION, layoutFor, type QueryEnvelope, type QueryKind, type SignedQueryBytes } from '../../proto/query.js';
import { NodeError } from '../errors.js';

export interface QueryPolicy {
  readonly siteId: string;
  /** From the roster: the coordinator whose envelopes this node answers. */
  readonly coordinatorId: string;
  readonly signingPublicKey: KeyObject;
  /** The roster: the only participant set this node answers under, and its fingerprint. */
  readonly roster: { readonly fingerprint: string; readonly siteIds: readonly string[]; readonly schema: PhenotypeSchema };
  readonly cryptoFingerprint: string;
  readonly clockSkewMs: number;
  readonly maxLifetimeMs: number;
  readonly maxVariants: number;
  /** Only the benchmark constructs a node that accepts plaintext answers. */
  readonly allowMeasurementPlaintext: boolean;
}

/**
 * Verify and decode a signed query, then apply the policy checks; throws
 * NodeError with the refusal reason.
 */
export function verifySignedQuery(q: SignedQueryBytes, expected: readonly QueryKind[], policy: QueryPolicy, now = Date.now()): QueryEnvelope {
  const e = authenticateQuery(q, policy);
  checkEnvelope(e, expected, policy, now);
  return e;
}

/**
 * Signature over the exact bytes, then decoding: the only steps before an
 * envelope counts as the coordinator's. Refusals here have no trustworthy
 * query id to log against.
 */
export function authenticateQuery(q: SignedQueryBytes, policy: Pick<QueryPolicy, 'signingPublicKey'>): QueryEnvelope {
  if (!verifyEnvelopeSignature(q, policy.signingPublicKey)) {
    throw new NodeError('GENOFED_QUERY_SIGNATURE', 'query refused: missing or invalid coordinator signature');
  }
  try {
    return decodeEnvelope(q.envelope);
  } catch (cause) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: envelope does not decode', { cause });
  }
}

/** Policy checks on an authenticated envelope (their refusals are logged under its query id). */
export function checkEnvelope(e: QueryEnvelope, expected: readonly QueryKind[], policy: QueryPolicy, now = Date.now()): void {
  if (e.version !== PROTOCOL_VERSION) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: envelope version ${e.version}, this node speaks ${PROTOCOL_VERSION}`);
  if (!/^[0-9a-f-]{16,64}$/i.test(e.queryId)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: query id is not a UUID');
  if (e.coordinatorId !== policy.coordinatorId) throw new NodeError('GENOFED_ROSTER_MISMATCH', 'query refused: issued by a coordinator id other than the roster\'s');
  if (e.rosterFingerprint !== policy.roster.fingerprint) throw new NodeError('GENOFED_ROSTER_MISMATCH', 'query refused: the envelope names a roster other than this node\'s current one');
  // The participant set is the roster, every member, never a subset: with
  // two sets the key holder solves each site's counts from the totals.
  const want = policy.roster.siteIds;
  if (e.participants.length !== want.length || e.participants.some((p, i) => p !== want[i])) {
    const outside = e.participants.filter((p) => !want.includes(p)).length;
    const missing = want.filter((p) => !e.participants.includes(p)).length;
    throw new NodeError('GENOFED_ROSTER_MISMATCH', `query refused: the participant set is not this node's roster (${missing} member(s) missing, ${outside} name(s) outside it${new Set(e.participants).size !== e.participants.length ? ', duplicates' : ''})`);
  }
  if (e.expiresAtMs <= now - policy.clockSkewMs) throw new NodeError('GENOFED_QUERY_EXPIRED', 'query refused: expired');
  if (e.issuedAtMs > now + policy.clockSkewMs) throw new NodeError('GENOFED_QUERY_EXPIRED', 'query refused: issued in the future');
  if (e.expiresAtMs - e.issuedAtMs > policy.maxLifetimeMs || e.expiresAtMs < e.issuedAtMs) {
    throw new NodeError('GENOFED_QUERY_EXPIRED', 'query refused: lifetime longer than this node allows');
  }
  if (!expected.includes(e.params.kind)) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: kind ${e.params.kind} not valid on this call`);
  if (e.params.kind !== 'variant-keys' && e.cryptoFingerprint !== policy.cryptoFingerprint) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: BFV parameter fingerprint differs from this node\'s');
  }
  if (e.measurementPlaintext && !policy.allowMeasurementPlaintext) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: plaintext answers exist only for benchmarks');
  }
  if (e.params.kind === 'allele-counts') {
    if (e.params.variantCount < 1 || e.params.variantCount > policy.maxVariants) {
      throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: variant count must be 1..${policy.maxVariants}`);
    }
    let values: number;
    try {
      values = layoutFor(e.params, 1, policy.roster.schema).valueCount;
    } catch (cause) {
      throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: strata: ${(cause as Error).message.replace(/^strata: /, '')}`, { cause });
    }
    if (values > 3 * policy.maxVariants) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: variants x strata cells exceed ${policy.maxVariants} (limits.maxVariants)`);
  }
  if (e.params.kind === 'cohort-count' && e.params.carrierCount > policy.maxVariants) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: carrier list longer than ${policy.maxVariants}`);
  }
}

/**
 * Replay guard: ids in the store's log, plus ids in flight here (two
 * concurrent copies of one query must not both pass before either is logged).
 */
export class ReplayGuard {
  private readonly inFlight = new Set<string>();

  constructor(private readonly hasQueryId: (id: string) => Promise<boolean>) {}

  /** Claims the id or throws GENOFED_QUERY_REPLAYED. Call release() once logged. */
  async claim(id: string): Promise<void> {
    if (this.inFlight.has(id)) throw new NodeError('GENOFED_QUERY_REPLAYED', 'query refused: query id already seen');
    this.inFlight.add(id);
    let seen: boolean;
    try {
      seen = await this.hasQueryId(id);
    } catch (err) {
      this.inFlight.delete(id);
      throw err;
    }
    if (seen) {
      this.inFlight.delete(id);
      throw new NodeError('GENOFED_QUERY_REPLAYED', 'query refused: query id already seen');
    }
  }

  release(id: string): void {
    this.inFlight.delete(id);
  }
}

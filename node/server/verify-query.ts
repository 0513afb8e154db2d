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
import { PROTOCOL_VERSION, type QueryEnvelope, type SignedQueryBytes } from '../../proto/query.js';
import type { NodeKind } from '../kinds/kind.js';
import { nodeKind } from '../kinds/registry.js';
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
export function verifySignedQuery(q: SignedQueryBytes, rpc: 'aggregate' | 'list', policy: QueryPolicy, now = Date.now()): QueryEnvelope {
  return checkEnvelope(authenticateQuery(q, policy), rpc, policy, now).e;
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

/**
 * Policy checks on an authenticated envelope (their refusals are logged
 * under its query id), then the kind's own: its parameters parsed and
 * checked by its module (node/kinds registry). Returns the envelope with
 * the parsed parameters and the kind that answers it.
 */
export function checkEnvelope(e: QueryEnvelope, rpc: 'aggregate' | 'list', policy: QueryPolicy, now = Date.now()): { e: QueryEnvelope; kind: NodeKind } {
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
  const kind = nodeKind(e.params.kind);
  if (!kind) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a query kind this node does not answer');
  if (kind.spec.rpc !== rpc) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: kind ${kind.spec.kind} not valid on this call`);
  if (rpc === 'aggregate' && e.cryptoFingerprint !== policy.cryptoFingerprint) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: BFV parameter fingerprint differs from this node\'s');
  }
  if (e.measurementPlaintext && !policy.allowMeasurementPlaintext) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: plaintext answers exist only for benchmarks');
  }
  let params;
  try {
    params = kind.spec.parse(e.params);
    kind.spec.check(params, { maxVariants: policy.maxVariants, schema: policy.roster.schema, dpEpsilon: e.dpEpsilon ?? 0 });
  } catch (cause) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: ${(cause as Error).message}`, { cause });
  }
  return { e: { ...e, params }, kind };
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

/**
 * Admission of a signed query at the node, and the one place its decisions
 * are logged (the store's query log and, through the privacy gate, the
 * hash-chained audit log): authenticate the envelope (Ed25519 over the
 * exact bytes, under the roster's coordinator key), the envelope checks
 * (roster = participant set, fingerprints, time window, kind, limits),
 * the replay claim, then the gate (authorize, DP policy, rate limit).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { signedQueryFromWire } from '../../proto/convert/envelope.js';
import type * as wire from '../../proto/generated/genofed/v1/node.js';
import type { QueryEnvelope } from '../../proto/query.js';
import { NodeError } from '../errors.js';
import type { NodeKind } from '../kinds/kind.js';
import { nodeKind } from '../kinds/registry.js';
import type { PeerCertificateLike } from '../privacy/authorization.js';
import type { ServedStore } from './ports.js';
import type { Admission, PrivacyGate } from './privacy-gate.js';
import { ReplayGuard, authenticateQuery, checkEnvelope, type QueryPolicy } from './verify-query.js';

export type AuthContextCall = { getAuthContext(): { sslPeerCertificate?: unknown } | null };

export function errorCode(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith('GENOFED_') ? c : 'INTERNAL';
}

export function peerOf(call: AuthContextCall): PeerCertificateLike | undefined {
  return call.getAuthContext()?.sslPeerCertificate as PeerCertificateLike | undefined;
}

export interface Admitted {
  /** The envelope, its parameters parsed by the kind's module. */
  readonly e: QueryEnvelope;
  /** The kind that answers it (node/kinds registry). */
  readonly kind: NodeKind;
  /** The exact signed envelope bytes (the size round commits to their digest). */
  readonly envelopeBytes: Uint8Array;
  readonly admission: Admission;
}

export class QueryAdmission {
  readonly replay: ReplayGuard;

  constructor(private readonly o: { store: ServedStore; gate: PrivacyGate; policy: QueryPolicy; logger: Logger }) {
    this.replay = new ReplayGuard((id) => o.store.hasQueryId(id));
  }

  /** One row in the store's query log (never logged: unauthenticated envelopes, which have no trustworthy id). */
  async logDecision(e: QueryEnvelope | undefined, decision: 'answered' | 'refused', reason: string | undefined, details: object): Promise<void> {
    if (!e) return;
    try {
      await this.o.store.appendQueryLog({ queryId: e.queryId, kind: e.params.kind, querier: e.querier, decision, ...(reason ? { reason } : {}), at: new Date(), details: { correlationId: e.correlationId, participants: e.participants.length, ...details } });
    } catch (err) {
      this.o.logger.error({ queryId: e.queryId, err: errorCode(err) }, 'query log append failed');
      throw err;
    }
  }

  /**
   * Verify, claim the id, then the privacy gate; on refusal log it (store
   * query log; audit log when authenticated) and rethrow. `seen.kind` is
   * set once the envelope is authenticated (for the caller's metrics).
   */
  async admit(call: AuthContextCall, signed: wire.SignedQuery | undefined, rpc: 'aggregate' | 'list', seen?: { kind?: string }): Promise<Admitted> {
    if (!signed) throw new NodeError('GENOFED_QUERY_SIGNATURE', 'query refused: no signed envelope');
    let e: QueryEnvelope | undefined;
    let claimed = false;
    let audited = false;
    const q = signedQueryFromWire(signed);
    try {
      e = authenticateQuery(q, this.o.policy);
      // For the metrics of a refusal: the kind an authenticated envelope names (metrics.ts reduces it to the registry's kinds).
      if (seen) seen.kind = e.params.kind;
      const checked = checkEnvelope(e, rpc, this.o.policy);
      e = checked.e;
      await this.replay.claim(e.queryId);
      claimed = true;
      audited = true; // the gate audits its own refusals
      const admission = await this.o.gate.admit(peerOf(call), e, checked.kind);
      return { e, kind: checked.kind, envelopeBytes: q.envelope, admission };
    } catch (err) {
      const code = errorCode(err);
      // A replay is logged too (a second "refused" row with the same id is the evidence of the attempt).
      if (e) await this.logDecision(e, 'refused', code, {}).catch(() => undefined);
      if (e && !audited) await this.o.gate.refused(e, code, nodeKind(e.params.kind)).catch(() => undefined);
      if (e && claimed) this.replay.release(e.queryId);
      // Unauthenticated envelopes are logged under a digest of their bytes, never under the id they
      // claim: an attacker must not be able to plant ids that a later genuine query would collide with.
      else await this.o.store.appendQueryLog({ queryId: `unauthenticated:${createHash('sha256').update(signed.envelope).digest('hex').slice(0, 32)}`, kind: 'unknown', querier: '', decision: 'refused', reason: code, at: new Date() }).catch(() => undefined);
      this.o.logger.warn({ queryId: e?.queryId, kind: e?.params.kind, decision: 'refused', reason: code }, 'query refused');
      throw err;
    }
  }

  /**
   * A refusal after admission (size round, differencing, budget, a failure
   * while answering): the store's query log and the audit log, once each.
   */
  async refuseAdmitted(a: Admitted, err: unknown, stage: string): Promise<void> {
    const code = errorCode(err);
    await this.logDecision(a.e, 'refused', code, { stage }).catch(() => undefined);
    await this.o.gate.record(a.e, a.kind, a.admission.querier, a.admission.epsilon, 'refused', code).catch(() => undefined);
    this.replay.release(a.e.queryId);
    this.o.logger.warn({ queryId: a.e.queryId, kind: a.e.params.kind, decision: 'refused', reason: code, stage }, 'query refused');
  }
}

/**
 * The node's privacy state per query, in the order of node/server/README.md
 * "Privacy wiring" (cheapest refusal first; the budget is debited only
 * once every other check passed):
 *
 * - `admit` (every signed query, after the envelope checks): authorize
 *   (node policy), DP policy, rate limit;
 * - `admitCounts` (counted queries, after the size round verified the
 *   network sizes): differencing guard over the query's local member sets
 *   (cohort, stratum cells, carriers), then the DP budget debit;
 * - `record`: the write-ahead audit entry, before anything leaves;
 * - `noiseMu`, `protect`: with DP on, the Skellam mu of this answer's noise
 *   (from the kind's sensitivity and the signed epsilon); this site's
 *   pairwise mask (keyed on query id + the roster's member set) with, for
 *   kinds whose noise goes in the slots, its noise share riding in it (a
 *   kind whose noise goes in its own sums draws it in `count`).
 *
 * Every refusal is appended to the hash-chained audit log with its code.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { QueryEnvelope } from '../../proto/query.js';
import { AuditLog } from '../audit/audit-log.js';
import type { NodeKind } from '../kinds/kind.js';
import { NODE_KINDS } from '../kinds/registry.js';
import { NodeError } from '../errors.js';
import { authorize, parseNodePolicy, type NodePolicy, type PeerCertificateLike } from '../privacy/authorization.js';
import { BudgetLedger, PrivacyLedger, type Querier } from '../privacy/budget-ledger.js';
import { DifferencingGuard } from '../privacy/differencing-guard.js';
import { createMaskStream, type X25519Roster } from '../privacy/masks.js';
import { RateLimiter } from '../privacy/rate-limit.js';
import type { RosterTransition } from '../privacy/roster-state.js';
import { addNoiseModT, noiseShare } from '../privacy/skellam.js';
import { noiseMuFor } from '../../proto/kinds/kind.js';
import type { SlotLayout } from '../../proto/query.js';
import { publicKeyFromBase64 } from '../../proto/roster.js';
import type { NodeConfig } from './config.js';
import type { SiteRoster } from './site-roster.js';
import { withOperatorPath } from '../../proto/operator-path.js';

export interface PrivacyGateOptions {
  readonly siteId: string;
  readonly storeDir: string;
  readonly privacy: NodeConfig['privacy'];
  readonly roster: SiteRoster;
  readonly plainModulus: bigint;
  readonly slotCount: number;
}

/** The admitted query's privacy state, carried to the answer. */
export interface Admission {
  readonly querier: Querier;
  /** Epsilon debited (0 with DP off or before admitCounts). */
  readonly epsilon: number;
  /**
   * DP on, after the debit: what the querier can still spend here (the
   * smaller of its coordinator's and its researcher's remainders), for the
   * signed answer header. Absent with DP off or before admitCounts.
   */
  readonly remainingEpsilon?: number;
}

/** How a count vector is protected before encryption. */
export interface AnswerProtection {
  /** For the encryptor: the mask (+ noise) of chunk c. */
  readonly mask: (chunkIndex: number) => Uint32Array;
  /** Skellam mu of the network total (0 = no noise). */
  readonly noiseMu: number;
  readonly masked: true;
}

function code(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith('GENOFED_') ? c : 'INTERNAL';
}

export class PrivacyGate {
  private constructor(
    private readonly o: PrivacyGateOptions,
    private readonly policy: NodePolicy,
    private readonly x25519: X25519Roster,
    private readonly rates: RateLimiter,
    private readonly guard: DifferencingGuard,
    private readonly budget: BudgetLedger,
    readonly audit: AuditLog,
  ) {}

  /**
   * Load the policy, open the ledger and the audit log. Without a policy
   * file the implicit policy lets the roster's coordinator run every kind
   * with no rate limit.
   */
  static async open(o: PrivacyGateOptions): Promise<PrivacyGate> {
    const pv = o.privacy;
    let policy: NodePolicy;
    if (pv.policyFile) {
      const file = pv.policyFile;
      const text = await readFile(file, 'utf8').catch((cause: unknown) => {
        throw withOperatorPath(new NodeError('GENOFED_CONFIG', `privacy.policyFile (${basename(file)}): cannot read file`, { cause }), file);
      });
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (cause) {
        throw withOperatorPath(new NodeError('GENOFED_CONFIG', `privacy.policyFile (${basename(file)}): not valid JSON`, { cause }), file);
      }
      policy = parseNodePolicy(raw, [...NODE_KINDS.keys()]);
    } else {
      policy = parseNodePolicy({ coordinators: [{ coordinatorId: o.roster.coordinatorId }] }, [...NODE_KINDS.keys()]);
    }
    const x25519 = new Map(o.roster.roster.sites.map((s) => [s.id, publicKeyFromBase64(s.x25519, 'x25519', `roster site ${s.id}`)]));
    const ledger = new PrivacyLedger(o.storeDir);
    const audit = await AuditLog.open(o.storeDir);
    return new PrivacyGate(o, policy, x25519, new RateLimiter(ledger), new DifferencingGuard(ledger, { k: pv.differencing.k }), new BudgetLedger(ledger, { totalEpsilon: pv.budget.totalEpsilon, ...(pv.budget.perResearcherEpsilon !== undefined ? { perResearcherEpsilon: pv.budget.perResearcherEpsilon } : {}) }), audit);
  }

  /** Info/Health: the caller matches some rule of the node policy (any kind). */
  knowsCaller(cert: PeerCertificateLike | undefined): boolean {
    return [...NODE_KINDS.keys()].some((kind) => {
      try {
        authorize(this.policy, cert, kind);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** The audit entry of a roster this node accepted (first start, or a new epoch). */
  async recordRoster(t: RosterTransition): Promise<void> {
    if (t.kind === 'same') return;
    await this.audit.append({
      queryId: `roster-epoch-${t.entry.epoch}`, querier: { coordinator: this.o.roster.coordinatorId, researcher: '' }, kind: 'roster',
      parameters: { epoch: t.entry.epoch, fingerprint: t.entry.fingerprint, previous: t.entry.previous ?? '', membershipChanged: t.kind === 'first' || t.membershipChanged ? 1 : 0 },
      participants: [...t.entry.sites], epsilonSpent: 0, decision: 'answered',
    });
  }

  /**
   * Authorize, DP policy, rate limit, for an authenticated envelope whose
   * participant set is the roster. Throws the refusal (already audited).
   * Limits are kept per coordinator identity (from its certificate: the
   * party that decrypts), with per-researcher limits beneath.
   */
  async admit(cert: PeerCertificateLike | undefined, e: QueryEnvelope, kind: NodeKind): Promise<Admission> {
    let querier: Querier = { coordinator: e.coordinatorId, researcher: e.querier };
    try {
      const authz = authorize(this.policy, cert, e.params.kind);
      querier = { coordinator: authz.coordinator, researcher: e.querier };
      const counted = kind.spec.rpc === 'aggregate';
      const asked = e.dpEpsilon ?? 0;
      const dp = this.o.privacy.dp;
      if (dp.enabled ? counted && asked !== dp.epsilonPerQuery : asked !== 0) {
        throw new NodeError('GENOFED_DP_POLICY', dp.enabled ? `query refused: this node's DP policy spends epsilon ${dp.epsilonPerQuery} per query; the envelope asks for ${asked}` : 'query refused: DP is off at this node but the envelope asks for noise');
      }
      await this.rates.admit(querier, authz.limits);
      return { querier, epsilon: 0 };
    } catch (err) {
      await this.record(e, kind, querier, 0, 'refused', code(err)).catch(() => undefined);
      throw err;
    }
  }

  /**
   * After the size round: the differencing guard over the query's local
   * member sets, then the budget debit (DP on), which must also leave the
   * epsilon of the rounds the kind says follow in the same researcher
   * query (`dpRoundsAfter`). Throws the refusal (the caller audits it, as
   * every refusal after admission); returns the admission with the epsilon
   * debited.
   */
  async admitCounts(e: QueryEnvelope, kind: NodeKind, admission: Admission, memberSets: readonly Uint32Array[]): Promise<Admission> {
    // Every population of the query in one transaction: checked against this coordinator's history, recorded together.
    await this.guard.admit(admission.querier, memberSets);
    let epsilon = 0;
    let remainingEpsilon: number | undefined;
    if (this.o.privacy.dp.enabled) {
      const per = this.o.privacy.dp.epsilonPerQuery;
      const after = await this.budget.debit(admission.querier, per, e.queryId, per * (kind.spec.dpRoundsAfter?.(e.params) ?? 0));
      epsilon = per;
      remainingEpsilon = after.remainingEpsilon;
    }
    return { querier: admission.querier, epsilon, ...(remainingEpsilon !== undefined ? { remainingEpsilon } : {}) };
  }

  /** Per set, whether the differencing guard would refuse it against the querier's coordinator's history (read-only). */
  nearHistory(querier: Querier, sets: readonly Uint32Array[]): Promise<boolean[]> {
    return this.guard.near(querier, sets);
  }

  /**
   * Epsilon each coordinator of the node policy has left of its total
   * (DP on; empty with DP off, when no budget is spent): the metrics gauge
   * (metrics.ts), keyed by the operator identity the ledger uses.
   */
  async budgetLeft(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!this.o.privacy.dp.enabled) return out;
    for (const r of this.policy.coordinators) {
      const coordinator = r.coordinatorId ?? r.certificateFingerprint!;
      const s = await this.budget.remaining({ coordinator, researcher: '' });
      out.set(coordinator, Math.max(0, s.coordinator.totalEpsilon - s.coordinator.spentEpsilon));
    }
    return out;
  }

  /** The differencing guard's k: the fewest patients two answered sets may differ by. */
  get differencingK(): number {
    return this.guard.k;
  }

  /** A refusal before admission (signature checked, envelope or replay refused): audited under the envelope's claims. */
  async refused(e: QueryEnvelope, reason: string, kind: NodeKind | undefined, querier?: Querier): Promise<void> {
    await this.record(e, kind, querier ?? { coordinator: e.coordinatorId, researcher: e.querier }, 0, 'refused', reason);
  }

  /**
   * The write-ahead audit entry, BEFORE the answer leaves. A failure
   * afterwards appends a second, refused entry. The parameters recorded
   * are the kind's audit view (lists reduced to count and digest); for a
   * kind this node does not know, or parameters that did not parse, none.
   */
  async record(e: QueryEnvelope, kind: NodeKind | undefined, querier: Querier, epsilon: number, decision: 'answered' | 'refused', reason?: string): Promise<void> {
    let parameters: Record<string, string | number | string[]> = {};
    try {
      if (kind) parameters = kind.spec.audit(kind.spec.parse(e.params));
    } catch {
      parameters = {};
    }
    await this.audit.append({
      queryId: e.queryId, querier, kind: e.params.kind, parameters, participants: [...e.participants],
      epsilonSpent: epsilon, decision, ...(reason ? { reason } : {}),
    });
  }

  /**
   * The Skellam mu of this answer's network noise: 0 with DP off (nothing
   * debited) or an empty answer; else from the kind's sensitivity and the
   * epsilon debited, as every other node and the coordinator compute it.
   */
  noiseMu(e: QueryEnvelope, kind: NodeKind, admission: Admission, layout: SlotLayout): number {
    if (!(admission.epsilon > 0) || layout.valueCount === 0) return 0;
    return noiseMuFor(kind.spec, e.params, layout, this.o.roster.roster.schema, admission.epsilon);
  }

  /**
   * Mask and, for kinds whose noise goes in the slots, noise share for
   * this answer (`valueCount` values, network noise `noiseMu`). Noise is
   * drawn here (or by the kind's count), after the debit.
   */
  protect(e: QueryEnvelope, kind: NodeKind, noiseMu: number, valueCount: number): AnswerProtection {
    const S = this.o.slotCount;
    const t = this.o.plainModulus;
    let noise: Int32Array | undefined;
    if (noiseMu > 0 && valueCount > 0 && kind.spec.dpNoise !== 'sums') {
      noise = noiseShare({ mu: noiseMu, parties: e.participants.length, length: valueCount });
    }
    const m = createMaskStream({ selfId: this.o.siteId, selfPrivateKey: this.o.roster.selfX25519, roster: this.x25519, queryId: e.queryId, participants: e.participants, plainModulus: t });
    const mask = (c: number): Uint32Array => {
      const base = m.maskChunk(c, S);
      return noise ? addNoiseModT(noise, t, base, c * S) : base;
    };
    return { mask, noiseMu, masked: true };
  }
}

/**
 * Issue 6 at the node: every admitted query passes the privacy gate, in the
 * order of node/privacy/README.md "Wiring into the node service" (cheapest
 * refusal first; the budget is debited only once every other check passed):
 * authorize (node policy, replaces the old caller check), participant set
 * >= minParticipants, rate limit, differencing guard, DP policy + budget
 * debit, then the audit entry. The answer is then encrypted with this
 * site's pairwise mask (keyed on query id + participant set) and, with DP
 * on, its Skellam noise share riding in the mask.
 *
 * Every refusal is appended to the hash-chained audit log with its code.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { QueryEnvelope, QueryParams } from '../../proto/query.js';
import { AuditLog } from '../audit/audit-log.js';
import { auditParameters } from '../audit/entry.js';
import { NodeError } from '../errors.js';
import { authorize, parseNodePolicy, QUERY_KINDS, type NodePolicy, type PeerCertificateLike } from '../privacy/authorization.js';
import { BudgetLedger, PrivacyLedger, type Querier } from '../privacy/budget-ledger.js';
import { DifferencingGuard } from '../privacy/differencing-guard.js';
import { createMaskStream, x25519KeyFromPem, type X25519Roster } from '../privacy/masks.js';
import { RateLimiter } from '../privacy/rate-limit.js';
import { addNoiseModT, noiseShare, skellamMu } from '../privacy/skellam.js';
import type { NodeConfig } from './config.js';

/** What the gate needs from the store: sorted stable sample indices of a cohort ('' = all samples). */
export interface CohortMemberSource {
  cohortMembers(cohort?: string): Promise<Uint32Array | Map<string, Uint32Array>>;
}

export interface PrivacyGateOptions {
  readonly siteId: string;
  readonly coordinatorId: string;
  readonly storeDir: string;
  readonly privacy: NodeConfig['privacy'];
  readonly store: CohortMemberSource;
  readonly plainModulus: bigint;
  readonly slotCount: number;
  /** Benchmark only (measurement plaintext): start without masks even when a roster is configured. */
  readonly masksOff?: boolean;
}

/** The admitted query's privacy state, carried to the answer. */
export interface Admission {
  readonly querier: Querier;
  /** Epsilon debited (0 with DP off). */
  readonly epsilon: number;
}

/** How a count vector is protected before encryption. */
export interface AnswerProtection {
  /** For the encryptor: the mask (+ noise) of chunk c, or undefined when neither is on. */
  readonly mask: ((chunkIndex: number) => Uint32Array) | undefined;
  /** Skellam mu of the network total (0 = no noise). */
  readonly noiseMu: number;
  readonly masked: boolean;
}

function code(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith('GENOFED_') ? c : 'INTERNAL';
}

/** The sensitivity and count of a query's release, for the Skellam calibration (node/privacy/README.md "Noise"). */
function releaseShape(params: QueryParams, valueCount: number): { sensitivity: number; counts: number } {
  // AC/AN of a diploid site change by <= 2 when one person is added or removed; a cohort count by 1.
  return params.kind === 'allele-counts' ? { sensitivity: 2, counts: valueCount } : { sensitivity: 1, counts: 1 };
}

export class PrivacyGate {
  private constructor(
    private readonly o: PrivacyGateOptions,
    private readonly policy: NodePolicy,
    private readonly masks: { readonly selfPrivateKey: KeyObject; readonly roster: X25519Roster } | undefined,
    private readonly rates: RateLimiter,
    private readonly guard: DifferencingGuard,
    private readonly budget: BudgetLedger,
    readonly audit: AuditLog,
  ) {}

  /**
   * Load the policy and roster, open the ledger and the audit log. Without
   * a policy file the implicit policy lets the configured coordinator run
   * every kind with no rate limit (the node's behaviour before issue 6).
   */
  static async open(o: PrivacyGateOptions): Promise<PrivacyGate> {
    const pv = o.privacy;
    let policy: NodePolicy;
    if (pv.policyFile) {
      const file = pv.policyFile;
      const text = await readFile(file, 'utf8').catch((cause: unknown) => {
        throw new NodeError('GENOFED_CONFIG', `privacy.policyFile (${basename(file)}): cannot read file`, { cause });
      });
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (cause) {
        throw new NodeError('GENOFED_CONFIG', `privacy.policyFile (${basename(file)}): not valid JSON`, { cause });
      }
      policy = parseNodePolicy(raw);
    } else {
      policy = parseNodePolicy({ coordinators: [{ coordinatorId: o.coordinatorId, allowedKinds: [...QUERY_KINDS] }] });
    }
    let masks: { selfPrivateKey: KeyObject; roster: X25519Roster } | undefined;
    if (pv.masks && !o.masksOff) {
      const readKey = async (path: string, field: string, kind: 'public' | 'private'): Promise<KeyObject> => {
        const pem = await readFile(path, 'utf8').catch((cause: unknown) => {
          throw new NodeError('GENOFED_CONFIG', `${field}: cannot read file`, { cause });
        });
        try {
          return x25519KeyFromPem(pem, kind);
        } catch (cause) {
          throw new NodeError('GENOFED_CONFIG', `${field}: not an X25519 ${kind} key (PEM)`, { cause });
        }
      };
      const selfPrivateKey = await readKey(pv.masks.privateKeyFile, 'privacy.masks.privateKeyFile', 'private');
      const roster = new Map<string, KeyObject>();
      for (const [site, path] of Object.entries(pv.masks.roster)) roster.set(site, await readKey(path, `privacy.masks.roster.${site}`, 'public'));
      if (!roster.has(o.siteId)) throw new NodeError('GENOFED_CONFIG', `privacy.masks.roster: does not list this site (${o.siteId})`);
      masks = { selfPrivateKey, roster };
    }
    const ledger = new PrivacyLedger(o.storeDir);
    const audit = await AuditLog.open(o.storeDir);
    return new PrivacyGate(o, policy, masks, new RateLimiter(ledger), new DifferencingGuard(ledger, { k: pv.differencing.k }), new BudgetLedger(ledger, { totalEpsilon: pv.budget.totalEpsilon }), audit);
  }

  /** Info/Health: the caller matches some rule of the node policy (any kind). */
  knowsCaller(cert: PeerCertificateLike | undefined): boolean {
    return QUERY_KINDS.some((kind) => {
      try {
        authorize(this.policy, cert, kind);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** True when answers carry pairwise masks (a roster is configured and the node is not a measurement node). */
  get masked(): boolean {
    return this.masks !== undefined;
  }

  /**
   * Steps 1-4 of the wiring for an authenticated, fresh envelope. Throws
   * the refusal (already audited); returns who is charged and how much.
   */
  async admit(cert: PeerCertificateLike | undefined, e: QueryEnvelope): Promise<Admission> {
    let querier: Querier = { coordinator: e.coordinatorId, researcher: e.querier };
    try {
      const authz = authorize(this.policy, cert, e.params.kind);
      querier = { coordinator: authz.coordinator, researcher: e.querier };
      const pv = this.o.privacy;
      if (e.participants.length < pv.minParticipants) {
        throw new NodeError('GENOFED_TOO_FEW_PARTICIPANTS', `query refused: the participant set has ${e.participants.length} sites, this node requires at least ${pv.minParticipants}`);
      }
      if (this.masks && e.measurementPlaintext) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: plaintext answers are never given while masks are on');
      if (this.masks) {
        const missing = e.participants.filter((s) => !this.masks!.roster.has(s));
        if (missing.length > 0) throw new NodeError('GENOFED_QUERY_NOT_PARTICIPANT', `query refused: ${missing.length} participant(s) are not in this node's X25519 roster`);
      }
      const counted = e.params.kind !== 'variant-keys';
      const asked = e.dpEpsilon ?? 0;
      const dp = pv.dp;
      if (dp.enabled ? counted && asked !== dp.epsilonPerQuery : asked !== 0) {
        throw new NodeError('GENOFED_DP_POLICY', dp.enabled ? `query refused: this node's DP policy spends epsilon ${dp.epsilonPerQuery} per query; the envelope asks for ${asked}` : 'query refused: DP is off at this node but the envelope asks for noise');
      }
      await this.rates.admit(querier, authz.limits);
      if (e.params.kind === 'allele-counts' || e.params.kind === 'cohort-count') {
        const members = await this.o.store.cohortMembers(e.params.cohort === '' ? undefined : e.params.cohort);
        if (!(members instanceof Uint32Array)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: unexpected stratified member set');
        await this.guard.admit(querier, members);
      }
      let epsilon = 0;
      if (dp.enabled && counted) {
        await this.budget.debit(querier, dp.epsilonPerQuery, e.queryId);
        epsilon = dp.epsilonPerQuery;
      }
      return { querier, epsilon };
    } catch (err) {
      await this.record(e, querier, 0, 'refused', code(err)).catch(() => undefined);
      throw err;
    }
  }

  /** A refusal before admission (signature checked, envelope or replay refused): audited under the envelope's claims. */
  async refused(e: QueryEnvelope, reason: string): Promise<void> {
    await this.record(e, { coordinator: e.coordinatorId, researcher: e.querier }, 0, 'refused', reason);
  }

  /** Step 5: the write-ahead audit entry, BEFORE the answer leaves. A failure afterwards appends a second, refused entry. */
  async record(e: QueryEnvelope, querier: Querier, epsilon: number, decision: 'answered' | 'refused', reason?: string): Promise<void> {
    await this.audit.append({
      queryId: e.queryId, querier, kind: e.params.kind, parameters: auditParameters(e.params), participants: [...e.participants],
      epsilonSpent: epsilon, decision, ...(reason ? { reason } : {}),
    });
  }

  /** Mask and noise share for this answer (`valueCount` counts). Noise is drawn here, after the debit. */
  protect(e: QueryEnvelope, admission: Admission, valueCount: number): AnswerProtection {
    const S = this.o.slotCount;
    const t = this.o.plainModulus;
    let noiseMu = 0;
    let noise: Int32Array | undefined;
    if (admission.epsilon > 0 && valueCount > 0) {
      noiseMu = skellamMu({ epsilon: admission.epsilon, ...releaseShape(e.params, valueCount) });
      noise = noiseShare({ mu: noiseMu, parties: e.participants.length, length: valueCount });
    }
    const m = this.masks
      ? createMaskStream({ selfId: this.o.siteId, selfPrivateKey: this.masks.selfPrivateKey, roster: this.masks.roster, queryId: e.queryId, participants: e.participants, plainModulus: t })
      : undefined;
    if (!m && !noise) return { mask: undefined, noiseMu: 0, masked: false };
    const mask = (c: number): Uint32Array => {
      const base = m ? m.maskChunk(c, S) : new Uint32Array(S);
      return noise ? addNoiseModT(noise, t, base, c * S) : base;
    };
    return { mask, noiseMu, masked: m !== undefined };
  }
}

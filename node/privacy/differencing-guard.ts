/**
 * Differencing guard (DataSHIELD's nfilter.subset, enforced): a member set
 * C is not answered when an earlier answered set A of the same coordinator
 * differs from it by 0 < |A xor C| < k patients: the difference of the two
 * answers would be the counts of those few patients (A, then A without one
 * patient, gives that patient's genotype). A set identical to an
 * answered one is allowed (same answer, nothing new).
 *
 * History is per coordinator, the party that decrypts: every researcher
 * name it asserts shares one history, so "researcher A asks C, researcher
 * B asks C minus one patient" through one coordinator is refused. One
 * query may carry several populations (the cohort, each stratum cell, a
 * carrier set): each is compared with the history, they are not compared
 * with each other (strata of one query are disjoint slices the answer
 * reveals anyway), and all are recorded in one ledger transaction.
 *
 * Sets are kept as bitmaps over the store's sample indices in the privacy
 * ledger (2,504 samples: 313 bytes; a 100,000-sample biobank 12.5 KB).
 * They never leave the node, and a refusal never says by how much the sets
 * differ (that number would itself be a small count).
 *
 * Known limit, as in DataSHIELD: only pairs are compared; a difference
 * built from three or more sets (A + B - C) is not detected here.
 */
import { NodeError } from '../errors.js';
import { cohortBitmap, toWords, type WordBitmap, xorDistanceBelow } from './bitmap.js';
import type { LedgerOp, LedgerView, PrivacyLedger, Querier } from './ledger-log.js';

export { cohortBitmap, symmetricDifference } from './bitmap.js';

export type GuardDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** One member set, or all the member sets of one query (sorted store sample indices each). */
export type MemberSets = Uint32Array | readonly Uint32Array[];

export interface GuardOptions {
  /** Minimum symmetric difference between two answered sets. Default 5 (the consortium's k). */
  readonly k?: number;
  readonly now?: () => number;
}

interface Prepared extends WordBitmap {
  /** base64 of the byte bitmap: what the ledger stores, and equal for equal sets. */
  readonly encoded: string;
}

/**
 * Empty sets are neither compared nor recorded: the difference between an
 * answer over no one and one over C is C's own answer, which the size round
 * already verified (network size 0 or >= k). Recording them would refuse
 * every later set of 1..k-1 local members at this site, although such a set
 * is part of a population verified network-wide.
 */
function prepare(sets: MemberSets): Prepared[] {
  const list = (sets instanceof Uint32Array ? [sets] : sets).filter((m) => m.length > 0);
  return list.map((m) => {
    const { bits } = cohortBitmap(m);
    return { ...toWords(bits), encoded: Buffer.from(bits).toString('base64') };
  });
}

export class DifferencingGuard {
  readonly k: number;
  private readonly now: () => number;

  constructor(readonly ledger: PrivacyLedger, options: GuardOptions = {}) {
    this.k = options.k ?? 5;
    if (!Number.isInteger(this.k) || this.k < 1) throw new NodeError('GENOFED_CONFIG', 'differencing k must be an integer >= 1');
    this.now = options.now ?? Date.now;
  }

  /** The decision for `sets` against the coordinator's history, and which sets are new (to record). */
  private decide(view: LedgerView, querier: Querier, sets: readonly Prepared[]): { decision: GuardDecision; fresh: Prepared[] } {
    const history = view.cohorts.get(querier.coordinator) ?? [];
    const fresh: Prepared[] = [];
    const queued = new Set<string>();
    for (const c of sets) {
      let seen = false;
      let near = false;
      for (const earlier of history) {
        const d = xorDistanceBelow(earlier, c, this.k);
        if (d === 0) {
          seen = true;
          break;
        }
        if (d < this.k) near = true;
      }
      // An answered set asked again reveals nothing new, even when the history holds a set near it
      // (populations of one query are recorded together without being compared).
      if (near && !seen) {
        const reason = `a population of this query (cohort, stratum or carrier set) differs from one this coordinator was already answered for by fewer than ${this.k} patients`;
        return { decision: { ok: false, reason }, fresh: [] };
      }
      if (!seen && !queued.has(c.encoded)) {
        queued.add(c.encoded);
        fresh.push(c);
      }
    }
    return { decision: { ok: true }, fresh };
  }

  private ops(querier: Querier, sets: readonly Prepared[]): LedgerOp[] {
    const at = this.now();
    return sets.map((c) => ({ op: 'cohort' as const, coordinator: querier.coordinator, researcher: querier.researcher, bits: c.encoded, at }));
  }

  /**
   * Per set: would it be refused against this coordinator's history (some
   * answered set differs from it by 1..k-1 patients, none equals it)?
   * Read-only; empty sets are never near. The eQTL kind withholds such
   * variants instead of refusing the whole query (node/kinds/expression-eqtl.kind.ts).
   */
  async near(querier: Querier, sets: readonly Uint32Array[]): Promise<boolean[]> {
    const prepared = sets.map((m) => (m.length > 0 ? prepare([m])[0]! : null));
    return this.ledger.read((v) => {
      const history = v.cohorts.get(querier.coordinator) ?? [];
      return prepared.map((c) => {
        if (!c) return false;
        let near = false;
        for (const earlier of history) {
          const d = xorDistanceBelow(earlier, c, this.k);
          if (d === 0) return false;
          if (d < this.k) near = true;
        }
        return near;
      });
    });
  }

  /** Would a query over `sets` be allowed? (Read-only; `admit` checks and records in one step.) */
  async check(querier: Querier, sets: MemberSets): Promise<GuardDecision> {
    const prepared = prepare(sets);
    return this.ledger.read((v) => this.decide(v, querier, prepared).decision);
  }

  /** Record `sets` as answered for the querier's coordinator (durable on return; identical sets are kept once). */
  async record(querier: Querier, sets: MemberSets): Promise<void> {
    const prepared = prepare(sets);
    await this.ledger.transact((v) => {
      const known = new Set<string>();
      const fresh = prepared.filter((c) => {
        if (known.has(c.encoded)) return false;
        known.add(c.encoded);
        return !(v.cohorts.get(querier.coordinator) ?? []).some((h) => xorDistanceBelow(h, c, 1) === 0);
      });
      return { ops: this.ops(querier, fresh), result: undefined };
    });
  }

  /**
   * Check every set of one query and record them all in one ledger
   * transaction (two concurrent queries cannot both pass against a history
   * that lacks the other); throws GENOFED_COHORT_DIFFERENCING on refusal,
   * recording nothing. Call before the answer leaves.
   */
  async admit(querier: Querier, sets: MemberSets): Promise<void> {
    const prepared = prepare(sets);
    const decision = await this.ledger.transact((v) => {
      const { decision, fresh } = this.decide(v, querier, prepared);
      return { ops: decision.ok ? this.ops(querier, fresh) : [], result: decision };
    });
    if (!decision.ok) throw new NodeError('GENOFED_COHORT_DIFFERENCING', `query refused: ${decision.reason}`);
  }
}

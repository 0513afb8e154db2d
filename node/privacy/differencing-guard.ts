/**
 * Differencing guard (DataSHIELD's nfilter.subset, enforced): a querier
 * may not be answered for a cohort C when an earlier answered cohort A of
 * the same querier differs from it by 0 < |A xor C| < k patients: the
 * difference of the two answers would be the counts of those few
 * patients (A, then A without one patient, gives that patient's genotype).
 * Identical cohorts are allowed (same answer, nothing new).
 *
 * Cohorts are kept as bitmaps over the store's sample indices in the
 * privacy ledger (2,504 samples: 313 bytes per cohort; a 100,000-sample
 * biobank 12.5 KB), so |A xor C| is a byte-wise popcount. They never
 * leave the node, and a refusal never says by how much the cohorts
 * differ (that number would itself be a small count).
 *
 * Known limit, as in DataSHIELD: only pairs are compared; a difference
 * built from three or more cohorts (A + B - C) is not detected here.
 */
import { NodeError } from '../errors.js';
import { type CohortRecord, type PrivacyLedger, type Querier, querierKey } from './budget-ledger.js';

export type GuardDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface GuardOptions {
  /** Minimum symmetric difference between two answered cohorts. Default 5 (the consortium's k). */
  readonly k?: number;
  readonly now?: () => number;
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let v = i; v; v >>= 1) n += v & 1;
  return n;
});

/** Bitmap of sample indices (any order; duplicates collapse). */
export function cohortBitmap(members: Uint32Array): { bits: Uint8Array; universe: number; size: number } {
  let max = -1;
  for (const m of members) if (m > max) max = m;
  const universe = max + 1;
  const bits = new Uint8Array(Math.ceil(universe / 8));
  let size = 0;
  for (const m of members) {
    const byte = m >>> 3;
    const bit = 1 << (m & 7);
    if (!(bits[byte]! & bit)) size += 1;
    bits[byte]! |= bit;
  }
  return { bits, universe, size };
}

/** |A xor B| of two bitmaps (bytes past the shorter one count in full). */
export function symmetricDifference(a: Uint8Array, b: Uint8Array): number {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  let n = 0;
  for (let i = 0; i < short.length; i++) n += POPCOUNT[short[i]! ^ long[i]!]!;
  for (let i = short.length; i < long.length; i++) n += POPCOUNT[long[i]!]!;
  return n;
}

export class DifferencingGuard {
  readonly k: number;
  private readonly now: () => number;

  constructor(readonly ledger: PrivacyLedger, options: GuardOptions = {}) {
    this.k = options.k ?? 5;
    if (!Number.isInteger(this.k) || this.k < 1) throw new NodeError('GENOFED_CONFIG', 'differencing k must be an integer >= 1');
    this.now = options.now ?? Date.now;
  }

  private decide(history: readonly CohortRecord[], bits: Uint8Array): { decision: GuardDecision; seen: boolean } {
    let seen = false;
    for (const earlier of history) {
      const d = symmetricDifference(Buffer.from(earlier.bits, 'base64'), bits);
      if (d === 0) seen = true;
      else if (d < this.k) {
        return { decision: { ok: false, reason: `cohort differs from a cohort this querier was already answered for by fewer than ${this.k} patients` }, seen };
      }
    }
    return { decision: { ok: true }, seen };
  }

  /** Would a query over `members` be allowed? (Read-only; `admit` checks and records in one step.) */
  async check(querier: Querier, members: Uint32Array): Promise<GuardDecision> {
    const history = (await this.ledger.snapshot()).cohorts[querierKey(querier)] ?? [];
    return this.decide(history, cohortBitmap(members).bits).decision;
  }

  /** Record `members` as answered for `querier` (durable on return; identical cohorts are kept once). */
  async record(querier: Querier, members: Uint32Array): Promise<void> {
    const c = cohortBitmap(members);
    const key = querierKey(querier);
    await this.ledger.transact((state) => {
      const history = state.cohorts[key] ?? [];
      if (history.some((h) => symmetricDifference(Buffer.from(h.bits, 'base64'), c.bits) === 0)) return { write: false, result: undefined };
      state.cohorts[key] = [...history, { universe: c.universe, size: c.size, bits: Buffer.from(c.bits).toString('base64'), at: this.now() }];
      return { write: true, result: undefined };
    });
  }

  /**
   * Check and record in one ledger transaction (two concurrent queries
   * cannot both pass against a history that lacks the other); throws
   * GENOFED_COHORT_DIFFERENCING on refusal. Call before the answer leaves.
   */
  async admit(querier: Querier, members: Uint32Array): Promise<void> {
    const c = cohortBitmap(members);
    const key = querierKey(querier);
    const decision = await this.ledger.transact((state) => {
      const history = state.cohorts[key] ?? [];
      const { decision, seen } = this.decide(history, c.bits);
      if (!decision.ok || seen) return { write: false, result: decision };
      state.cohorts[key] = [...history, { universe: c.universe, size: c.size, bits: Buffer.from(c.bits).toString('base64'), at: this.now() }];
      return { write: true, result: decision };
    });
    if (!decision.ok) throw new NodeError('GENOFED_COHORT_DIFFERENCING', `query refused: ${decision.reason}`);
  }
}

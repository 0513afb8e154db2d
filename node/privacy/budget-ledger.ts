/**
 * Epsilon budgets, kept in the privacy ledger (`ledger-log.ts`) per key
 * holder: a total per coordinator (the party that decrypts, so the one
 * whose knowledge accumulates, whatever researcher names it asserts) and a
 * cap per (coordinator, researcher) beneath it. A debit must fit both or is
 * refused with GENOFED_BUDGET_EXHAUSTED leaving both untouched. When
 * `debit` returns, the debit is on disk: the service debits BEFORE it
 * releases the answer (write-ahead), so a crash can lose an answer but
 * never a debit.
 *
 * Budgets are integer micro-epsilons: 0.1 added 100 times as doubles is
 * 9.99999999999998, which would refuse the 100th query of a 10.0 budget.
 * The totals come from configuration (not stored), so raising them for a
 * consortium applies to what was already spent.
 */
import { NodeError } from '../errors.js';
import { type Account, type PrivacyLedger, type Querier, querierKey } from './ledger-log.js';

export { LEDGER_FILE, LEDGER_LOCK, LEGACY_LEDGER_FILE, PrivacyLedger, querierKey, type Querier } from './ledger-log.js';

/** Epsilon -> integer micro-epsilons; refuses non-positive, non-finite or sub-micro values. */
export function toMicroEpsilon(epsilon: number): number {
  const micro = Math.round(epsilon * 1e6);
  if (!Number.isFinite(epsilon) || epsilon <= 0 || micro < 1 || !Number.isSafeInteger(micro)) {
    throw new NodeError('GENOFED_CONFIG', 'epsilon must be a finite number of at least 0.000001');
  }
  return micro;
}

export interface BudgetOptions {
  /** Total epsilon per coordinator, shared by all its researchers. Default 10: the DP policy's default per-query epsilon of 1 gives 10 queries. */
  readonly totalEpsilon?: number;
  /** Cap per (coordinator, researcher) beneath the total; default = the total (no cap of its own). */
  readonly perResearcherEpsilon?: number | undefined;
}

/** One budget account: its cap and what was spent against it. */
export interface BudgetAccount {
  readonly totalEpsilon: number;
  readonly spentEpsilon: number;
  readonly debits: number;
}

export interface BudgetStatus {
  /** What this researcher can still spend through this coordinator: the smaller of the two remainders. */
  readonly remainingEpsilon: number;
  /** The coordinator's total, spent by all its researchers. */
  readonly coordinator: BudgetAccount;
  /** This researcher's cap beneath it. */
  readonly researcher: BudgetAccount;
}

const NONE: Account = { spentMicro: 0, debits: 0 };

/** Per-coordinator epsilon budgets with per-researcher caps, in the privacy ledger. */
export class BudgetLedger {
  readonly totalMicro: number;
  readonly perResearcherMicro: number;

  constructor(readonly ledger: PrivacyLedger, options: BudgetOptions = {}) {
    this.totalMicro = toMicroEpsilon(options.totalEpsilon ?? 10);
    this.perResearcherMicro = options.perResearcherEpsilon === undefined ? this.totalMicro : toMicroEpsilon(options.perResearcherEpsilon);
    if (this.perResearcherMicro > this.totalMicro) {
      throw new NodeError('GENOFED_CONFIG', 'budget.perResearcherEpsilon must not exceed budget.totalEpsilon');
    }
  }

  private status(c: Account, r: Account): BudgetStatus {
    const left = Math.max(0, Math.min(this.totalMicro - c.spentMicro, this.perResearcherMicro - r.spentMicro));
    return {
      remainingEpsilon: left / 1e6,
      coordinator: { totalEpsilon: this.totalMicro / 1e6, spentEpsilon: c.spentMicro / 1e6, debits: c.debits },
      researcher: { totalEpsilon: this.perResearcherMicro / 1e6, spentEpsilon: r.spentMicro / 1e6, debits: r.debits },
    };
  }

  async remaining(querier: Querier): Promise<BudgetStatus> {
    return this.ledger.read((v) => this.status(v.budgets.get(querier.coordinator) ?? NONE, v.researcherBudgets.get(querierKey(querier)) ?? NONE));
  }

  /**
   * Debit `epsilon` for query `queryId`, durably, or refuse with
   * GENOFED_BUDGET_EXHAUSTED leaving both accounts untouched. Call before
   * the answer leaves the node. `reserveEpsilon`: what must be left AFTER
   * this debit (later rounds of the same researcher query, debited then;
   * the expression scale round reserves its sums round's), or refused.
   */
  async debit(querier: Querier, epsilon: number, queryId: string, reserveEpsilon = 0): Promise<BudgetStatus> {
    const micro = toMicroEpsilon(epsilon);
    const reserve = reserveEpsilon > 0 ? toMicroEpsilon(reserveEpsilon) : 0;
    const outcome = await this.ledger.transact<{ short: 'coordinator' | 'researcher' | undefined; status: BudgetStatus }>((v) => {
      const c = v.budgets.get(querier.coordinator) ?? NONE;
      const r = v.researcherBudgets.get(querierKey(querier)) ?? NONE;
      const need = micro + reserve;
      const short: 'coordinator' | 'researcher' | undefined = c.spentMicro + need > this.totalMicro ? 'coordinator' : r.spentMicro + need > this.perResearcherMicro ? 'researcher' : undefined;
      if (short) return { ops: [], result: { short, status: this.status(c, r) } };
      const after = this.status({ spentMicro: c.spentMicro + micro, debits: c.debits + 1 }, { spentMicro: r.spentMicro + micro, debits: r.debits + 1 });
      return { ops: [{ op: 'debit' as const, coordinator: querier.coordinator, researcher: querier.researcher, micro, queryId }], result: { short, status: after } };
    });
    if (outcome.short) {
      const which = outcome.short === 'coordinator' ? 'this coordinator\'s budget' : 'this researcher\'s share of it';
      throw new NodeError(
        'GENOFED_BUDGET_EXHAUSTED',
        `query ${queryId} refused: privacy budget exhausted (${which}; needs epsilon ${micro / 1e6}${reserve > 0 ? ` and ${reserve / 1e6} more for the rounds that follow` : ''}, ${outcome.status.remainingEpsilon} left)`,
      );
    }
    return outcome.status;
  }
}

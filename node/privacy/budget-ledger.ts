/**
 * The node's privacy ledger (`privacy-ledger.json` in the store folder)
 * and the per-querier epsilon budget kept in it.
 *
 * One JSON file holds every piece of cross-query state the node enforces:
 * budgets (here), cohort history (`differencing-guard.ts`) and rate-limit
 * windows (`rate-limit.ts`). Each change is a transaction: take
 * `privacy-ledger.lock`, re-read the file (another process may have
 * written it), apply, write temp + fsync + rename + fsync of the folder.
 * When `debit` returns, the debit is on disk: the service debits BEFORE
 * it releases the answer (write-ahead), so a crash can lose an answer but
 * never a debit. A file that fails its schema refuses every query
 * (GENOFED_LEDGER_CORRUPT): fail closed, never "start from a fresh budget".
 *
 * Budgets are integer micro-epsilons: 0.1 added 100 times as doubles is
 * 9.99999999999998, which would refuse the 100th query of a 10.0 budget.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NodeError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { syncFolder, withFileLock } from '../audit/file-lock.js';

export const LEDGER_FILE = 'privacy-ledger.json';
export const LEDGER_LOCK = 'privacy-ledger.lock';

/** Who is asking: the coordinator (by its policy id) and the researcher it names in the signed envelope. */
export interface Querier {
  readonly coordinator: string;
  readonly researcher: string;
}

/** The ledger's map key of a querier (JSON of the pair: no separator a researcher id could forge). */
export function querierKey(q: Querier): string {
  return JSON.stringify([q.coordinator, q.researcher]);
}

const cohortRecord = z.strictObject({
  /** Bitmap length in bits (max member + 1). */
  universe: z.number().int().min(0),
  size: z.number().int().min(0),
  /** Bitmap, bit i = sample index i, base64. */
  bits: z.string(),
  at: z.number().int(),
});
export type CohortRecord = z.infer<typeof cohortRecord>;

const ledgerSchema = z.strictObject({
  format: z.literal('genofed-privacy-ledger'),
  version: z.literal(1),
  budgets: z.record(z.string(), z.strictObject({ spentMicro: z.number().int().min(0), debits: z.number().int().min(0) })),
  cohorts: z.record(z.string(), z.array(cohortRecord)),
  /** Admission times (ms) in the last 24 h, per querier. */
  rates: z.record(z.string(), z.array(z.number().int())),
});
export type LedgerState = z.infer<typeof ledgerSchema>;

function emptyState(): LedgerState {
  return { format: 'genofed-privacy-ledger', version: 1, budgets: {}, cohorts: {}, rates: {} };
}

/** The ledger file of one store folder; every method is one locked read-modify-write. */
export class PrivacyLedger {
  constructor(readonly dir: string) {}

  private async read(): Promise<LedgerState> {
    let text: string;
    try {
      text = await readFile(join(this.dir, LEDGER_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw new NodeError('GENOFED_LEDGER_CORRUPT', `${LEDGER_FILE}: cannot be read`, { cause: err });
    }
    try {
      return ledgerSchema.parse(JSON.parse(text));
    } catch (cause) {
      throw new NodeError('GENOFED_LEDGER_CORRUPT', `${LEDGER_FILE}: not a valid privacy ledger; queries are refused until it is restored`, { cause });
    }
  }

  /** Read the current state (under the lock, so never half of another process's write). */
  async snapshot(): Promise<LedgerState> {
    return withFileLock(join(this.dir, LEDGER_LOCK), () => this.read());
  }

  /**
   * Apply `change` to the current state; persist it durably when it
   * returns `{ write: true }`. The result is returned after the fsync.
   */
  async transact<T>(change: (state: LedgerState) => { write: boolean; result: T }): Promise<T> {
    return withFileLock(join(this.dir, LEDGER_LOCK), async () => {
      const state = await this.read();
      const { write, result } = change(state);
      if (write) {
        await writeFileAtomically(join(this.dir, LEDGER_FILE), JSON.stringify(state), { mode: 0o600 });
        await syncFolder(this.dir);
      }
      return result;
    });
  }
}

/** Epsilon -> integer micro-epsilons; refuses non-positive, non-finite or sub-micro values. */
export function toMicroEpsilon(epsilon: number): number {
  const micro = Math.round(epsilon * 1e6);
  if (!Number.isFinite(epsilon) || epsilon <= 0 || micro < 1 || !Number.isSafeInteger(micro)) {
    throw new NodeError('GENOFED_CONFIG', 'epsilon must be a finite number of at least 0.000001');
  }
  return micro;
}

export interface BudgetOptions {
  /** Total epsilon per querier. Default 10: the DP policy's default per-query epsilon of 1 gives 10 queries. */
  readonly totalEpsilon?: number;
}

export interface BudgetStatus {
  readonly totalEpsilon: number;
  readonly spentEpsilon: number;
  readonly remainingEpsilon: number;
  readonly debits: number;
}

/** Per-querier epsilon budgets in the privacy ledger. */
export class BudgetLedger {
  readonly totalMicro: number;

  constructor(readonly ledger: PrivacyLedger, options: BudgetOptions = {}) {
    this.totalMicro = toMicroEpsilon(options.totalEpsilon ?? 10);
  }

  private status(spentMicro: number, debits: number): BudgetStatus {
    return { totalEpsilon: this.totalMicro / 1e6, spentEpsilon: spentMicro / 1e6, remainingEpsilon: Math.max(0, this.totalMicro - spentMicro) / 1e6, debits };
  }

  async remaining(querier: Querier): Promise<BudgetStatus> {
    const b = (await this.ledger.snapshot()).budgets[querierKey(querier)];
    return this.status(b?.spentMicro ?? 0, b?.debits ?? 0);
  }

  /**
   * Debit `epsilon` for query `queryId`, durably, or refuse with
   * GENOFED_BUDGET_EXHAUSTED leaving the budget untouched. Call before the
   * answer leaves the node.
   */
  async debit(querier: Querier, epsilon: number, queryId: string): Promise<BudgetStatus> {
    const micro = toMicroEpsilon(epsilon);
    const key = querierKey(querier);
    const outcome = await this.ledger.transact<{ ok: boolean; status: BudgetStatus }>((state) => {
      const b = state.budgets[key] ?? { spentMicro: 0, debits: 0 };
      if (b.spentMicro + micro > this.totalMicro) return { write: false, result: { ok: false, status: this.status(b.spentMicro, b.debits) } };
      state.budgets[key] = { spentMicro: b.spentMicro + micro, debits: b.debits + 1 };
      return { write: true, result: { ok: true, status: this.status(b.spentMicro + micro, b.debits + 1) } };
    });
    if (!outcome.ok) {
      throw new NodeError(
        'GENOFED_BUDGET_EXHAUSTED',
        `query ${queryId} refused: privacy budget exhausted (needs epsilon ${micro / 1e6}, ${outcome.status.remainingEpsilon} of ${outcome.status.totalEpsilon} left)`,
      );
    }
    return outcome.status;
  }
}

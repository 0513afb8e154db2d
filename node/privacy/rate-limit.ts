/**
 * Rate limits per key holder: at most `perHour` queries in any 60-minute
 * window and `perDay` in any 24-hour window per coordinator (all its
 * researchers together), and `perHourPerResearcher` / `perDayPerResearcher`
 * per (coordinator, researcher) beneath that. Counted exactly (a sliding
 * log of admission times, not a token bucket: a bucket of 10/hour lets 20
 * through in one clock hour, burst plus refill). The log lives in the
 * privacy ledger, so restarting the node does not reset it; in memory only
 * the last two days are kept (perDay is capped at 100,000 by the policy
 * schema).
 */
import { NodeError } from '../errors.js';
import { lowerBound, type PrivacyLedger, type Querier, querierKey } from './ledger-log.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface RateLimits {
  /** Per coordinator. */
  readonly perHour?: number | undefined;
  readonly perDay?: number | undefined;
  /** Per (coordinator, researcher), beneath the coordinator's. */
  readonly perHourPerResearcher?: number | undefined;
  readonly perDayPerResearcher?: number | undefined;
}

/** Milliseconds until one more admission fits `perHour`/`perDay` over the sorted times `sorted`; 0 = admitted now. */
export function retryAfter(sorted: readonly number[], now: number, perHour: number | undefined, perDay: number | undefined): number {
  let retryAfterMs = 0;
  const upTo = lowerBound(sorted, now + 1);
  for (const [max, span] of [[perHour, HOUR_MS], [perDay, DAY_MS]] as const) {
    if (max === undefined) continue;
    const from = lowerBound(sorted, now - span + 1);
    const inWindow = upTo - from;
    if (inWindow >= max) {
      // Admitted again once the oldest admission that keeps the window full has left it.
      const oldestBlocking = sorted[upTo - max]!;
      retryAfterMs = Math.max(retryAfterMs, oldestBlocking + span - now + 1);
    }
  }
  return retryAfterMs;
}

export type RateDecision = { readonly ok: true; readonly history: number[] } | { readonly ok: false; readonly retryAfterMs: number; readonly history: number[] };

/**
 * Decide one admission at `now` against the admission times `history`;
 * returns the last 24 h of it, sorted (with `now` appended when admitted).
 */
export function slidingWindow(history: readonly number[], now: number, limits: { perHour?: number | undefined; perDay?: number | undefined }): RateDecision {
  const kept = history.filter((t) => t > now - DAY_MS && t <= now).sort((a, b) => a - b);
  const retryAfterMs = retryAfter(kept, now, limits.perHour, limits.perDay);
  if (retryAfterMs > 0) return { ok: false, retryAfterMs, history: kept };
  kept.push(now);
  return { ok: true, history: kept };
}

export class RateLimiter {
  private readonly now: () => number;

  constructor(readonly ledger: PrivacyLedger, options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Count one query for `querier`, durably, or throw GENOFED_RATE_LIMITED (nothing counted). */
  async admit(querier: Querier, limits: RateLimits): Promise<void> {
    const { perHour, perDay, perHourPerResearcher, perDayPerResearcher } = limits;
    if (perHour === undefined && perDay === undefined && perHourPerResearcher === undefined && perDayPerResearcher === undefined) return;
    const now = this.now();
    const d = await this.ledger.transact((v) => {
      const coordinator = retryAfter(v.rates.get(querier.coordinator) ?? [], now, perHour, perDay);
      const researcher = retryAfter(v.researcherRates.get(querierKey(querier)) ?? [], now, perHourPerResearcher, perDayPerResearcher);
      const result = { coordinator, researcher };
      if (coordinator > 0 || researcher > 0) return { ops: [], result };
      return { ops: [{ op: 'rate' as const, coordinator: querier.coordinator, researcher: querier.researcher, at: now }], result };
    });
    if (d.coordinator > 0 || d.researcher > 0) {
      const which = d.coordinator >= d.researcher ? 'this coordinator' : 'this researcher';
      throw new NodeError('GENOFED_RATE_LIMITED', `query refused: rate limit reached for ${which}; retry in ${Math.ceil(Math.max(d.coordinator, d.researcher) / 1000)} s`);
    }
  }
}

/**
 * Rate limit per querier: at most `perHour` queries in any 60-minute
 * window and `perDay` in any 24-hour window, counted exactly (a sliding
 * log of admission times, not a token bucket: a bucket of 10/hour lets 20
 * through in one clock hour, burst plus refill). The log lives in the
 * privacy ledger, so restarting the node does not reset it; only the last
 * 24 h are kept (perDay is capped at 100,000 by the policy schema: the log
 * stays under ~1.5 MB per querier).
 */
import { NodeError } from '../errors.js';
import { type PrivacyLedger, type Querier, querierKey } from './budget-ledger.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface RateLimits {
  readonly perHour?: number | undefined;
  readonly perDay?: number | undefined;
}

export type RateDecision = { readonly ok: true; readonly history: number[] } | { readonly ok: false; readonly retryAfterMs: number; readonly history: number[] };

/**
 * Decide one admission at `now` against the sorted admission times
 * `history`; returns the pruned history (with `now` appended when admitted).
 */
export function slidingWindow(history: readonly number[], now: number, limits: RateLimits): RateDecision {
  const kept = history.filter((t) => t > now - DAY_MS && t <= now);
  let retryAfterMs = 0;
  const windows: [number | undefined, number][] = [[limits.perHour, HOUR_MS], [limits.perDay, DAY_MS]];
  for (const [max, span] of windows) {
    if (max === undefined) continue;
    const inWindow = kept.filter((t) => t > now - span);
    if (inWindow.length >= max) {
      // Admitted again once the oldest admission that keeps the window full has left it.
      const oldestBlocking = inWindow[inWindow.length - max]!;
      retryAfterMs = Math.max(retryAfterMs, oldestBlocking + span - now + 1);
    }
  }
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
    if (limits.perHour === undefined && limits.perDay === undefined) return;
    const now = this.now();
    const key = querierKey(querier);
    const d = await this.ledger.transact((state) => {
      const d = slidingWindow(state.rates[key] ?? [], now, limits);
      if (d.ok) state.rates[key] = d.history;
      return { write: d.ok, result: d };
    });
    if (!d.ok) {
      throw new NodeError('GENOFED_RATE_LIMITED', `query refused: rate limit reached for this querier; retry in ${Math.ceil(d.retryAfterMs / 1000)} s`);
    }
  }
}

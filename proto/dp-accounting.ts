/**
 * The Skellam mechanism's privacy accounting, written once for both
 * parties: a node turns the signed epsilon and its kind's sensitivity into
 * the noise it adds (node/privacy/skellam.ts draws it), and the coordinator
 * recomputes the same mu to check the scale every site signs into its
 * answer header (coordinator/federation/engine.ts) and, for the expression
 * kinds, to refuse a query whose noise would leave the exact range before
 * any budget is spent. Pure arithmetic; no imports.
 *
 * Accounting: the Skellam mechanism's Renyi-DP bound (Agarwal, Kairouz,
 * Liu, "The Skellam Mechanism for Differentially Private Federated
 * Learning", NeurIPS 2021, Theorem 3.5): for L1/L2 sensitivities D1, D2 and
 * order a > 1,
 *   eps_a <= a D2^2 / (4 mu) + min(((2a - 1) D2^2 + 6 D1) / (16 mu^2), 3 D1 / (4 mu)),
 * composed additively over releases (RDP composition), and converted to
 * (eps, delta)-DP with Canonne, Kamath, Steinke 2020 (Prop. 12):
 *   eps = eps_a + log((a - 1) / a) - (log delta + log a) / (a - 1),
 * minimized over integer orders a = 2..4096.
 */

/** Why a default: (eps, delta) needs a delta; 1e-6 is below 1/N for any cohort genofed serves (N <= 10^5 per node). */
export const DEFAULT_DELTA = 1e-6;

/**
 * Why a limit: the Poisson sampler draws in doubles (exact integers below
 * 2^53, node/privacy/skellam.ts); a network mu below 2^50 leaves every
 * share's draw, and the difference of two, exact with a wide margin. A
 * release that would need more noise is refused (the expression kinds:
 * fewer genes, or a smaller clip).
 */
export const MAX_SKELLAM_MU = 2 ** 50;

/**
 * The largest change one person makes to a release, over all its values
 * at once: L1 (sum of the changes) and L2 (root of the sum of squares), in
 * the released integers' units.
 */
export interface Sensitivity {
  readonly l1: number;
  readonly l2: number;
}

/** `counts` values each changed by at most `perValue`: L1 = counts x perValue, L2 = sqrt(counts) x perValue. */
export function uniformSensitivity(perValue: number, counts: number): Sensitivity {
  return { l1: counts * perValue, l2: Math.sqrt(counts) * perValue };
}

/** Why: the RDP bound per (alpha); exported for tests and for the budget ledger's composition. */
export function skellamRdp(alpha: number, mu: number, l1: number, l2: number): number {
  return (alpha * l2 * l2) / (4 * mu) + Math.min(((2 * alpha - 1) * l2 * l2 + 6 * l1) / (16 * mu * mu), (3 * l1) / (4 * mu));
}

const ORDERS: readonly number[] = Array.from({ length: 4095 }, (_, i) => i + 2);

export interface SkellamEpsilonOptions {
  /** Skellam parameter of the network total's noise (variance 2 mu). */
  readonly mu: number;
  readonly delta?: number;
  /** Largest change of one count when one person is added or removed (2 for AC of a diploid site, 1 for a cohort count). */
  readonly sensitivity?: number;
  /**
   * How many counts one person can change, each by up to `sensitivity`
   * (e.g. every variant of an AF query: L1 = counts x sensitivity,
   * L2 = sqrt(counts) x sensitivity). Default 1.
   */
  readonly counts?: number;
  /** Or the norms themselves (values changed by different amounts: the expression kinds); wins over sensitivity and counts. */
  readonly norms?: Sensitivity;
  /** Independent releases composed (RDP adds up). Default 1. */
  readonly releases?: number;
}

function normsOf(o: { sensitivity?: number; counts?: number; norms?: Sensitivity }): Sensitivity {
  if (o.norms) {
    checkPositive('l1', o.norms.l1);
    checkPositive('l2', o.norms.l2);
    return o.norms;
  }
  const counts = o.counts ?? 1;
  checkPositive('sensitivity', o.sensitivity ?? Number.NaN);
  checkPositive('counts', counts);
  return uniformSensitivity(o.sensitivity!, counts);
}

/** Why: the (eps, delta) a release (or many) with Skellam(mu) noise costs; the inverse of `skellamMu`. */
export function skellamEpsilon(opts: SkellamEpsilonOptions): number {
  const delta = opts.delta ?? DEFAULT_DELTA;
  const releases = opts.releases ?? 1;
  checkPositive('mu', opts.mu);
  const { l1, l2 } = normsOf(opts);
  checkPositive('releases', releases);
  if (!(delta > 0 && delta < 1)) throw new RangeError('delta must be in (0, 1)');
  let best = Infinity;
  for (const a of ORDERS) {
    const eps = releases * skellamRdp(a, opts.mu, l1, l2) + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best) best = eps;
  }
  return Math.max(best, 0);
}

export interface SkellamMuOptions {
  readonly epsilon: number;
  readonly delta?: number;
  readonly sensitivity?: number;
  /** As in `skellamEpsilon`: counts one person can change in this release. Default 1. */
  readonly counts?: number;
  /** As in `skellamEpsilon`: the norms themselves. */
  readonly norms?: Sensitivity;
}

/**
 * Why: a node turns the consortium's (epsilon, delta) per release into the
 * noise it adds. Smallest mu (to 0.1%) whose release costs at most epsilon;
 * bisection on log mu, as skellamEpsilon decreases in mu. Deterministic:
 * the coordinator recomputes the nodes' mu bit for bit.
 */
export function skellamMu(opts: SkellamMuOptions): number {
  checkPositive('epsilon', opts.epsilon);
  const norms = normsOf(opts);
  const cost = (mu: number): number => skellamEpsilon({ mu, delta: opts.delta, norms });
  let lo = 1e-6;
  let hi = 1;
  while (cost(hi) > opts.epsilon) {
    lo = hi;
    hi *= 4;
    if (hi > 1e15) throw new RangeError('epsilon is too small for any practical noise');
  }
  while (hi / lo > 1.001) {
    const mid = Math.sqrt(lo * hi);
    if (cost(mid) > opts.epsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}

function checkPositive(name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a finite positive number`);
}

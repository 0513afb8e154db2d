/**
 * Distributed Skellam noise for differentially private network totals.
 *
 * Each of n participating nodes adds Poisson(mu/n) - Poisson(mu/n) to each
 * count before encrypting; Poisson is infinitely divisible, so the network
 * total carries exactly Skellam(mu, mu) noise (variance 2 mu) whoever the
 * participants are, and no single party (the coordinator included) knows
 * the noise. Shares are signed integers, added mod t (a negative x is t - x)
 * and read back with crypto/'s `centered()`.
 *
 * Accounting (how much noise an epsilon buys: the Skellam mechanism's
 * Renyi-DP bound) is proto/dp-accounting.ts, shared with the coordinator,
 * which recomputes every answer's mu; it is re-exported here.
 *
 * Imports node built-ins and proto/dp-accounting.ts only.
 */
import { randomBytes } from 'node:crypto';

export { DEFAULT_DELTA, MAX_SKELLAM_MU, skellamEpsilon, skellamMu, skellamRdp, uniformSensitivity, type Sensitivity, type SkellamEpsilonOptions, type SkellamMuOptions } from '../../proto/dp-accounting.js';

/**
 * Why a default: the total (epsilon, delta = DEFAULT_DELTA) one querier may
 * spend at a node when the consortium enables DP without choosing; the same
 * as budget-ledger.ts's default. Measured (`npm run bench -- --suite
 * privacy`, README.md "Noise"): an attacker who spends all of it on one AF
 * query of 24,144 genome-wide 1000G variants gets membership-inference power
 * 2.1-3.1% at 1% false positives (floor of the best-of-four attack: 1.2-1.8%;
 * 94-100% with DP off); 8 was indistinguishable, 64 reached 4.8-5.9%.
 */
export const DEFAULT_EPSILON_BUDGET = 10;

/** Why a default: one query's epsilon when the query does not ask for another (10 queries fit the default budget; the same defaults as budget-ledger.ts). */
export const DEFAULT_QUERY_EPSILON = 1;

/** Why: noise must come from a CSPRNG (a predictable PRNG lets the coordinator subtract it). */
export type UniformSource = () => number;

/** Uniform doubles in (0, 1) from node:crypto randomBytes, 53 bits each, refilled 64 KiB at a time. */
export function cryptoUniform(): UniformSource {
  let buf = randomBytes(65_536);
  let pos = 0;
  return () => {
    for (;;) {
      if (pos + 8 > buf.length) {
        buf = randomBytes(65_536);
        pos = 0;
      }
      const hi = buf.readUInt32LE(pos) >>> 11; // 21 bits
      const lo = buf.readUInt32LE(pos + 4); // 32 bits
      pos += 8;
      const u = (hi * 4294967296 + lo) / 9007199254740992; // [0, 1) in steps of 2^-53
      if (u > 0) return u;
    }
  };
}

/**
 * Why: one Poisson(lambda) draw; inversion by sequential search below
 * lambda = 10 (mean cost ~lambda + 1 uniforms), PTRS (Hormann 1993, "The
 * transformed rejection method for generating Poisson random variables")
 * above (~1.1 uniform pairs per draw whatever lambda).
 */
export function poisson(lambda: number, u: UniformSource): number {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError('lambda must be a finite non-negative number');
  if (lambda === 0) return 0;
  return lambda < 10 ? poissonInversion(lambda, u) : poissonPtrs(lambda, u);
}

function poissonInversion(lambda: number, u: UniformSource): number {
  const x = u();
  let p = Math.exp(-lambda);
  let cdf = p;
  let k = 0;
  // The tail beyond k = 1,000 at lambda < 10 is below 1e-300: the loop ends.
  while (x > cdf && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

function poissonPtrs(lambda: number, u: UniformSource): number {
  const slam = Math.sqrt(lambda);
  const logLam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = u() - 0.5;
    const V = u();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (Math.log(V) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= logPoissonPmf(k, lambda, logLam)) return k;
  }
}

const LOG_FACT_TABLE: Float64Array = (() => {
  const t = new Float64Array(256);
  for (let k = 1; k < 256; k++) t[k] = t[k - 1]! + Math.log(k);
  return t;
})();

/**
 * log P(X = k) for X ~ Poisson(lambda): -lambda + k log(lambda) - log(k!).
 * Below k = 256 from a table of log(k!). Above, that sum cancels: at
 * lambda = 2^40 each term is ~2^45 and one ulp is 2^-7, at 2^50 it is 8,
 * larger than the log-probabilities PTRS compares, so the draws' tails
 * would be wrong. With Stirling's series for log(k!) (error < 1e-15
 * relative there) and d = k + 1 - lambda (exact: both ~lambda), the terms
 * regroup as d - k log1p(d / lambda) - log(k + 1) / 2 - log(2 pi) / 2 -
 * (series), each small where the pmf is not negligible; accurate to ~1e-9
 * for any lambda below 2^52 (MAX_SKELLAM_MU keeps shares below 2^50).
 */
function logPoissonPmf(k: number, lambda: number, logLam: number): number {
  if (k < 256) return -lambda + k * logLam - LOG_FACT_TABLE[k]!;
  const x = k + 1;
  const d = x - lambda;
  const series = 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
  return d - k * Math.log1p(d / lambda) - 0.5 * Math.log(x) - 0.5 * Math.log(2 * Math.PI) - series;
}

export interface NoiseShareOptions {
  /** The network total's Skellam parameter (from `skellamMu`). */
  readonly mu: number;
  /** Number of participating nodes n (each adds Poisson(mu/n) - Poisson(mu/n)). */
  readonly parties: number;
  readonly length: number;
  /** Uniform source; default `cryptoUniform()`. Tests may pass a seeded one. */
  readonly rng?: UniformSource;
}

/**
 * Why: this node's share of the noise, one signed integer per count.
 * Int32: a share beyond 2^31 would need mu/n ~ 2^61, far past any budget.
 */
export function noiseShare(opts: NoiseShareOptions): Int32Array {
  checkPositive('mu', opts.mu);
  if (!Number.isSafeInteger(opts.parties) || opts.parties < 1) throw new RangeError('parties must be a positive integer');
  if (!Number.isSafeInteger(opts.length) || opts.length < 0) throw new RangeError('length must be a non-negative integer');
  const u = opts.rng ?? cryptoUniform();
  const lambda = opts.mu / opts.parties;
  const out = new Int32Array(opts.length);
  for (let i = 0; i < opts.length; i++) out[i] = poisson(lambda, u) - poisson(lambda, u);
  return out;
}

/**
 * Why: the encryptor adds a mask mod t; a noise share rides in the same
 * mask: returns (mask + noise) mod t, or noise mod t when mask is absent
 * (negative x encoded as t - |x|). Decode the total with crypto/'s `centered()`:
 * that is exact while |total noise| + the counts' sum bound < t/2 (t ~ 2^30:
 * a noise standard deviation of 10^4 leaves a 10^4-sigma margin).
 */
export function addNoiseModT(noise: Int32Array, plainModulus: bigint, mask?: Uint32Array, offset = 0): Uint32Array {
  if (plainModulus < 2n || plainModulus >= 2n ** 32n) throw new RangeError('plainModulus must be in [2, 2^32)');
  const t = Number(plainModulus);
  const out = mask ? Uint32Array.from(mask) : new Uint32Array(noise.length - offset);
  const n = Math.min(out.length, noise.length - offset);
  for (let i = 0; i < n; i++) {
    let v = (out[i]! + (noise[offset + i]! % t)) % t;
    if (v < 0) v += t;
    out[i] = v;
  }
  return out;
}

function checkPositive(name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a finite positive number`);
}

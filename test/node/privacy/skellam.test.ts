/**
 * Distributed Skellam noise (node/privacy/skellam.ts): the Poisson sampler
 * matches the Poisson pmf in both regimes (inversion, PTRS), the sum of n
 * shares has mean 0 and variance 2 mu, shares round-trip through mod-t
 * encoding and crypto/'s centered(), and the calibration is monotone and
 * agrees with a hand computation and the Gaussian-mechanism bound.
 */
import { describe, expect, it } from 'vitest';
import { centered } from '../../../crypto/index.js';
import { addNoiseModT, cryptoUniform, noiseShare, poisson, skellamEpsilon, skellamMu, skellamRdp } from '../../../node/privacy/skellam.js';

const T = 1073479681n; // a 30-bit plain modulus (any t < 2^32 works)

function logPoissonPmf(k: number, lambda: number): number {
  let lf = 0;
  for (let i = 2; i <= k; i++) lf += Math.log(i);
  return -lambda + k * Math.log(lambda) - lf;
}

/** Chi-square of draws against Poisson(lambda), pooling tails so each bin expects >= 20. Returns [statistic, degrees of freedom]. */
function poissonChiSquare(draws: Int32Array | number[], lambda: number): [number, number] {
  const n = draws.length;
  const lo = Math.max(0, Math.floor(lambda - 5 * Math.sqrt(lambda)));
  const hi = Math.ceil(lambda + 6 * Math.sqrt(lambda) + 6);
  // Bins: (<= lo), lo+1 .. hi-1, (>= hi); then merge neighbours until each expects >= 20.
  const probs: number[] = [];
  let below = 0;
  for (let k = 0; k <= lo; k++) below += Math.exp(logPoissonPmf(k, lambda));
  probs.push(below);
  let mid = 0;
  for (let k = lo + 1; k < hi; k++) {
    const p = Math.exp(logPoissonPmf(k, lambda));
    probs.push(p);
    mid += p;
  }
  probs.push(Math.max(0, 1 - below - mid));
  const observed = new Array<number>(probs.length).fill(0);
  for (const d of draws) observed[d <= lo ? 0 : d >= hi ? probs.length - 1 : d - lo]!++;
  const bins: [number, number][] = [];
  let acc: [number, number] = [0, 0];
  for (let i = 0; i < probs.length; i++) {
    acc = [acc[0] + probs[i]! * n, acc[1] + observed[i]!];
    if (acc[0] >= 20) {
      bins.push(acc);
      acc = [0, 0];
    }
  }
  if (acc[0] > 0) bins[bins.length - 1] = [bins[bins.length - 1]![0] + acc[0], bins[bins.length - 1]![1] + acc[1]];
  let chi = 0;
  for (const [e, o] of bins) chi += ((o - e) * (o - e)) / e;
  return [chi, bins.length - 1];
}

/** Chi-square critical value at p = 1e-6 (Wilson-Hilferty; z = 4.753). */
function chiCritical(df: number): number {
  const z = 4.753;
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

describe('Poisson sampler', () => {
  for (const lambda of [0.3, 4, 9.9, 10, 37.5, 2000]) {
    it(`draws follow Poisson(${lambda}) (chi-square over 100,000 draws, p > 1e-6)`, () => {
      const u = cryptoUniform();
      const draws = Array.from({ length: 100_000 }, () => poisson(lambda, u));
      expect(draws.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
      const [chi, df] = poissonChiSquare(draws, lambda);
      expect(df).toBeGreaterThan(2);
      expect(chi).toBeLessThan(chiCritical(df));
    });
  }

  it('the chi-square check rejects draws from the wrong Poisson mean (the test can fail)', () => {
    const u = cryptoUniform();
    const draws = Array.from({ length: 100_000 }, () => poisson(41, u));
    const [chi, df] = poissonChiSquare(draws, 40);
    expect(chi).toBeGreaterThan(chiCritical(df));
  });
});

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf; error < 1.5e-7, far below what 100,000 draws resolve). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Chi-square of draws against Poisson(lambda) for a huge lambda, in 14 bins
 * cut at lambda + z sqrt(lambda) (z = -3, -2.5, ..., 3): there Poisson is
 * normal with continuity correction to ~1/sqrt(lambda) (skewness), 1e-6 at
 * 2^40, invisible in 100,000 draws. [statistic, degrees of freedom].
 */
function bigLambdaChiSquare(draws: readonly number[], lambda: number): [number, number] {
  const sd = Math.sqrt(lambda);
  const edges = Array.from({ length: 13 }, (_, j) => Math.floor(lambda + (-3 + 0.5 * j) * sd));
  const cdf = (k: number): number => normalCdf((k + 0.5 - lambda) / sd);
  const probs = [cdf(edges[0]!), ...edges.slice(1).map((e, j) => cdf(e) - cdf(edges[j]!)), 1 - cdf(edges[12]!)];
  const observed = new Array<number>(14).fill(0);
  for (const d of draws) {
    let b = 0;
    while (b < 13 && d > edges[b]!) b++;
    observed[b]!++;
  }
  let chi = 0;
  probs.forEach((p, b) => { chi += (observed[b]! - p * draws.length) ** 2 / (p * draws.length); });
  return [chi, 13];
}

describe('Poisson sampler at the expression kinds\' noise scales (lambda up to 2^48)', () => {
  function bigLambdaDraws(log2: number): void {
    const lambda = 2 ** log2;
    const u = cryptoUniform();
    const draws = Array.from({ length: 100_000 }, () => poisson(lambda, u));
    expect(draws.every((d) => Number.isSafeInteger(d))).toBe(true);
    const n = draws.length;
    const mean = draws.reduce((s, d) => s + (d - lambda), 0) / n;
    const variance = draws.reduce((s, d) => s + (d - lambda - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(lambda / n));
    expect(Math.abs(variance / lambda - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    const [chi, df] = bigLambdaChiSquare(draws, lambda);
    expect(chi).toBeLessThan(chiCritical(df));
  }

  it('draws follow Poisson(2^30): exact integers, mean and variance within 5 sigma, chi-square over 14 normal bins (100,000 draws, p > 1e-6)', () => bigLambdaDraws(30));
  it('draws follow Poisson(2^40): exact integers, mean and variance within 5 sigma, chi-square over 14 normal bins (100,000 draws, p > 1e-6)', () => bigLambdaDraws(40));
  // The log-pmf as -lambda + k log(lambda) - log(k!) fails this one (variance 3% off): its terms cancel to within an ulp of 2^55.
  it('draws follow Poisson(2^48): exact integers, mean and variance within 5 sigma, chi-square over 14 normal bins (100,000 draws, p > 1e-6)', () => bigLambdaDraws(48));

  it('the big-lambda chi-square rejects draws whose spread is 3% too wide (the test can fail)', () => {
    const lambda = 2 ** 40;
    const u = cryptoUniform();
    const draws = Array.from({ length: 100_000 }, () => lambda + Math.round((poisson(lambda, u) - lambda) * 1.03));
    const [chi, df] = bigLambdaChiSquare(draws, lambda);
    expect(chi).toBeGreaterThan(chiCritical(df));
  });
});

describe('noise shares', () => {
  for (const [mu, parties] of [
    [5, 5],
    [60, 3],
    [20_000, 7],
  ] as const) {
    it(`the sum of ${parties} shares at mu=${mu} has mean 0 and variance 2mu (200,000 counts, 5-sigma tolerances)`, () => {
      const length = 200_000;
      const sum = new Float64Array(length);
      for (let p = 0; p < parties; p++) {
        const share = noiseShare({ mu, parties, length });
        expect(share).toBeInstanceOf(Int32Array);
        for (let i = 0; i < length; i++) sum[i]! += share[i]!;
      }
      let mean = 0;
      for (const v of sum) mean += v;
      mean /= length;
      let variance = 0;
      for (const v of sum) variance += (v - mean) * (v - mean);
      variance /= length - 1;
      const sigma2 = 2 * mu;
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(sigma2 / length));
      // sd of the sample variance ~ sigma^2 sqrt((2 + 1/(2mu)) / n) (Skellam excess kurtosis 1/(2mu)).
      expect(Math.abs(variance - sigma2)).toBeLessThan(5 * sigma2 * Math.sqrt((2 + 1 / (2 * mu)) / length));
    });
  }

  it('shares added mod t to counts and masks decode with centered() to counts + noise', () => {
    const counts = Uint32Array.from({ length: 1000 }, (_, i) => i % 7);
    const noise = noiseShare({ mu: 400, parties: 1, length: 1000 });
    expect(noise.some((v) => v < 0)).toBe(true);
    const mask = Uint32Array.from({ length: 1000 }, (_, i) => (i * 2654435761) % Number(T));
    const slots = addNoiseModT(noise, T, mask);
    // What the aggregate decrypts to: counts + slots - mask, mod t (the mask cancels against the other sites').
    const total = BigUint64Array.from({ length: 1000 }, (_, i) => (BigInt(counts[i]!) + BigInt(slots[i]!) - BigInt(mask[i]!) + T) % T);
    expect(Array.from(centered(total, T), Number)).toEqual(Array.from(counts, (c, i) => c + noise[i]!));
    expect(Array.from(addNoiseModT(Int32Array.of(-1, 0, 5), T))).toEqual([Number(T) - 1, 0, 5]);
  });
});

describe('calibration', () => {
  it('the Renyi bound matches a hand computation (alpha 2, mu 100, L1 = L2 = 2: 0.02 + 0.00015)', () => {
    expect(skellamRdp(2, 100, 2, 2)).toBeCloseTo(0.02015, 12);
    // Here the 3 L1 / (4 mu) branch is the smaller one: 0.01 + 3/4.
    expect(skellamRdp(2, 1, 1, 1)).toBeCloseTo(0.5 + Math.min((3 + 6) / 16, 0.75), 12);
  });

  it('mu decreases as epsilon grows, and skellamEpsilon inverts skellamMu', () => {
    const eps = [0.1, 0.3, 1, 3, 10];
    const mus = eps.map((epsilon) => skellamMu({ epsilon, sensitivity: 2 }));
    for (let i = 1; i < mus.length; i++) expect(mus[i]!).toBeLessThan(mus[i - 1]!);
    for (let i = 0; i < eps.length; i++) {
      const back = skellamEpsilon({ mu: mus[i]!, sensitivity: 2 });
      expect(back).toBeLessThanOrEqual(eps[i]! * 1.0001);
      expect(back).toBeGreaterThan(eps[i]! * 0.99);
    }
  });

  it('the calibration holds against the exact privacy curve: at eps 1 and 4 the exact hockey-stick delta of Skellam(mu) at shift 2 is <= 1e-6', () => {
    // Exact Skellam pmf by convolving two Poisson(mu) pmfs (an independent computation, not the RDP bound).
    for (const epsilon of [1, 4]) {
      const mu = skellamMu({ epsilon, delta: 1e-6, sensitivity: 2 });
      const n = Math.ceil(mu + 40 * Math.sqrt(mu) + 40);
      const pois = Float64Array.from({ length: n + 1 }, (_, k) => Math.exp(logPoissonPmf(k, mu)));
      const pmf = (d: number): number => {
        let p = 0;
        for (let j = Math.max(0, -d); j + d <= n && j <= n; j++) p += pois[j + d]! * pois[j]!;
        return p;
      };
      let delta = 0;
      let mass = 0;
      for (let d = -n; d <= n + 2; d++) {
        const p = pmf(d);
        mass += p;
        delta += Math.max(0, p - Math.exp(epsilon) * pmf(d - 2));
      }
      expect(mass).toBeGreaterThan(1 - 1e-9);
      expect(delta).toBeLessThanOrEqual(1e-6);
      // The check can fail: with the (smaller) noise calibrated for 2.5 x epsilon, the exact delta at epsilon exceeds 1e-6.
      let deltaHalf = 0;
      const half = skellamMu({ epsilon: epsilon * 2.5, delta: 1e-6, sensitivity: 2 });
      const nh = Math.ceil(half + 40 * Math.sqrt(half) + 40);
      const ph = Float64Array.from({ length: nh + 1 }, (_, k) => Math.exp(logPoissonPmf(k, half)));
      const pmfh = (d: number): number => {
        let p = 0;
        for (let j = Math.max(0, -d); j + d <= nh && j <= nh; j++) p += ph[j + d]! * ph[j]!;
        return p;
      };
      for (let d = -nh; d <= nh + 2; d++) deltaHalf += Math.max(0, pmfh(d) - Math.exp(epsilon) * pmfh(d - 2));
      expect(deltaHalf).toBeGreaterThan(1e-6);
    }
  });

  it('at epsilon 1, delta 1e-6 the noise sd is below the classic Gaussian-mechanism sd and above half of it', () => {
    // Classic Gaussian mechanism (Dwork-Roth Thm A.1): sigma = D sqrt(2 ln(1.25/delta)) / eps = 2 * 5.30 = 10.6.
    const classic = (2 * Math.sqrt(2 * Math.log(1.25 / 1e-6))) / 1;
    const sd = Math.sqrt(2 * skellamMu({ epsilon: 1, delta: 1e-6, sensitivity: 2 }));
    expect(sd).toBeLessThan(classic);
    expect(sd).toBeGreaterThan(classic / 2);
  });

  it('composition over counts costs more: one person in 1,000 counts needs more noise than in one', () => {
    const one = skellamMu({ epsilon: 1, sensitivity: 2 });
    const many = skellamMu({ epsilon: 1, sensitivity: 2, counts: 1000 });
    expect(many).toBeGreaterThan(100 * one);
    expect(skellamEpsilon({ mu: one, sensitivity: 2, releases: 1000 })).toBeGreaterThan(10);
  });

  it('refuses parameters that make no sense', () => {
    expect(() => skellamMu({ epsilon: 0, sensitivity: 2 })).toThrow(RangeError);
    expect(() => skellamEpsilon({ mu: 10, sensitivity: 2, delta: 1 })).toThrow(RangeError);
    expect(() => noiseShare({ mu: 10, parties: 0, length: 5 })).toThrow(RangeError);
    expect(() => poisson(-1, cryptoUniform())).toThrow(RangeError);
  });
});

/**
 * Seeded draws for the synthetic expression data: uniform on (0, 1),
 * normal (Marsaglia's polar method), gamma (Marsaglia-Tsang), Poisson (inversion below
 * 10, Hormann's PTRS transformed rejection above) and the negative binomial
 * as a gamma-Poisson mixture (mean mu, variance mu + phi mu^2), the model
 * of RNA-seq counts in edgeR/DESeq2 and of simulators such as polyester and
 * compcodeR. Everything is plain arithmetic on one mulberry32 stream (the demo's
 * generator, inlined), so
 * the same seed gives the same draws on every platform (V8's Math.log/exp
 * are the fdlibm ports).
 */
export class Draws {
  /** mulberry32's state (coordinator/demo/demo-arm.ts), inlined: the generator draws tens of millions of numbers. */
  #a: number;
  #spare = 0;
  #hasSpare = false;
  #shape = 0;
  #d = 0;
  #c = 0;

  constructor(seed: number) {
    this.#a = seed >>> 0;
  }

  /** mulberry32's next value in [0, 1), 32-bit resolution. */
  #next(): number {
    const a = (this.#a = (this.#a + 0x6d2b79f5) >>> 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform on the open interval (0, 1): never 0, so log(u) is finite. */
  uniform(): number {
    return this.#next() + 1 / 8589934592;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** lo + (hi - lo) u. */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.#next();
  }

  /** -1 or +1, even odds. */
  sign(): number {
    return this.#next() < 0.5 ? -1 : 1;
  }

  /** Marsaglia's polar method: two normals per accepted pair, no trigonometry. */
  normal(mean = 0, sd = 1): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return mean + sd * this.#spare;
    }
    for (;;) {
      const u = 2 * this.#next() - 1;
      const v = 2 * this.#next() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      this.#spare = v * f;
      this.#hasSpare = true;
      return mean + sd * u * f;
    }
  }

  /** Gamma(shape, scale 1). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform(), 1 / shape);
    if (shape !== this.#shape) {
      // A gene's counts share one shape: its constants are computed once per gene, not per draw.
      this.#shape = shape;
      this.#d = shape - 1 / 3;
      this.#c = 1 / Math.sqrt(9 * this.#d);
    }
    const d = this.#d;
    const c = this.#c;
    for (;;) {
      const x = this.normal();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = this.uniform();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda < 10) {
      // Inversion: walk the CDF (expected lambda + 1 steps).
      const u = this.uniform();
      let p = Math.exp(-lambda);
      let f = p;
      let k = 0;
      while (u > f && k < 1000) {
        k += 1;
        p *= lambda / k;
        f += p;
      }
      return k;
    }
    return this.#ptrs(lambda);
  }

  /** Hormann (1993), "The transformed rejection method for generating Poisson random variables" (numpy's generator). */
  #ptrs(lambda: number): number {
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }

  /** Negative binomial with mean mu and dispersion phi (variance mu + phi mu^2): Poisson(mu x Gamma(1/phi, phi)). */
  negativeBinomial(mu: number, phi: number): number {
    if (phi <= 0) return this.poisson(mu);
    return this.poisson(mu * phi * this.gamma(1 / phi));
  }
}

const LOG_FACT = new Float64Array(128);
for (let k = 1; k < LOG_FACT.length; k++) LOG_FACT[k] = LOG_FACT[k - 1]! + Math.log(k);

/** log(k!): a table below 128, Stirling's series above (error < 1e-12 there). */
export function logFactorial(k: number): number {
  if (k < LOG_FACT.length) return LOG_FACT[k]!;
  const x = k + 1;
  const x2 = x * x;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + (1 / 12 - (1 / 360 - 1 / (1260 * x2)) / x2) / x;
}

/**
 * The few distribution functions the statistics need (chi-square and normal
 * tails, the normal quantile, the gamma quantile), in double precision with
 * relative accuracy near 1e-15 over the range the tests cover: chi-square
 * tails down to 1e-300, Poisson bounds for counts up to millions.
 *
 * Poisson probabilities use Loader's saddle-point form (C. Loader, "Fast and
 * accurate computation of binomial probabilities", 2000: stirlerr and bd0),
 * which keeps full relative precision where exp(a ln x - x - lnGamma(a+1))
 * would cancel millions against millions. The regularized incomplete gamma
 * function uses its power series below x = a + 1 and Legendre's continued
 * fraction (modified Lentz) above it (Numerical Recipes, 3rd ed., 6.2).
 */

const LN_SQRT_2PI = 0.9189385332046728; // ln(sqrt(2 pi))
const EPS = Number.EPSILON;
const TINY = 1e-300;

/** ln Gamma(x) for x > 0: shifted up to 15, then Stirling's series (error < 1e-16 there). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let shift = 0;
  let prod = 1;
  while (x < 15) {
    prod *= x;
    x += 1;
    shift += 1;
  }
  const lg = (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingSeries(x);
  return shift ? lg - Math.log(prod) : lg;
}

/** ln Gamma(x) - [(x - 1/2) ln x - x + ln sqrt(2 pi)] for x >= 15: five terms, truncation < 3e-17. */
function stirlingSeries(x: number): number {
  const x2 = x * x;
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / x2) / x2) / x2) / x2) / x;
}

/** Loader's stirlerr(n) = ln Gamma(n+1) - (n + 1/2) ln n + n - ln sqrt(2 pi), n > 0. */
function stirlerr(n: number): number {
  if (n >= 15) return stirlingSeries(n);
  return logGamma(n + 1) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
}

/** Loader's bd0(x, m) = x ln(x/m) + m - x, without cancellation when x is near m. */
function bd0(x: number, m: number): number {
  if (x === 0) return m;
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    const v = (x - m) / (x + m);
    const v2 = v * v;
    let s = (x - m) * v;
    let ej = 2 * x * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v2;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** ln of x^k e^-x / Gamma(k+1) (the Poisson pmf for integer k), k >= 0 real, x >= 0. */
export function logPoissonPmf(k: number, x: number): number {
  if (x === 0) return k === 0 ? 0 : Number.NEGATIVE_INFINITY;
  if (k === 0) return -x;
  return -stirlerr(k) - bd0(k, x) - 0.5 * Math.log(2 * Math.PI * k);
}

/** Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), a > 0, x >= 0. */
export function regularizedGammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), accurate in its own right when small. */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

/** P(a, x) = pmf(a; x) * sum_n x^n / ((a+1)...(a+n)); terms fall geometrically once n > x - a. */
function gammaSeries(a: number, x: number): number {
  let term = 1;
  let sum = 1;
  const maxIter = 1000 + Math.ceil(40 * Math.sqrt(a));
  for (let n = 1; n < maxIter; n++) {
    term *= x / (a + n);
    sum += term;
    if (term < sum * EPS) break;
  }
  return Math.exp(logPoissonPmf(a, x)) * sum;
}

/** Q(a, x) by Legendre's continued fraction (modified Lentz), for x >= a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  const maxIter = 1000 + Math.ceil(40 * Math.sqrt(a));
  for (let i = 1; i < maxIter; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  // x^a e^-x / Gamma(a) = a * pmf(a; x)
  return Math.exp(logPoissonPmf(a, x) + Math.log(a)) * h;
}

/**
 * Upper tail of the chi-square distribution, P(X >= x) for df degrees of
 * freedom (R's `pchisq(x, df, lower.tail = FALSE)`); 1 for x <= 0. Below
 * about 1e-308 the result is subnormal and loses relative precision (as R's).
 */
export function chiSquareUpperTail(x: number, df: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return regularizedGammaQ(df / 2, x / 2);
}

/** Upper tail of the standard normal, P(Z >= z). */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const half = 0.5 * regularizedGammaQ(0.5, (z * z) / 2);
  return z >= 0 ? half : 1 - half;
}

/**
 * The standard normal quantile Phi^-1(p) (R's `qnorm(p)`): Abramowitz and
 * Stegun 26.2.23 as a start (error < 4.5e-4), then Halley steps on the
 * accurate tail above to full double precision.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  if (p === 0.5) return 0;
  const q = p < 0.5 ? p : 1 - p; // upper-tail probability of |z|
  const t = Math.sqrt(-2 * Math.log(q));
  let z = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  for (let i = 0; i < 20; i++) {
    const density = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    if (density === 0) break;
    // f(z) = Q(z) - q, f' = -phi, f'' = z phi: Halley's step is u / (1 + z u / 2), u = (Q(z) - q) / phi
    const u = (normalUpperTail(z) - q) / density;
    const step = u / (1 + (z * u) / 2);
    z += step;
    if (Math.abs(step) <= 4 * EPS * Math.abs(z)) break;
  }
  return p < 0.5 ? -z : z;
}

/**
 * The p-quantile of the Gamma(shape, rate 1) distribution (R's
 * `qgamma(p, shape)`): the lambda with P(shape, lambda) = p. Wilson-Hilferty
 * start, then Newton steps kept inside a bracket (bisection when a step leaves it).
 */
export function gammaQuantile(p: number, shape: number): number {
  if (!(shape > 0) || Number.isNaN(p)) return Number.NaN;
  if (p <= 0) return 0;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const z = normalQuantile(p);
  const wh = 1 - 1 / (9 * shape) + z / (3 * Math.sqrt(shape));
  // Small shapes or far lower tails: P(a, x) ~ x^a / Gamma(a + 1).
  let x = wh > 0.2 ? shape * wh * wh * wh : Math.exp((Math.log(p) + logGamma(shape + 1)) / shape);
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 200; i++) {
    const f = regularizedGammaP(shape, x) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    // density x^(a-1) e^-x / Gamma(a) = a * pmf(a; x) / x
    const density = Math.exp(logPoissonPmf(shape, x) + Math.log(shape) - Math.log(x));
    let next = density > 0 ? x - f / density : Number.NaN;
    if (!(next > lo && next < hi)) next = hi === Number.POSITIVE_INFINITY ? 2 * x : (lo + hi) / 2;
    if (Math.abs(next - x) <= 2 * EPS * x) return next;
    x = next;
  }
  return x;
}

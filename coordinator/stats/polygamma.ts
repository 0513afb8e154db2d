/**
 * The polygamma functions limma's empirical Bayes needs: digamma and
 * trigamma (R `digamma`, `trigamma`) from @stdlib (ports of Boost, ~1e-15
 * relative), tetragamma (R `psigamma(x, deriv = 2)`) written here for the
 * Newton step only, and limma's `trigammaInverse`, step for step.
 */
import stdlibDigamma from '@stdlib/math-base-special-digamma';
import stdlibTrigamma from '@stdlib/math-base-special-trigamma';

/** R `digamma(x)`. */
export function digamma(x: number): number {
  return stdlibDigamma(x);
}

/** R `trigamma(x)`. */
export function trigamma(x: number): number {
  return stdlibTrigamma(x);
}

/**
 * R `psigamma(x, deriv = 2)` for x > 0: the recurrence psi''(x) =
 * psi''(x + 1) - 2 / x^3 up to x >= 20, then the asymptotic series (the
 * derivative of trigamma's Bernoulli series; truncation < 1e-22 there).
 */
export function tetragamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let acc = 0;
  while (x < 20) {
    acc -= 2 / (x * x * x);
    x += 1;
  }
  const r = 1 / x;
  const r2 = r * r;
  // -1/x^2 - 1/x^3 - 1/(2x^4) + 1/(6x^6) - 1/(6x^8) + 3/(10x^10) - 5/(6x^12) + 691/(210x^14)
  const tail = r2 * r2 * (-0.5 + r2 * (1 / 6 + r2 * (-1 / 6 + r2 * (3 / 10 + r2 * (-5 / 6 + r2 * (691 / 210))))));
  return acc - r2 - r2 * r + tail;
}

/**
 * limma's `trigammaInverse(x)`: the y with trigamma(y) = x, by R's own
 * Newton iteration from y = 0.5 + 1/x, stopping when the relative step is
 * below 1e-8 (quadratic convergence leaves ~1e-16); 1/sqrt(x) above 1e7,
 * 1/x below 1e-6, NaN for x < 0 or NaN (R warns there).
 */
export function trigammaInverse(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x > 1e7) return 1 / Math.sqrt(x);
  if (x < 1e-6) return 1 / x;
  let y = 0.5 + 1 / x;
  for (let iter = 1; ; iter++) {
    const tri = trigamma(y);
    const dif = (tri * (1 - tri / x)) / tetragamma(y);
    y += dif;
    if (-dif / y < 1e-8 || iter > 50) break;
  }
  return y;
}

/**
 * Deterministic Miller-Rabin for integers below 3.3e24 (bases 2..37 are
 * exact there; every SEAL modulus is at most 61 bits). Used to validate
 * parameter literals before SEAL sees them, so a typo in a prime is refused
 * with a clear error instead of a SEAL exception or, worse, a weak context.
 */

const BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];

function powMod(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/** True when n is prime (exact for n < 3.3e24). */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of BASES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  outer: for (const a of BASES) {
    let x = powMod(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

/** Number of bits of a positive bigint. */
export function bitLength(n: bigint): number {
  return n <= 0n ? 0 : n.toString(2).length;
}

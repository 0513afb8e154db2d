/** Shared helpers for the crypto tests (not a test file). */
import { CryptoError, type CryptoErrorCode } from '../../crypto/index.js';
import { expect } from 'vitest';

/** Deterministic PRNG (mulberry32) so large vectors need no fast-check shrinking; the one the synthetic VCF generator uses. */
export { prng } from '../bench/synthetic-vcf.js';

/** Uniform integers in [0, max] from a PRNG. */
export function randomCounts(length: number, max: number, rnd: () => number): Uint32Array {
  const out = new Uint32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rnd() * (max + 1));
  return out;
}

/** Run `fn` and return the CryptoError it throws, failing the test otherwise. */
export function cryptoErrorOf(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    return err as CryptoError;
  }
  throw new Error('expected a CryptoError, nothing was thrown');
}

export function expectCode(fn: () => unknown, code: CryptoErrorCode): CryptoError {
  const err = cryptoErrorOf(fn);
  expect(err.code, err.message).toBe(code);
  return err;
}

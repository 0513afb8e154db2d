/** Shared helpers for the crypto tests (not a test file). */
import { CryptoError, type CryptoErrorCode } from '../../crypto/index.js';
import { expect } from 'vitest';

/** Deterministic PRNG (mulberry32) so large vectors need no fast-check shrinking. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

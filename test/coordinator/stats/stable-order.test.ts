/**
 * stableOrder (the association answer's sort by p) against a comparator
 * sort with index tie-breaks, on keys with many ties, zeros of both signs,
 * subnormals, values that differ only in their low bits, and +Infinity.
 */
import { describe, expect, it } from 'vitest';
import { stableOrder } from '../../../coordinator/stats/index.js';

function reference(keys: Float64Array): number[] {
  return Array.from({ length: keys.length }, (_, i) => i).sort((x, y) => (keys[x]! < keys[y]! ? -1 : keys[x]! > keys[y]! ? 1 : x - y));
}

describe('stableOrder', () => {
  it('equals a comparator sort with ties in index order', () => {
    let seed = 5;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pool = [0, -0, Infinity, 1, 0.05, 5e-324, 1e-300, 1 - 2 ** -53, 0.5, 0.5 + 2 ** -53, 3e-8];
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + Math.floor(rnd() * 3000);
      const keys = Float64Array.from({ length: n }, () => (rnd() < 0.5 ? pool[Math.floor(rnd() * pool.length)]! : rnd() ** 8));
      expect(Array.from(stableOrder(keys))).toEqual(reference(keys));
    }
  });

  it('keeps the input order when every key is equal, and handles no keys', () => {
    expect(Array.from(stableOrder(new Float64Array(5).fill(0.25)))).toEqual([0, 1, 2, 3, 4]);
    expect(stableOrder(new Float64Array(0)).length).toBe(0);
  });

  it('refuses a negative or NaN key', () => {
    expect(() => stableOrder(Float64Array.from([0.1, -1]))).toThrow(/key 1/);
    expect(() => stableOrder(Float64Array.from([NaN]))).toThrow(/key 0/);
  });
});

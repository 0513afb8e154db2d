/**
 * The exact sums of node/store/expression-sums.ts equal plain BigInt
 * arithmetic (one BigInt product per pair) on random quantized values of
 * every magnitude the fixed point allows: log-CPM-sized values, covariates,
 * the largest safe integers, negative values, and sample counts across the
 * 2,048-product chunk boundary.
 */
import { describe, expect, it } from 'vitest';
import { quantize } from '../../../proto/expression.js';
import { mulberry32 } from '../../../coordinator/demo/demo-arm.js';
import { CHUNK, DesignSums, exactDot, exactSquare, limbCount, splitLimbs } from '../../../node/store/expression-sums.js';

/** Deterministic PRNG (mulberry32): failures reproduce. */
const rng = mulberry32;

/** Quantized values of magnitude below 2^bits (a safe integer; bits <= 53), signed. */
function values(r: () => number, n: number, bits: number, signed = true): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hi = Math.floor(r() * 2 ** Math.max(0, bits - 26));
    const lo = Math.floor(r() * 2 ** Math.min(26, bits));
    let v = hi * 2 ** Math.min(26, bits) + lo;
    if (v >= 2 ** bits) v = 2 ** bits - 1;
    out[i] = signed && r() < 0.5 ? -v : v;
  }
  return out;
}

function refDot(a: Float64Array, b: Float64Array, n: number): bigint {
  let s = 0n;
  for (let i = 0; i < n; i++) s += BigInt(a[i]!) * BigInt(b[i]!);
  return s;
}

describe('exact sums of quantized products', () => {
  it('limb counts: 2 below 2^41, 3 for every other safe integer', () => {
    expect([0, 2 ** 20, 2 ** 41 - 1, 2 ** 41, Number.MAX_SAFE_INTEGER].map(limbCount)).toEqual([2, 2, 2, 3, 3]);
  });

  it('splitting into limbs is exact and each limb is at most 2^21 in magnitude', () => {
    const r = rng(1);
    for (const bits of [5, 20, 21, 34, 41, 42, 53]) {
      const v = values(r, 500, bits);
      v[0] = -(2 ** bits - 1);
      const { k, limbs } = splitLimbs(v, v.length);
      for (let i = 0; i < v.length; i++) {
        let back = 0n;
        for (let j = 0; j < k; j++) {
          expect(Math.abs(limbs[j]![i]!)).toBeLessThanOrEqual(2 ** 21);
          back += BigInt(limbs[j]![i]!) << BigInt(21 * j);
        }
        expect(back).toBe(BigInt(v[i]!));
      }
    }
  });

  for (const [n, bitsA, bitsB] of [[1, 34, 34], [300, 34, 34], [300, 53, 53], [300, 10, 53], [CHUNK, 53, 53], [CHUNK + 1, 53, 53], [5000, 41, 34], [5000, 53, 20]] as const) {
    it(`dot and square of ${n} values below 2^${bitsA} and 2^${bitsB} equal BigInt arithmetic`, () => {
      const r = rng(n * 1000 + bitsA * 10 + bitsB);
      const a = values(r, n, bitsA);
      const b = values(r, n, bitsB);
      const la = splitLimbs(a, n);
      const lb = splitLimbs(b, n);
      expect(exactDot(la, lb, n)).toBe(refDot(a, b, n));
      expect(exactSquare(la, n)).toBe(refDot(a, a, n));
      expect(exactSquare(lb, n)).toBe(refDot(b, b, n));
    });
  }

  for (const [what, max] of [['the largest safe integer (three limbs)', Number.MAX_SAFE_INTEGER], ['the largest two-limb value, 2^41 - 1', 2 ** 41 - 1], ['-2^41 + 1 and 2^20 (two limbs, every chunk sum at its bound)', 2 ** 20]] as const) {
    it(`the extremes: ${what}, signed, over more than one chunk`, () => {
      const n = 3 * CHUNK + 5;
      const a = new Float64Array(n).map((_, i) => (max === 2 ** 20 ? (i % 2 ? -(2 ** 41) + 1 : 2 ** 20) : max));
      const b = a.map((x, i) => (i % 3 === 0 ? -x : x));
      expect(exactDot(splitLimbs(a, n), splitLimbs(b, n), n)).toBe(refDot(a, b, n));
      expect(exactDot(splitLimbs(a, n), splitLimbs(a, n), n)).toBe(refDot(a, a, n));
      expect(exactSquare(splitLimbs(b, n), n)).toBe(refDot(b, b, n));
    });
  }

  it("X'X, X'y and y'y of a quantized design and 200 genes equal BigInt arithmetic (limb scratch reused across genes of other magnitudes)", () => {
    const r = rng(7);
    const n = 301;
    const p = 4;
    // Intercept, a 0/1 group, an age-like covariate, a real-valued one.
    const design = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      design[i * p] = 1;
      design[i * p + 1] = r() < 0.5 ? 1 : 0;
      design[i * p + 2] = Math.floor(20 + r() * 60);
      design[i * p + 3] = (r() - 0.5) * 10;
    }
    const xq = design.map(quantize);
    const sums = new DesignSums(xq, n, p);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) {
        let s = 0n;
        for (let i = 0; i < n; i++) s += BigInt(xq[i * p + a]!) * BigInt(xq[i * p + b]!);
        expect(sums.xtx[a * p + b]).toBe(s);
      }
    }
    const scratch: Float64Array[] = [];
    const xty = new Array<bigint>(p);
    for (let g = 0; g < 200; g++) {
      // log-CPM-like values, sometimes tiny (one limb), sometimes the largest the contract allows.
      const scale = g % 3 === 0 ? 2 ** -6 : g % 3 === 1 ? 20 : 2 ** 28;
      const y = new Float64Array(n).map(() => quantize((r() - 0.3) * scale));
      const yty = sums.gene(y, xty, 0, scratch);
      expect(yty).toBe(refDot(y, y, n));
      for (let a = 0; a < p; a++) {
        let s = 0n;
        for (let i = 0; i < n; i++) s += BigInt(xq[i * p + a]!) * BigInt(y[i]!);
        expect(xty[a]).toBe(s);
      }
    }
  });
});

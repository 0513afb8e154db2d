/**
 * Tight coefficient packing round-trips SEAL's bytes exactly, for the 60-bit
 * fast path and the generic path (other widths, several primes), and
 * refuses coefficients at or above their prime.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLayout, packCoefficients, unpackCoefficients } from '../../crypto/coeff-packing.js';
import { CryptoError } from '../../crypto/index.js';
import { prng } from './helpers.js';

/** Fake SEAL bytes: an odd-length prefix then little-endian u64 coefficients below their prime. */
function fakeSealBytes(prefixLength: number, n: number, moduli: readonly bigint[], seed: number): { layoutPrefix: Uint8Array; bytes: Uint8Array } {
  const rnd = prng(seed);
  const prefix = Uint8Array.from({ length: prefixLength }, (_, i) => (i * 37) & 0xff);
  const count = 2 * moduli.length * n;
  const bytes = new Uint8Array(prefixLength + count * 8);
  bytes.set(prefix);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) {
    const q = moduli[Math.floor(i / n) % moduli.length]!;
    const r = BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(rnd() * 2 ** 32));
    // include the extremes 0 and q - 1
    const v = i % 97 === 0 ? q - 1n : i % 89 === 0 ? 0n : r % q;
    view.setBigUint64(prefixLength + i * 8, v, true);
  }
  return { layoutPrefix: prefix, bytes };
}

/** Bit-by-bit reference packer (bigint, slow, obviously right): coefficient i at bits [i*bits, (i+1)*bits). */
function referencePack(bytes: Uint8Array, prefixLength: number, count: number, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((count * bits) / 8));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < count; i++) {
    const v = view.getBigUint64(prefixLength + i * 8, true);
    for (let b = 0; b < bits; b++) {
      if ((v >> BigInt(b)) & 1n) out[(i * bits + b) >> 3]! |= 1 << ((i * bits + b) & 7);
    }
  }
  return out;
}

describe('coefficient packing', () => {
  const cases: [string, number, bigint[]][] = [
    ['one 60-bit prime at N=4096 (fast path)', 4096, [1152921504606830593n]],
    ['one 40-bit prime (generic path)', 1024, [1099511480321n]],
    ['one 31-bit prime (generic path, under one word)', 1024, [2147473409n]],
    ['two primes of 60 and 40 bits (generic path, per-prime bounds)', 1024, [1152921504606830593n, 1099511480321n]],
  ];
  for (const [what, n, moduli] of cases) {
    it(`matches a bit-by-bit reference packer and round-trips exactly with ${what}`, () => {
      const { layoutPrefix, bytes } = fakeSealBytes(113, n, moduli, n + moduli.length);
      const layout = makeLayout(layoutPrefix, n, moduli);
      const bits = Math.max(...moduli.map((q) => q.toString(2).length));
      expect(layout.packedBytes).toBe(Math.ceil((2 * moduli.length * n * bits) / 8));
      const packed = new Uint8Array(layout.packedBytes);
      packCoefficients(layout, bytes, packed);
      expect(packed).toEqual(referencePack(bytes, 113, 2 * moduli.length * n, bits));
      expect(unpackCoefficients(layout, packed)).toEqual(bytes);
      // An output that is not 4-byte aligned (packed through a temporary, not in place) holds the same bytes.
      const odd = new Uint8Array(layout.packedBytes + 1).subarray(1);
      packCoefficients(layout, bytes, odd);
      expect(odd).toEqual(packed);
    });
  }

  it('refuses a coefficient equal to or above its prime, for any position', () => {
    const q = 1152921504606830593n;
    const { layoutPrefix, bytes } = fakeSealBytes(113, 1024, [q], 5);
    const layout = makeLayout(layoutPrefix, 1024, [q]);
    const packed = new Uint8Array(layout.packedBytes);
    packCoefficients(layout, bytes, packed);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2047 }), fc.bigInt({ min: q, max: 2n ** 60n - 1n }), (i, v) => {
        const bad = bytes.slice();
        new DataView(bad.buffer).setBigUint64(113 + i * 8, v, true);
        const p = new Uint8Array(layout.packedBytes);
        packCoefficients(layout, bad, p);
        expect(() => unpackCoefficients(layout, p)).toThrow(CryptoError);
        expect(() => unpackCoefficients(layout, p)).toThrow(new RegExp(`coefficient ${i} is not below`));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses SEAL bytes of another shape when packing (a size-3 ciphertext)', () => {
    const q = 1152921504606830593n;
    const { layoutPrefix, bytes } = fakeSealBytes(113, 1024, [q], 6);
    const layout = makeLayout(layoutPrefix, 1024, [q]);
    const longer = new Uint8Array(bytes.byteLength + 1024 * 8);
    longer.set(bytes);
    expect(() => packCoefficients(layout, longer, new Uint8Array(layout.packedBytes))).toThrow(/only size-2/);
    const otherHeader = bytes.slice();
    otherHeader[40]! ^= 1;
    expect(() => packCoefficients(layout, otherHeader, new Uint8Array(layout.packedBytes))).toThrow(/header/);
  });
});

/**
 * Encrypted sums equal the plaintext sums exactly (property tests over
 * parties and vector lengths), computed independently with plain integers.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBfv, getPreset, toNumbers, type Bfv, type KeyPair } from '../../crypto/index.js';
import { prng, randomCounts } from './helpers.js';

describe('aggregation under the test preset', () => {
  const params = getPreset('test');
  const t = Number(params.plainModulus);
  let bfv: Bfv;
  let keys: KeyPair;
  beforeAll(async () => {
    bfv = await createBfv(params);
    keys = bfv.generateKeys();
  });
  afterAll(() => bfv.dispose());

  it('the decrypted sum of 1 to 50 parties equals the plaintext sum, for lengths from 1 slot to 3 ciphertexts plus a remainder', () => {
    const slots = params.slotCount;
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    try {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 50 }),
          fc.oneof(fc.constantFrom(1, slots - 1, slots, slots + 1, 3 * slots, 3 * slots + 1), fc.integer({ min: 1, max: 3 * slots + slots - 1 })),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          fc.oneof(fc.constant(1), fc.constant(2), fc.integer({ min: 0, max: 20_000_000 })),
          (parties, length, seed, boundWish) => {
            const bound = Math.min(boundWish, Math.floor((t - 1) / parties)); // the guard's limit
            const rnd = prng(seed);
            const agg = bfv.aggregator();
            const expected = new Float64Array(length);
            try {
              for (let p = 0; p < parties; p++) {
                const counts = randomCounts(length, bound, rnd);
                if (p === 0 && length > 0) counts[length - 1] = bound; // the extreme value occurs
                for (let i = 0; i < length; i++) expected[i]! += counts[i]!;
                let c = 0;
                for (const ct of enc.encryptVector(counts, { bound, parties })) agg.add(c++, ct);
                expect(c).toBe(bfv.ciphertextCount(length));
              }
              const chunks = Array.from({ length: bfv.ciphertextCount(length) }, (_, c) => agg.result(c));
              expect(agg.count(0)).toBe(parties);
              const got = toNumbers(dec.decryptVector(chunks, length));
              expect(got).toEqual(expected);
            } finally {
              agg.dispose();
            }
          },
        ),
        { numRuns: 20 },
      );
    } finally {
      enc.dispose();
      dec.dispose();
    }
  });

  it('accepts number arrays, Uint32Array and BigUint64Array counts alike', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    const agg = bfv.aggregator();
    agg.add(0, enc.encryptChunk([1, 2, 3], { bound: 3, parties: 3 }));
    agg.add(0, enc.encryptChunk(Uint32Array.from([10, 20, 30]), { bound: 30, parties: 3 }));
    agg.add(0, enc.encryptChunk(BigUint64Array.from([100n, 200n, 300n]), { bound: 300n, parties: 3 }));
    const sum = dec.decryptChunk(agg.result(0));
    expect(sum.length).toBe(params.slotCount);
    expect([...sum.subarray(0, 4)]).toEqual([111n, 222n, 333n, 0n]);
    enc.dispose();
    dec.dispose();
    agg.dispose();
  });

  it('an empty vector still yields one ciphertext of zeros', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    const cts = [...enc.encryptVector([], { bound: 1, parties: 1 })];
    expect(cts).toHaveLength(1);
    expect(dec.decryptVector(cts, 0)).toEqual(new BigUint64Array(0));
    expect(dec.decryptChunk(cts[0]!).every((v) => v === 0n)).toBe(true);
    enc.dispose();
    dec.dispose();
  });
});

describe('aggregation under the default (production) preset', () => {
  it('three sites with AC/AN-like vectors over two ciphertexts sum exactly, and each ciphertext is 15.0 bytes per count', async () => {
    const params = getPreset('default');
    const bfv = await createBfv(params);
    try {
      const { publicKey, secretKey } = bfv.generateKeys();
      const enc = bfv.encryptor(publicKey);
      const agg = bfv.aggregator();
      const rnd = prng(7);
      const length = params.slotCount + 1234;
      const expected = new Float64Array(length);
      const samples = [2504, 1000, 99_999];
      for (const n of samples) {
        const an = randomCounts(length, 2 * n, rnd);
        for (let i = 0; i < length; i++) expected[i]! += an[i]!;
        let c = 0;
        for (const ct of enc.encryptVector(an, { bound: 2 * n, parties: samples.length })) {
          expect(ct.byteLength).toBe(bfv.ciphertextBytes);
          agg.add(c++, ct);
        }
      }
      expect(bfv.ciphertextBytes).toBe(32 + (2 * 8192 * 60) / 8);
      expect(bfv.ciphertextBytes / params.slotCount).toBeLessThanOrEqual(16);
      const dec = bfv.decryptor(secretKey);
      expect(toNumbers(dec.decryptVector([agg.result(0), agg.result(1)], length))).toEqual(expected);
    } finally {
      bfv.dispose();
    }
  });
});

/**
 * Additive masks mod t (secure aggregation): masks that sum to zero mod t
 * cancel exactly in the aggregate; one masked ciphertext alone decrypts to
 * noise, not to its counts; signed noise shares come back through the
 * centered view.
 */
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centered, createBfv, getPreset, toNumbers, type Bfv, type KeyPair } from '../../crypto/index.js';
import { expectCode, prng, randomCounts } from './helpers.js';

const params = getPreset('test');
const T = Number(params.plainModulus);
const S = params.slotCount;

/** `parties` masks per chunk, uniform mod t, summing to zero mod t slot by slot. */
function zeroSumMasks(parties: number, chunks: number): Uint32Array[][] {
  const masks = Array.from({ length: parties }, () => Array.from({ length: chunks }, () => new Uint32Array(S)));
  for (let c = 0; c < chunks; c++) {
    for (let i = 0; i < S; i++) {
      let sum = 0;
      for (let p = 0; p < parties - 1; p++) {
        const m = randomInt(0, T);
        masks[p]![c]![i] = m;
        sum = (sum + m) % T;
      }
      masks[parties - 1]![c]![i] = (T - sum) % T;
    }
  }
  return masks;
}

describe('masked encryption', () => {
  let bfv: Bfv;
  let keys: KeyPair;
  beforeAll(async () => {
    bfv = await createBfv(params);
    keys = bfv.generateKeys();
  });
  afterAll(() => bfv.dispose());

  it('masks of 7 parties that sum to zero mod t cancel exactly over a vector of two ciphertexts plus a remainder', () => {
    const parties = 7;
    const length = 2 * S + 17;
    const chunks = bfv.ciphertextCount(length);
    const masks = zeroSumMasks(parties, chunks);
    const rnd = prng(11);
    const enc = bfv.encryptor(keys.publicKey);
    const agg = bfv.aggregator();
    const dec = bfv.decryptor(keys.secretKey);
    const expected = new Float64Array(length);
    for (let p = 0; p < parties; p++) {
      const counts = randomCounts(length, 5008, rnd);
      for (let i = 0; i < length; i++) expected[i]! += counts[i]!;
      let c = 0;
      for (const ct of enc.encryptVector(counts, { bound: 5008, parties, mask: (k) => masks[p]![k] })) agg.add(c++, ct);
    }
    const sum = dec.decryptVector(Array.from({ length: chunks }, (_, c) => agg.result(c)), length);
    expect(toNumbers(sum)).toEqual(expected);
    // The padding slots past the vector hold the masks' sum too: zero.
    expect(dec.decryptChunk(agg.result(chunks - 1)).subarray(length - (chunks - 1) * S).every((v) => v === 0n)).toBe(true);
    enc.dispose();
    agg.dispose();
    dec.dispose();
  });

  it('for 1 to 50 parties and lengths up to 3 ciphertexts plus a remainder, zero-sum masks cancel and the sum is exact', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    try {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 3 * S + S - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (parties, length, seed) => {
          const rnd = prng(seed);
          const chunks = bfv.ciphertextCount(length);
          // masks from a PRG (fast), the last party's making each slot's sum 0 mod t
          const running = Array.from({ length: chunks }, () => new Float64Array(S));
          const bound = Math.floor((T - 1) / parties);
          const expected = new Float64Array(length);
          const agg = bfv.aggregator();
          try {
            for (let p = 0; p < parties; p++) {
              const masks = running.map((sum) => {
                const m = new Uint32Array(S);
                for (let i = 0; i < S; i++) {
                  m[i] = p === parties - 1 ? (T - sum[i]!) % T : Math.floor(rnd() * T);
                  sum[i] = (sum[i]! + m[i]!) % T;
                }
                return m;
              });
              const counts = randomCounts(length, Math.min(bound, 10_000), rnd);
              for (let i = 0; i < length; i++) expected[i]! += counts[i]!;
              let c = 0;
              for (const ct of enc.encryptVector(counts, { bound, parties, mask: (k) => masks[k] })) agg.add(c++, ct);
            }
            expect(running.every((sum) => sum.every((v) => v === 0))).toBe(true);
            const got = dec.decryptVector(Array.from({ length: chunks }, (_, c) => agg.result(c)), length);
            expect(toNumbers(got)).toEqual(expected);
          } finally {
            agg.dispose();
          }
        }),
        { numRuns: 8 },
      );
    } finally {
      enc.dispose();
      dec.dispose();
    }
  });

  it('one masked ciphertext alone does not decrypt to its counts: the values look uniform mod t', () => {
    const [mask] = zeroSumMasks(2, 1)[0]!;
    const counts = randomCounts(S, 100, prng(3));
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    const alone = dec.decryptChunk(enc.encryptChunk(counts, { bound: 100, parties: 2, mask: mask! }));
    let equal = 0;
    let mean = 0;
    for (let i = 0; i < S; i++) {
      if (alone[i] === BigInt(counts[i]!)) equal++;
      mean += Number(alone[i]) / S;
    }
    // Chance of a slot equal to its count is 1/t per slot; the mean of
    // uniform values mod t is t/2 (std of the mean ~ t / sqrt(12 S) = 0.45% of t).
    expect(equal).toBeLessThanOrEqual(1);
    expect(Math.abs(mean / T - 0.5)).toBeLessThan(0.03);
    // And it is exactly counts + mask mod t (the mask, not the encryption, hides it).
    for (let i = 0; i < 50; i++) expect(Number(alone[i])).toBe((counts[i]! + mask![i]!) % T);
    enc.dispose();
    dec.dispose();
  });

  it('signed noise shares (negative values as t - x) come back through the centered view', () => {
    const parties = 4;
    const enc = bfv.encryptor(keys.publicKey);
    const agg = bfv.aggregator();
    const dec = bfv.decryptor(keys.secretKey);
    const rnd = prng(5);
    const expected = new Float64Array(S);
    for (let p = 0; p < parties; p++) {
      const counts = randomCounts(S, 3, rnd); // small counts so some noisy sums are negative
      const noise = Array.from({ length: S }, () => Math.round((rnd() - 0.5) * 40));
      const mask = Uint32Array.from(noise, (x) => (x < 0 ? T + x : x));
      for (let i = 0; i < S; i++) expected[i]! += counts[i]! + noise[i]!;
      agg.add(0, enc.encryptChunk(counts, { bound: 3, parties, mask }));
    }
    const signed = centered(dec.decryptChunk(agg.result(0)), params.plainModulus);
    expect(toNumbers(signed)).toEqual(expected);
    expect(expected.some((v) => v < 0)).toBe(true);
    enc.dispose();
    agg.dispose();
    dec.dispose();
  });

  it('refuses a mask value that is not below t, a mask of the wrong length, and BigUint64Array masks work', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    const tooBig = new Uint32Array(S);
    tooBig[9] = T;
    expectCode(() => enc.encryptChunk([1], { bound: 1, parties: 1, mask: tooBig }), 'GENOFED_CRYPTO_OVERFLOW');
    expectCode(() => enc.encryptChunk([1], { bound: 1, parties: 1, mask: new Uint32Array(S - 1) }), 'GENOFED_CRYPTO_INPUT');
    const big = new BigUint64Array(S).fill(params.plainModulus - 1n);
    const out = dec.decryptChunk(enc.encryptChunk([1, 2], { bound: 2, parties: 1, mask: big }));
    expect([...out.subarray(0, 3)]).toEqual([0n, 1n, params.plainModulus - 1n]);
    enc.dispose();
    dec.dispose();
  });
});

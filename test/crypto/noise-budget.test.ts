/**
 * The noise budgets the presets' maxParties was derived from (params.ts):
 * fresh, after 100 additions, and at maxParties (1000) additions. If a
 * node-seal upgrade changes the noise, these fail before a release does.
 */
import { describe, expect, it } from 'vitest';
import { createBfv, getPreset, MIN_RELEASE_BUDGET_BITS, toNumbers } from '../../crypto/index.js';
import { prng, randomCounts } from './helpers.js';

describe('noise budget of sums', () => {
  it('the test preset keeps >= 16 bits fresh, >= 13 after 100 additions and >= 10 at 1000 (maxParties), and the sum is exact', async () => {
    const params = getPreset('test');
    const bfv = await createBfv(params);
    try {
      const { publicKey, secretKey } = bfv.generateKeys();
      const enc = bfv.encryptor(publicKey);
      const dec = bfv.decryptor(secretKey);
      const agg = bfv.aggregator();
      const rnd = prng(99);
      const bound = Math.floor(Number(params.plainModulus - 1n) / params.maxParties);
      const expected = new Float64Array(params.slotCount);
      const budgets: Record<number, number> = {};
      // Ten distinct ciphertexts re-added 100 times each: noise grows by additions alike.
      const cts = Array.from({ length: 10 }, () => {
        const counts = randomCounts(params.slotCount, bound, rnd);
        counts[0] = bound; // slot 0 sums to 1000 x bound, just below t
        return { counts, ct: enc.encryptChunk(counts, { bound, parties: params.maxParties }) };
      });
      budgets[1] = dec.noiseBudget(cts[0]!.ct);
      for (let k = 1; k <= params.maxParties; k++) {
        const { counts, ct } = cts[k % 10]!;
        agg.add(0, ct);
        for (let i = 0; i < counts.length; i++) expected[i]! += counts[i]!;
        if (k === 100 || k === 1000) budgets[k] = dec.noiseBudget(agg.result(0));
      }
      expect(budgets[1]).toBeGreaterThanOrEqual(16);
      expect(budgets[100]).toBeGreaterThanOrEqual(13);
      expect(budgets[1000]).toBeGreaterThanOrEqual(10);
      expect(budgets[1000]).toBeGreaterThan(MIN_RELEASE_BUDGET_BITS);
      expect(expected[0]).toBeGreaterThan(Number(params.plainModulus) * 0.999); // near t, must not wrap
      expect(toNumbers(dec.decryptChunk(agg.result(0)))).toEqual(expected);
    } finally {
      bfv.dispose();
    }
  });

  it('the default preset starts with >= 16 bits of noise budget', async () => {
    const bfv = await createBfv(getPreset('default'));
    try {
      const { publicKey, secretKey } = bfv.generateKeys();
      const enc = bfv.encryptor(publicKey);
      const dec = bfv.decryptor(secretKey);
      expect(dec.noiseBudget(enc.encryptChunk([1], { bound: 1, parties: 1 }))).toBeGreaterThanOrEqual(16);
    } finally {
      bfv.dispose();
    }
  });
});

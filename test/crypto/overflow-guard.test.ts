/**
 * Sums that could wrap mod t are refused before anything is encrypted (a
 * wrapped sum would be a silent wrong count), as are values above their
 * stated bound and more parties than the noise budget allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSumBound, createBfv, defineParams, getPreset, type Bfv, type KeyPair } from '../../crypto/index.js';
import { expectCode } from './helpers.js';

const params = getPreset('test');
const t = params.plainModulus;

describe('checkSumBound', () => {
  it('accepts bound x parties = t - 1 and refuses bound x parties = t', () => {
    // t - 1 = 1073692672 = 2^14 x 65533: 16,384 parties of bound 65,533 sum to exactly t - 1 (a custom set allowing that many parties).
    const wide = defineParams({ polyModulusDegree: 4096, coeffModulus: [...params.coeffModulus], plainModulus: t, maxParties: 16384 });
    expect(() => checkSumBound(wide, (t - 1n) / 16384n, 16384)).not.toThrow();
    expect(() => checkSumBound(wide, t - 1n, 1)).not.toThrow();
    const err = expectCode(() => checkSumBound(wide, t, 1), 'GENOFED_CRYPTO_OVERFLOW');
    expect(err.message).toMatch(/would wrap silently/);
    expectCode(() => checkSumBound(wide, (t - 1n) / 16384n + 1n, 16384), 'GENOFED_CRYPTO_OVERFLOW');
  });

  it('refuses AN bounds of a biobank too large for t, and accepts 10^6 samples over 10 sites', () => {
    expect(() => checkSumBound(params, 2 * 100_000, 10)).not.toThrow(); // 10 sites x 10^5 samples
    expectCode(() => checkSumBound(params, 2 * 100_000_000, 10), 'GENOFED_CRYPTO_OVERFLOW');
  });

  it('refuses more parties than the preset supports, zero parties, and a negative or fractional bound', () => {
    expectCode(() => checkSumBound(params, 1, params.maxParties + 1), 'GENOFED_CRYPTO_TOO_MANY_PARTIES');
    expect(() => checkSumBound(params, 1, params.maxParties)).not.toThrow();
    expectCode(() => checkSumBound(params, 1, 0), 'GENOFED_CRYPTO_INPUT');
    expectCode(() => checkSumBound(params, -1, 2), 'GENOFED_CRYPTO_INPUT');
    expectCode(() => checkSumBound(params, 1.5, 2), 'GENOFED_CRYPTO_INPUT');
  });
});

describe('the encryptor enforces the guard', () => {
  let bfv: Bfv;
  let keys: KeyPair;
  beforeAll(async () => {
    bfv = await createBfv(params);
    keys = bfv.generateKeys();
  });
  afterAll(() => bfv.dispose());

  it('refuses to encrypt when the sum could reach t, in encryptChunk and encryptVector', () => {
    const enc = bfv.encryptor(keys.publicKey);
    expectCode(() => enc.encryptChunk([1], { bound: Number(t / 2n), parties: 2 + 1 }), 'GENOFED_CRYPTO_OVERFLOW');
    expectCode(() => enc.encryptVector([1], { bound: Number(t), parties: 1 }).next(), 'GENOFED_CRYPTO_OVERFLOW');
    enc.dispose();
  });

  it('refuses a value above the stated bound, naming its position but not its value', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const err = expectCode(() => enc.encryptChunk([1, 2, 1234567], { bound: 1000, parties: 2 }), 'GENOFED_CRYPTO_OVERFLOW');
    expect(err.message).toContain('position 2');
    expect(err.message).not.toContain('1234567');
    expectCode(() => enc.encryptChunk(BigUint64Array.from([5n]), { bound: 4n, parties: 2 }), 'GENOFED_CRYPTO_OVERFLOW');
    enc.dispose();
  });

  it('refuses negative, fractional and non-numeric counts, and a chunk longer than the slot count', () => {
    const enc = bfv.encryptor(keys.publicKey);
    expectCode(() => enc.encryptChunk([-1], { bound: 10, parties: 1 }), 'GENOFED_CRYPTO_INPUT');
    expectCode(() => enc.encryptChunk([0.5], { bound: 10, parties: 1 }), 'GENOFED_CRYPTO_INPUT');
    expectCode(() => enc.encryptChunk([Number.NaN], { bound: 10, parties: 1 }), 'GENOFED_CRYPTO_INPUT');
    expectCode(() => enc.encryptChunk(new Uint32Array(params.slotCount + 1), { bound: 10, parties: 1 }), 'GENOFED_CRYPTO_INPUT');
    enc.dispose();
  });

  it('the aggregator refuses to add more ciphertexts into one chunk than maxParties', async () => {
    const small = defineParams({ name: 'three', polyModulusDegree: 4096, coeffModulus: [...params.coeffModulus], plainModulus: t, maxParties: 3 });
    const b = await createBfv(small);
    try {
      const k = b.generateKeys();
      const enc = b.encryptor(k.publicKey);
      const agg = b.aggregator();
      const ct = enc.encryptChunk([1], { bound: 1, parties: 3 });
      for (let i = 0; i < 3; i++) agg.add(0, ct);
      expectCode(() => agg.add(0, ct), 'GENOFED_CRYPTO_TOO_MANY_PARTIES');
      expect(agg.count(0)).toBe(3);
      agg.add(1, ct); // another chunk has its own count
      expect(agg.count(1)).toBe(1);
    } finally {
      b.dispose();
    }
  });
});

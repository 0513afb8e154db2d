/** Parameter presets are valid, secure per the HE standard, immutable and fingerprinted. */
import SEAL from 'node-seal';
import { describe, expect, it } from 'vitest';
import { defineParams, getPreset, HE_STANDARD_MAX_LOG_Q_128, type BfvParamsLiteral } from '../../crypto/index.js';
import { isPrime } from '../../crypto/primality.js';
import { canonicalEncoding } from '../../crypto/params.js';
import { createHash } from 'node:crypto';
import { expectCode } from './helpers.js';

const seal = await SEAL();

describe('BFV parameter presets', () => {
  for (const name of ['default', 'test'] as const) {
    it(`the ${name} preset is within the HE-standard 128-bit bound, batching-capable and frozen`, () => {
      const p = getPreset(name);
      expect(Object.isFrozen(p)).toBe(true);
      expect(Object.isFrozen(p.coeffModulus)).toBe(true);
      expect(p.coeffModulusBits).toBeLessThanOrEqual(HE_STANDARD_MAX_LOG_Q_128[p.polyModulusDegree]!);
      expect(p.slotCount).toBe(p.polyModulusDegree);
      const twoN = BigInt(2 * p.polyModulusDegree);
      for (const q of p.coeffModulus) {
        expect(q % twoN).toBe(1n);
        const m = new seal.Modulus(q);
        expect(m.isPrime()).toBe(true); // SEAL's own primality test agrees
        m.delete();
      }
      expect(p.plainModulus % twoN).toBe(1n);
      // SEAL's MaxBitCount is the same HE-standard table.
      expect(seal.CoeffModulus.MaxBitCount(p.polyModulusDegree, seal.SecLevelType.tc128)).toBe(HE_STANDARD_MAX_LOG_Q_128[p.polyModulusDegree]);
      expect(() => {
        (p as { maxParties: number }).maxParties = 10 ** 9;
      }).toThrow(TypeError);
    });
  }

  it('the default preset uses the primes SEAL generates for one 60-bit prime and a 30-bit batching t at N=8192', () => {
    const p = getPreset('default');
    const vec = seal.CoeffModulus.Create(8192, Int32Array.from([60]));
    const t = seal.PlainModulus.Batching(8192, 30);
    expect(vec.get(0)!.value()).toBe(p.coeffModulus[0]);
    expect(t.value()).toBe(p.plainModulus);
    vec.delete();
    t.delete();
  });

  it('the default plain modulus holds AN of 10^6 diploid samples summed over 1000 sites with room to spare', () => {
    const p = getPreset('default');
    expect(2n * 10n ** 6n * 500n).toBeLessThan(p.plainModulus); // 500x headroom
  });

  it('the fingerprint is the first 16 bytes of SHA-256 over the canonical encoding, and differs between presets', () => {
    const d = getPreset('default');
    const t = getPreset('test');
    expect(d.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(d.fingerprint).toBe(createHash('sha256').update(canonicalEncoding(d)).digest('hex').slice(0, 32));
    expect(canonicalEncoding(d)).toBe('genofed-bfv-params/1\nscheme=bfv\nn=8192\nq=1152921504606830593\nt=1073692673\n');
    expect(t.fingerprint).not.toBe(d.fingerprint);
  });

  it('an unknown preset name is refused', () => {
    expectCode(() => getPreset('fast' as 'test'), 'GENOFED_CRYPTO_PARAMS');
  });
});

describe('defineParams validation', () => {
  const base: BfvParamsLiteral = { polyModulusDegree: 8192, coeffModulus: [1152921504606830593n], plainModulus: 1073692673n, maxParties: 10 };
  const cases: [string, Partial<BfvParamsLiteral>, RegExp][] = [
    ['N not a power of two', { polyModulusDegree: 6000 }, /power of two/],
    ['N above 32768', { polyModulusDegree: 65536 }, /power of two/],
    ['more coefficient bits than 128-bit security allows (N=4096, 3 x 60 > 109)', { polyModulusDegree: 4096, coeffModulus: [1152921504606830593n, 1152921504606748673n, 1152921504606584833n] }, /128-bit security/],
    ['a composite coefficient modulus that is 1 mod 2N', { coeffModulus: [1152921504606814209n] }, /not prime/],
    // Two valid 54-bit primes, 1 mod 8192, within N=4096's 109 bits: SEAL would keep one out of ciphertexts (encryption failed).
    ['more than one coefficient prime', { polyModulusDegree: 4096, coeffModulus: [18014398509309953n, 18014398509293569n], plainModulus: 1073692673n }, /one prime/],
    ['a coefficient prime that is not 1 mod 2N', { coeffModulus: [1152921504606846883n] }, /1 mod 2N/],
    ['a composite plain modulus', { plainModulus: 1073692673n + 16384n * 2n }, /prime/],
    ['a plain modulus that is not 1 mod 2N (no batching)', { plainModulus: 1073741789n }, /batching/],
    ['a plain modulus of 2^32 or more', { plainModulus: 1152921504606830593n }, /2\^32/],
    ['a plain modulus leaving under 20 bits of noise headroom (40-bit q, 30-bit t)', { coeffModulus: [1099511480321n] }, /headroom/],
    ['zero parties', { maxParties: 0 }, /maxParties/],
    ['more parties than the noise budget covers in the worst case (2^20 at 60-bit q, 30-bit t)', { maxParties: 2 ** 20 }, /noise budget/],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what}`, () => {
      const err = expectCode(() => defineParams({ ...base, ...change }), 'GENOFED_CRYPTO_PARAMS');
      expect(err.message).toMatch(message);
    });
  }

  it('accepts a valid custom set and names it custom', () => {
    const p = defineParams(base);
    expect(p.name).toBe('custom');
    expect(p.fingerprint).toBe(getPreset('default').fingerprint); // same N, q, t: same fingerprint
  });

  it('the primality test agrees with known primes and composites', () => {
    expect(isPrime(1152921504606830593n)).toBe(true);
    expect(isPrime(1073692673n)).toBe(true);
    expect(isPrime(2n ** 61n - 1n)).toBe(true); // Mersenne prime
    expect(isPrime(3215031751n)).toBe(false); // strong pseudoprime to bases 2, 3, 5, 7
    expect(isPrime(1n)).toBe(false);
    expect(isPrime(2n)).toBe(true);
  });
});

/**
 * Bytes from elsewhere are checked before SEAL sees them: other parameters,
 * truncation, random bytes, tampering, the wrong kind of object, a forged
 * ciphertext with a valid checksum, a ciphertext under another key. Every
 * case is a CryptoError with a stable code, never a crash or a raw
 * node-seal exception.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBfv, getPreset, inspectEnvelope, type Bfv, type KeyPair } from '../../crypto/index.js';
import { cryptoErrorOf, expectCode } from './helpers.js';

describe('loading keys and ciphertexts from bytes', () => {
  let testBfv: Bfv;
  let defaultBfv: Bfv;
  let keys: KeyPair;
  let otherKeys: KeyPair;
  let defaultKeys: KeyPair;
  let ct: Uint8Array;
  beforeAll(async () => {
    testBfv = await createBfv(getPreset('test'));
    defaultBfv = await createBfv(getPreset('default'));
    keys = testBfv.generateKeys();
    otherKeys = testBfv.generateKeys();
    defaultKeys = defaultBfv.generateKeys();
    const enc = testBfv.encryptor(keys.publicKey);
    ct = enc.encryptChunk([1, 2, 3], { bound: 3, parties: 1 });
    enc.dispose();
  });
  afterAll(() => {
    testBfv.dispose();
    defaultBfv.dispose();
  });

  it('every envelope names its kind and parameter fingerprint', () => {
    expect(inspectEnvelope(ct)).toEqual({ kind: 'ciphertext', fingerprint: getPreset('test').fingerprint, byteLength: ct.byteLength });
    expect(inspectEnvelope(keys.publicKey).kind).toBe('public-key');
    expect(inspectEnvelope(keys.secretKey).kind).toBe('secret-key');
  });

  it('a ciphertext and keys made under other parameters are refused with the mismatch named', () => {
    const agg = defaultBfv.aggregator();
    const err = expectCode(() => agg.add(0, ct), 'GENOFED_CRYPTO_PARAMS_MISMATCH');
    expect(err.message).toContain(getPreset('test').fingerprint);
    expect(err.message).toContain(getPreset('default').fingerprint);
    expectCode(() => testBfv.encryptor(defaultKeys.publicKey), 'GENOFED_CRYPTO_PARAMS_MISMATCH');
    expectCode(() => testBfv.decryptor(defaultKeys.secretKey), 'GENOFED_CRYPTO_PARAMS_MISMATCH');
    agg.dispose();
  });

  it('truncated ciphertexts and keys are refused as malformed at every cut', () => {
    const agg = testBfv.aggregator();
    for (const cut of [0, 1, 4, 31, 32, 33, 1000, ct.byteLength - 8, ct.byteLength - 1]) {
      expectCode(() => agg.add(0, ct.subarray(0, cut)), 'GENOFED_CRYPTO_MALFORMED');
    }
    expectCode(() => testBfv.encryptor(keys.publicKey.subarray(0, keys.publicKey.byteLength - 100)), 'GENOFED_CRYPTO_MALFORMED');
    expectCode(() => testBfv.decryptor(keys.secretKey.subarray(0, 200)), 'GENOFED_CRYPTO_MALFORMED');
    expect(agg.count(0)).toBe(0);
    agg.dispose();
  });

  it('random bytes of any length are refused with a CryptoError, never a crash', () => {
    const agg = testBfv.aggregator();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        expect(cryptoErrorOf(() => agg.add(0, bytes)).code).toBe('GENOFED_CRYPTO_MALFORMED');
      }),
      { numRuns: 200 },
    );
    expectCode(() => agg.add(0, new Uint8Array(ct.byteLength).map((_, i) => (i * 131 + 7) & 0xff)), 'GENOFED_CRYPTO_MALFORMED');
    agg.dispose();
  });

  it('a ciphertext with any single flipped byte is refused (checksum, header or fingerprint)', () => {
    const agg = testBfv.aggregator();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ct.byteLength - 1 }), fc.integer({ min: 1, max: 255 }), (pos, xor) => {
        const bad = ct.slice();
        bad[pos]! ^= xor;
        const code = cryptoErrorOf(() => agg.add(0, bad)).code;
        expect(['GENOFED_CRYPTO_MALFORMED', 'GENOFED_CRYPTO_PARAMS_MISMATCH']).toContain(code);
      }),
      { numRuns: 300 },
    );
    expect(agg.count(0)).toBe(0);
    agg.dispose();
  });

  it('the wrong kind of object is refused: a key where a ciphertext belongs and the other way round', () => {
    const agg = testBfv.aggregator();
    expect(expectCode(() => agg.add(0, keys.publicKey), 'GENOFED_CRYPTO_MALFORMED').message).toMatch(/expected a ciphertext, got a public-key/);
    expectCode(() => testBfv.encryptor(ct), 'GENOFED_CRYPTO_MALFORMED');
    expectCode(() => testBfv.encryptor(keys.secretKey), 'GENOFED_CRYPTO_MALFORMED');
    expectCode(() => testBfv.decryptor(keys.publicKey), 'GENOFED_CRYPTO_MALFORMED');
    agg.dispose();
  });

  it('a forged ciphertext with coefficients at or above q is refused even with a valid checksum', () => {
    const forged = ct.slice();
    forged.fill(0xff, 32); // every 60-bit coefficient = 2^60 - 1 > q
    const view = new DataView(forged.buffer);
    view.setUint32(28, crc32(forged.subarray(32), crc32(forged.subarray(0, 28))), true);
    const agg = testBfv.aggregator();
    expect(expectCode(() => agg.add(0, forged), 'GENOFED_CRYPTO_MALFORMED').message).toMatch(/not below its modulus/);
    agg.dispose();
  });

  it('a forged ciphertext of random coefficients below q loads, but is refused at decryption by the noise check', () => {
    const forged = ct.slice();
    const rnd = new Uint8Array(forged.byteLength - 32).map((_, i) => (i * 2654435761) >>> 24);
    for (let i = 7; i < rnd.length; i += 15) rnd[i]! &= 0x0f; // keep coefficients < 2^59 < q
    forged.set(rnd, 32);
    new DataView(forged.buffer).setUint32(28, crc32(forged.subarray(32), crc32(forged.subarray(0, 28))), true);
    const dec = testBfv.decryptor(keys.secretKey);
    expect(dec.noiseBudget(forged)).toBe(0);
    expectCode(() => dec.decryptChunk(forged), 'GENOFED_CRYPTO_NOISE');
    dec.dispose();
  });

  it('a ciphertext under another key decrypts with noise budget 0 and is not released', () => {
    const dec = testBfv.decryptor(otherKeys.secretKey);
    expect(dec.noiseBudget(ct)).toBe(0);
    const err = expectCode(() => dec.decryptChunk(ct), 'GENOFED_CRYPTO_NOISE');
    expect(err.message).toMatch(/another key/);
    expect(err.grpcStatus).toBe(15);
    dec.dispose();
  });

  it('a sum mixing ciphertexts under two keys is not released under either key', () => {
    const encA = testBfv.encryptor(keys.publicKey);
    const encB = testBfv.encryptor(otherKeys.publicKey);
    const agg = testBfv.aggregator();
    agg.add(0, encA.encryptChunk([5], { bound: 5, parties: 2 }));
    agg.add(0, encB.encryptChunk([6], { bound: 6, parties: 2 }));
    for (const sk of [keys.secretKey, otherKeys.secretKey]) {
      const dec = testBfv.decryptor(sk);
      expectCode(() => dec.decryptChunk(agg.result(0)), 'GENOFED_CRYPTO_NOISE');
      dec.dispose();
    }
    encA.dispose();
    encB.dispose();
    agg.dispose();
  });

  it('objects used after dispose() say so', () => {
    const enc = testBfv.encryptor(keys.publicKey);
    enc.dispose();
    expectCode(() => enc.encryptChunk([1], { bound: 1, parties: 1 }), 'GENOFED_CRYPTO_DISPOSED');
    const agg = testBfv.aggregator();
    agg.dispose();
    expectCode(() => agg.add(0, ct), 'GENOFED_CRYPTO_DISPOSED');
  });
});

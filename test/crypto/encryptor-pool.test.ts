/**
 * Worker-thread encryption gives the same sums as the single-thread
 * encryptor, in chunk order, with masks, and reports errors with codes.
 * (Its speed is measured by `npm run bench -- --suite crypto`, not here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoError, EncryptorPool, createBfv, getPreset, toNumbers, type Bfv, type KeyPair } from '../../crypto/index.js';
import { prng, randomCounts } from './helpers.js';

const params = getPreset('test');
const T = Number(params.plainModulus);

describe('EncryptorPool', () => {
  let bfv: Bfv;
  let keys: KeyPair;
  let pool: EncryptorPool;
  beforeAll(async () => {
    bfv = await createBfv(params);
    keys = bfv.generateKeys();
    pool = await EncryptorPool.create(params, keys.publicKey, 2);
  });
  afterAll(async () => {
    await pool.close();
    bfv.dispose();
  });

  it('two workers encrypt 5 chunks plus a remainder in order, and the sums with masks decrypt exactly', async () => {
    const length = 5 * params.slotCount + 321;
    const rnd = prng(21);
    const a = randomCounts(length, 5000, rnd);
    const b = Array.from(randomCounts(length, 5000, rnd)); // a plain number array too
    const chunks = bfv.ciphertextCount(length);
    const maskA = Array.from({ length: chunks }, () => Uint32Array.from({ length: params.slotCount }, () => Math.floor(rnd() * T)));
    const maskB = maskA.map((m) => m.map((x) => (T - x) % T));
    const [ctsA, ctsB] = await Promise.all([
      pool.encryptVector(a, { bound: 5000, parties: 2, masks: maskA }),
      pool.encryptVector(b, { bound: 5000, parties: 2, masks: maskB }),
    ]);
    expect(ctsA).toHaveLength(chunks);
    expect(maskA[0]![0]).toBeTypeOf('number'); // the caller's masks were not detached by the transfer
    const agg = bfv.aggregator();
    const dec = bfv.decryptor(keys.secretKey);
    ctsA.forEach((ct, c) => agg.add(c, ct));
    ctsB.forEach((ct, c) => agg.add(c, ct));
    const sum = toNumbers(dec.decryptVector(ctsA.map((_, c) => agg.result(c)), length));
    const expected = Float64Array.from(a, (v, i) => v + b[i]!);
    expect(sum).toEqual(expected);
    agg.dispose();
    dec.dispose();
  });

  it('encryptStream yields the chunks in order with bounded work in flight, and a consumer may stop early', async () => {
    const length = 7 * params.slotCount;
    const counts = randomCounts(length, 100, prng(8));
    const dec = bfv.decryptor(keys.secretKey);
    const got: Uint8Array[] = [];
    for await (const ct of pool.encryptStream(counts, { bound: 100, parties: 1 })) got.push(ct);
    expect(got).toHaveLength(7);
    expect(toNumbers(dec.decryptVector(got, length))).toEqual(Float64Array.from(counts));
    let seen = 0;
    for await (const _ of pool.encryptStream(counts, { bound: 100, parties: 1 })) {
      if (++seen === 2) break;
    }
    expect(seen).toBe(2);
    // still usable afterwards
    const one = await pool.encryptVector([7], { bound: 7, parties: 1 });
    expect(dec.decryptChunk(one[0]!)[0]).toBe(7n);
    dec.dispose();
  });

  it('a value above its bound is refused with the worker\'s error code, and the pool stays usable', async () => {
    const err = await pool.encryptVector([1, 2, 99], { bound: 10, parties: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe('GENOFED_CRYPTO_OVERFLOW');
    const ok = await pool.encryptVector([1, 2, 3], { bound: 10, parties: 1 });
    const dec = bfv.decryptor(keys.secretKey);
    expect([...dec.decryptChunk(ok[0]!).subarray(0, 3)]).toEqual([1n, 2n, 3n]);
    dec.dispose();
  });

  it('an overflowing bound is refused before any worker runs, and a closed pool says so', async () => {
    await expect(pool.encryptVector([1], { bound: T, parties: 1 })).rejects.toMatchObject({ code: 'GENOFED_CRYPTO_OVERFLOW' });
    const p2 = await EncryptorPool.create(params, keys.publicKey, 1);
    await p2.close();
    await expect(p2.encryptVector([1], { bound: 1, parties: 1 })).rejects.toMatchObject({ code: 'GENOFED_CRYPTO_DISPOSED' });
  });

  it('a public key under other parameters stops the pool from starting', async () => {
    const other = await createBfv(getPreset('default'));
    const otherKeys = other.generateKeys();
    other.dispose();
    await expect(EncryptorPool.create(params, otherKeys.publicKey, 1)).rejects.toMatchObject({ code: 'GENOFED_CRYPTO_PARAMS_MISMATCH' });
  });
});

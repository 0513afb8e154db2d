/**
 * The encryptor adds round(q*m/t) to SEAL's encryption of zero in
 * JavaScript (plain-scaling.ts). It must equal SEAL's own routine bit for
 * bit: SEAL's evaluator.addPlain runs the same
 * multiply_add_plain_with_scaling_variant, so both are applied to the same
 * ciphertext and plaintext and the coefficients compared.
 */
import SEAL from 'node-seal';
import { describe, expect, it } from 'vitest';
import { BfvContext } from '../../crypto/bfv-context.js';
import { addScaledPlain, scalingConstants } from '../../crypto/plain-scaling.js';
import { createBfv, defineParams, getPreset, toNumbers, type BfvParams } from '../../crypto/index.js';
import { prng, randomCounts } from './helpers.js';

const seal = await SEAL();
const Q60 = getPreset('default').coeffModulus[0]!;

function batchingPrime(n: number, bits: number): bigint {
  const m = seal.PlainModulus.Batching(n, bits);
  try {
    return m.value();
  } finally {
    m.delete();
  }
}

async function sameAsSeal(params: BfvParams, seed: number): Promise<void> {
  const ctx = await BfvContext.create(params);
  const kg = new ctx.seal.KeyGenerator(ctx.context);
  const pk = kg.createPublicKey();
  const enc = new ctx.seal.Encryptor(ctx.context, pk);
  const zero = new ctx.seal.Ciphertext();
  const sealSum = new ctx.seal.Ciphertext();
  const pt = new ctx.seal.Plaintext();
  try {
    expect(ctx.scaling).toBeDefined();
    const t = params.plainModulus;
    const rnd = prng(seed);
    for (let round = 0; round < 4; round++) {
      // random slots, with the extremes 0 and t - 1 present
      const slots = BigUint64Array.from({ length: params.slotCount }, (_, i) => (i % 101 === 0 ? t - 1n : i % 103 === 0 ? 0n : BigInt(Math.floor(rnd() * Number(t)))));
      ctx.encoder.encode(slots, pt);
      enc.encryptZero(zero);
      ctx.evaluator.addPlain(zero, pt, sealSum);
      const ours = ctx.ciphertextWords(zero);
      addScaledPlain(ctx.scaling!, ours, ctx.plaintextWords(pt), params.polyModulusDegree);
      expect(ours).toEqual(ctx.ciphertextWords(sealSum));
    }
  } finally {
    for (const h of [pt, sealSum, zero, enc, pk, kg]) h.delete();
    ctx.dispose();
  }
}

describe('adding the scaled plaintext in JavaScript', () => {
  it('equals SEAL\'s addPlain coefficient for coefficient under the default preset', async () => {
    await sameAsSeal(getPreset('default'), 1);
  });

  it('equals SEAL\'s addPlain under the test preset', async () => {
    await sameAsSeal(getPreset('test'), 2);
  });

  it('equals SEAL\'s addPlain with a 25-bit t (floor(q/t) near 2^35, the edge of exact double arithmetic)', async () => {
    await sameAsSeal(defineParams({ polyModulusDegree: 8192, coeffModulus: [Q60], plainModulus: batchingPrime(8192, 25), maxParties: 10 }), 3);
  });

  it('falls back to SEAL\'s own encryption when the double arithmetic would not be exact (17-bit t), and sums stay exact', async () => {
    const t17 = batchingPrime(8192, 17);
    expect(scalingConstants(Q60, t17)).toBeUndefined();
    const params = defineParams({ polyModulusDegree: 8192, coeffModulus: [Q60], plainModulus: t17, maxParties: 10 });
    const bfv = await createBfv(params);
    try {
      const { publicKey, secretKey } = bfv.generateKeys();
      const enc = bfv.encryptor(publicKey);
      const agg = bfv.aggregator();
      const rnd = prng(4);
      const a = randomCounts(params.slotCount, 6000, rnd);
      const b = randomCounts(params.slotCount, 6000, rnd);
      agg.add(0, enc.encryptChunk(a, { bound: 6000, parties: 2 }));
      agg.add(0, enc.encryptChunk(b, { bound: 6000, parties: 2 }));
      expect(toNumbers(bfv.decryptor(secretKey).decryptChunk(agg.result(0)))).toEqual(Float64Array.from(a, (v, i) => v + b[i]!));
    } finally {
      bfv.dispose();
    }
  });
});

/**
 * The coordinator's sums on packed coefficients (crypto/aggregator.ts)
 * are the bytes SEAL's own evaluator produces: ciphertexts loaded into
 * SEAL and added with add_inplace give the same serialized sum. Checked for
 * both running-sum kernels (the presets' WebAssembly mod-q kernel and the
 * Float64 halves used for other layouts) on real ciphertexts (2 to 10
 * parties), on 1,000 (maxParties) ciphertexts whose every coefficient is
 * q - 1 (the reduction's worst case), on up to 40 parties of random and
 * extreme coefficients (sums reaching q exactly, 2q - 2), with several
 * chunks open at once, and on a layout of one 54-bit prime; expected sums
 * come from BigInt arithmetic on the coefficients given. Forged
 * coefficients (q, 2^60 - 1, at every position of the packing) are
 * refused, and the sum is left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BfvContext } from '../../crypto/bfv-context.js';
import { BfvAggregator, type AggregatorOptions } from '../../crypto/aggregator.js';
import { unpackScratch, unpackWords, type CoeffLayout } from '../../crypto/coeff-packing.js';
import { HEADER_BYTES, openEnvelope, sealEnvelope } from '../../crypto/envelope.js';
import { createBfv, defineParams, getPreset, toNumbers, type Bfv } from '../../crypto/index.js';
import { expectCode, prng } from './helpers.js';

const params = getPreset('test');
/** One 54-bit prime (1 mod 2N): a layout the mod-q kernel does not take (SEAL keeps a second prime out of ciphertexts). */
const narrow = defineParams({ name: 'narrow', polyModulusDegree: 4096, coeffModulus: [18014398509309953n], plainModulus: params.plainModulus, maxParties: 10 });
const KERNELS: readonly NonNullable<AggregatorOptions['kernel']>[] = ['auto', 'float64'];
let ctx: BfvContext;
let ctx2: BfvContext;
let bfv: Bfv;
let keys: { publicKey: Uint8Array; secretKey: Uint8Array };

beforeAll(async () => {
  ctx = await BfvContext.create(params);
  ctx2 = await BfvContext.create(narrow);
  bfv = await createBfv(params);
  keys = bfv.generateKeys();
});
afterAll(() => {
  ctx.dispose();
  ctx2.dispose();
  bfv.dispose();
});

/** SEAL's own sum: load every ciphertext into SEAL and add_inplace. */
function sealSum(c: BfvContext, cts: readonly Uint8Array[]): Uint8Array {
  const sum = new c.seal.Ciphertext();
  const next = new c.seal.Ciphertext();
  try {
    c.loadCiphertext(cts[0]!, sum);
    for (const ct of cts.slice(1)) {
      c.loadCiphertext(ct, next);
      c.evaluator.addInplace(sum, next);
    }
    return c.saveCiphertext(sum);
  } finally {
    sum.delete();
    next.delete();
  }
}

const primeOf = (layout: CoeffLayout, i: number): bigint => layout.moduli[Math.floor(i / layout.polyModulusDegree) % layout.moduli.length]!;

/** Coefficients as BigInts -> the u32 pairs ctx.envelopeFromWords takes. */
function toWords(values: readonly bigint[]): Uint32Array {
  const words = new Uint32Array(values.length * 2);
  values.forEach((v, i) => {
    words[2 * i] = Number(v & 0xffffffffn);
    words[2 * i + 1] = Number(v >> 32n);
  });
  return words;
}

/** A serialized sum's coefficients as BigInts. */
function coefficients(c: BfvContext, envelope: Uint8Array): bigint[] {
  const w = unpackWords(c.layout, openEnvelope(envelope, 'ciphertext', c.params), unpackScratch(c.layout));
  return Array.from({ length: c.layout.coeffCount }, (_, i) => (BigInt(w[2 * i + 1]!) << 32n) | BigInt(w[2 * i]!));
}

/** Random coefficients below their primes, with the extremes 0, 1 and q - 1 mixed in. */
function randomCoefficients(layout: CoeffLayout, seed: number): bigint[] {
  const rnd = prng(seed);
  return Array.from({ length: layout.coeffCount }, (_, i) => {
    const q = primeOf(layout, i);
    const r = (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
    return i % 13 === 0 ? q - 1n : i % 17 === 0 ? 0n : i % 19 === 0 ? 1n : r % q;
  });
}

/** The expected sum, coefficient by coefficient, in BigInt arithmetic. */
function referenceSum(layout: CoeffLayout, parties: readonly (readonly bigint[])[]): bigint[] {
  return parties[0]!.map((_, i) => parties.reduce((s, p) => s + p[i]!, 0n) % primeOf(layout, i));
}

describe.each(KERNELS)('packed sums (kernel %s)', (kernel) => {
  it('equal SEAL add_inplace byte for byte on real ciphertexts, and decrypt to the plain sums', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    try {
      for (const parties of [2, 3, 10]) {
        const vectors = Array.from({ length: parties }, (_, p) => Array.from({ length: params.slotCount }, (_, i) => (i * 7 + p * 13) % 5000));
        const cts = vectors.map((v) => enc.encryptChunk(v, { bound: 5000, parties }));
        const agg = new BfvAggregator(ctx, { kernel });
        for (const c of cts) agg.add(0, c);
        const packed = agg.result(0);
        agg.dispose();
        expect(Buffer.from(packed).equals(Buffer.from(sealSum(ctx, cts)))).toBe(true);
        const got = toNumbers(dec.decryptChunk(packed));
        const want = vectors[0]!.map((_, i) => vectors.reduce((s, v) => s + v[i]!, 0));
        expect(Array.from(got)).toEqual(want);
      }
    } finally {
      enc.dispose();
      dec.dispose();
    }
  });

  it('reduce exactly when 1,000 ciphertexts of all q - 1 coefficients are summed, and refuse the 1,001st', () => {
    const q = params.coeffModulus[0]!;
    const ct = ctx.envelopeFromWords(toWords(new Array<bigint>(ctx.layout.coeffCount).fill(q - 1n)));
    const agg = new BfvAggregator(ctx, { kernel });
    for (let p = 0; p < params.maxParties; p++) agg.add(0, ct);
    const before = agg.result(0);
    const expected = (BigInt(params.maxParties) * (q - 1n)) % q;
    expect(expected).toBe(q - 1000n);
    expect(coefficients(ctx, before).every((v) => v === expected)).toBe(true);
    expectCode(() => agg.add(0, ct), 'GENOFED_CRYPTO_TOO_MANY_PARTIES');
    expect(agg.count(0)).toBe(params.maxParties);
    expect(Buffer.from(agg.result(0)).equals(Buffer.from(before))).toBe(true);
    agg.dispose();
  });

  it('sum 1 to 40 parties of random and extreme coefficients exactly (BigInt reference; SEAL at 2, 16 and 40)', () => {
    const parties = Array.from({ length: 40 }, (_, p) => randomCoefficients(ctx.layout, 100 + p));
    const cts = parties.map((c) => ctx.envelopeFromWords(toWords(c)));
    const agg = new BfvAggregator(ctx, { kernel });
    for (let k = 1; k <= parties.length; k++) {
      agg.add(7, cts[k - 1]!);
      if (![1, 2, 3, 15, 16, 17, 40].includes(k)) continue;
      const sum = agg.result(7);
      expect(coefficients(ctx, sum)).toEqual(referenceSum(ctx.layout, parties.slice(0, k)));
      if ([2, 16, 40].includes(k)) expect(Buffer.from(sum).equals(Buffer.from(sealSum(ctx, cts.slice(0, k))))).toBe(true);
    }
    agg.dispose();
  });

  it('wrap sums that reach q exactly to 0, and (q - 1) + (q - 1) to q - 2', () => {
    const q = params.coeffModulus[0]!;
    const n = ctx.layout.coeffCount;
    const top = ctx.envelopeFromWords(toWords(new Array<bigint>(n).fill(q - 1n)));
    const one = ctx.envelopeFromWords(toWords(new Array<bigint>(n).fill(1n)));
    const agg = new BfvAggregator(ctx, { kernel });
    agg.add(0, top);
    agg.add(0, one);
    expect(coefficients(ctx, agg.take(0)).every((v) => v === 0n)).toBe(true);
    agg.add(0, top);
    agg.add(0, top);
    expect(coefficients(ctx, agg.take(0)).every((v) => v === q - 2n)).toBe(true);
    agg.dispose();
  });

  it('keep several chunks open at once apart, and start a taken chunk afresh', () => {
    const parties = Array.from({ length: 3 }, (_, p) => Array.from({ length: 12 }, (_, c) => randomCoefficients(ctx.layout, 1000 + 31 * p + c)));
    const agg = new BfvAggregator(ctx, { kernel });
    // Party by party over 12 chunks (every chunk open), as sites that stream at different speeds.
    for (const party of parties) party.forEach((coeffs, c) => agg.add(c, ctx.envelopeFromWords(toWords(coeffs))));
    for (let c = 11; c >= 0; c--) {
      expect(coefficients(ctx, agg.take(c))).toEqual(referenceSum(ctx.layout, parties.map((p) => p[c]!)));
      expect(agg.count(c)).toBe(0);
    }
    agg.add(5, ctx.envelopeFromWords(toWords(parties[1]![2]!)));
    expect(agg.count(5)).toBe(1);
    expect(coefficients(ctx, agg.result(5))).toEqual(parties[1]![2]!);
    agg.dispose();
  });

  it('refuse a coefficient equal to q or 2^60 - 1 at any position, leaving the sum as it was (q - 1 is accepted)', () => {
    const q = params.coeffModulus[0]!;
    const n = ctx.layout.coeffCount;
    const good = randomCoefficients(ctx.layout, 7);
    const other = randomCoefficients(ctx.layout, 8);
    const goodCt = ctx.envelopeFromWords(toWords(good));
    const agg = new BfvAggregator(ctx, { kernel });
    agg.add(0, goodCt);
    const alone = agg.result(0);
    // Every position within a group of 8 (and so within a 15-byte pair), the first and the last coefficient.
    for (const at of [0, 1, 2, 3, 4, 5, 6, 7, 100, 1001, n / 2, n - 2, n - 1]) {
      for (const bad of [q, (1n << 60n) - 1n]) {
        const forged = other.slice();
        forged[at] = bad;
        const forgedCt = ctx.envelopeFromWords(toWords(forged));
        const err = expectCode(() => agg.add(0, forgedCt), 'GENOFED_CRYPTO_MALFORMED');
        expect(err.message).toContain(`coefficient ${at} `);
        expect(agg.count(0)).toBe(1);
        expect(Buffer.from(agg.result(0)).equals(Buffer.from(alone))).toBe(true);
        // Refused as a chunk's first ciphertext: no sum is started there.
        expectCode(() => agg.add(1, forgedCt), 'GENOFED_CRYPTO_MALFORMED');
        expect(agg.count(1)).toBe(0);
        expectCode(() => agg.result(1), 'GENOFED_CRYPTO_INPUT');
      }
    }
    // The space of a refused first ciphertext is reused cleanly.
    agg.add(1, goodCt);
    expect(Buffer.from(agg.result(1)).equals(Buffer.from(alone))).toBe(true);
    const edge = other.slice();
    edge[0] = q - 1n;
    edge[n - 1] = q - 1n;
    agg.add(0, ctx.envelopeFromWords(toWords(edge)));
    expect(coefficients(ctx, agg.result(0))).toEqual(referenceSum(ctx.layout, [good, edge]));
    agg.dispose();
  });

  it('refuse a broken checksum, the wrong kind and the wrong parameters, leaving the sum as it was', () => {
    const agg = new BfvAggregator(ctx, { kernel });
    const good = ctx.envelopeFromWords(toWords(randomCoefficients(ctx.layout, 9)));
    agg.add(0, good);
    const alone = agg.result(0);
    const flipped = ctx.envelopeFromWords(toWords(randomCoefficients(ctx.layout, 10)));
    flipped[HEADER_BYTES + 3]! ^= 1;
    expect(() => agg.add(0, flipped)).toThrow(/checksum/);
    const otherKind = good.slice();
    otherKind[5] = 1;
    sealEnvelope(otherKind);
    expectCode(() => agg.add(0, otherKind), 'GENOFED_CRYPTO_MALFORMED');
    expectCode(() => agg.add(0, ctx2.envelopeFromWords(toWords(randomCoefficients(ctx2.layout, 1)))), 'GENOFED_CRYPTO_PARAMS_MISMATCH');
    expect(agg.count(0)).toBe(1);
    expect(Buffer.from(agg.result(0)).equals(Buffer.from(alone))).toBe(true);
    sealEnvelope(flipped); // with a valid CRC the same bytes are accepted
    agg.add(0, flipped);
    expect(agg.count(0)).toBe(2);
    agg.dispose();
  });
});

describe('packed sums on a layout of one 54-bit prime (Float64 halves)', () => {
  it('equal SEAL add_inplace and the BigInt sums, refuse q, and keep the party limit', () => {
    const layout = ctx2.layout;
    expect([layout.bits, layout.moduli.length]).toEqual([54, 1]);
    const q = layout.moduli[0]!;
    const parties = Array.from({ length: 10 }, (_, p) => randomCoefficients(layout, 500 + p));
    const cts = parties.map((c) => ctx2.envelopeFromWords(toWords(c)));
    const agg = new BfvAggregator(ctx2);
    for (const c of cts) agg.add(0, c);
    const sum = agg.result(0);
    expect(coefficients(ctx2, sum)).toEqual(referenceSum(layout, parties));
    expect(Buffer.from(sum).equals(Buffer.from(sealSum(ctx2, cts)))).toBe(true);
    expectCode(() => agg.add(0, cts[0]!), 'GENOFED_CRYPTO_TOO_MANY_PARTIES');
    const forged = parties[1]!.slice();
    forged[layout.coeffCount - 1] = q;
    const fresh = new BfvAggregator(ctx2);
    fresh.add(0, cts[0]!);
    const before = fresh.result(0);
    const err = expectCode(() => fresh.add(0, ctx2.envelopeFromWords(toWords(forged))), 'GENOFED_CRYPTO_MALFORMED');
    expect(err.message).toContain(`coefficient ${layout.coeffCount - 1} `);
    expect(Buffer.from(fresh.result(0)).equals(Buffer.from(before))).toBe(true);
    forged[layout.coeffCount - 1] = q - 1n;
    fresh.add(0, ctx2.envelopeFromWords(toWords(forged)));
    expect(coefficients(ctx2, fresh.result(0))).toEqual(referenceSum(layout, [parties[0]!, forged]));
    agg.dispose();
    fresh.dispose();
  });
});

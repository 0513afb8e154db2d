/**
 * The coordinator's sums on packed coefficients (crypto/aggregator.ts)
 * are the bytes SEAL's own evaluator produces: ciphertexts loaded into
 * SEAL and added with add_inplace give the same serialized sum, for 2 to
 * 10 real ciphertexts and for 1,000 (maxParties) ciphertexts whose every
 * coefficient is q - 1 (the reduction's worst case), checked with BigInt
 * arithmetic. Forged coefficients (>= q) are refused, and the sum is left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BfvContext } from '../../crypto/bfv-context.js';
import { BfvAggregator } from '../../crypto/aggregator.js';
import { unpackScratch, unpackWords } from '../../crypto/coeff-packing.js';
import { HEADER_BYTES, openEnvelope, sealEnvelope } from '../../crypto/envelope.js';
import { createBfv, getPreset, toNumbers, type Bfv } from '../../crypto/index.js';

const params = getPreset('test');
let ctx: BfvContext;
let bfv: Bfv;
let keys: { publicKey: Uint8Array; secretKey: Uint8Array };

beforeAll(async () => {
  ctx = await BfvContext.create(params);
  bfv = await createBfv(params);
  keys = bfv.generateKeys();
});
afterAll(() => {
  ctx.dispose();
  bfv.dispose();
});

/** SEAL's own sum: load every ciphertext into SEAL and add_inplace. */
function sealSum(cts: readonly Uint8Array[]): Uint8Array {
  const sum = new ctx.seal.Ciphertext();
  const next = new ctx.seal.Ciphertext();
  try {
    ctx.loadCiphertext(cts[0]!, sum);
    for (const c of cts.slice(1)) {
      ctx.loadCiphertext(c, next);
      ctx.evaluator.addInplace(sum, next);
    }
    return ctx.saveCiphertext(sum);
  } finally {
    sum.delete();
    next.delete();
  }
}

describe('packed sums', () => {
  it('equal SEAL add_inplace byte for byte on real ciphertexts, and decrypt to the plain sums', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(keys.secretKey);
    try {
      for (const parties of [2, 3, 10]) {
        const vectors = Array.from({ length: parties }, (_, p) => Array.from({ length: params.slotCount }, (_, i) => (i * 7 + p * 13) % 5000));
        const cts = vectors.map((v) => enc.encryptChunk(v, { bound: 5000, parties }));
        const agg = new BfvAggregator(ctx);
        for (const c of cts) agg.add(0, c);
        const packed = agg.result(0);
        agg.dispose();
        expect(Buffer.from(packed).equals(Buffer.from(sealSum(cts)))).toBe(true);
        const got = toNumbers(dec.decryptChunk(packed));
        const want = vectors[0]!.map((_, i) => vectors.reduce((s, v) => s + v[i]!, 0));
        expect(Array.from(got)).toEqual(want);
      }
    } finally {
      enc.dispose();
      dec.dispose();
    }
  });

  it('reduce exactly when 1,000 ciphertexts of all q - 1 coefficients are summed', () => {
    const q = params.coeffModulus[0]!;
    const words = new Uint32Array(ctx.layout.coeffCount * 2);
    for (let i = 0; i < ctx.layout.coeffCount; i++) {
      words[2 * i] = Number((q - 1n) & 0xffffffffn);
      words[2 * i + 1] = Number((q - 1n) >> 32n);
    }
    const ct = ctx.envelopeFromWords(words);
    const agg = new BfvAggregator(ctx);
    for (let p = 0; p < params.maxParties; p++) agg.add(0, ct);
    const out = agg.result(0);
    agg.dispose();
    const expected = (BigInt(params.maxParties) * (q - 1n)) % q;
    const got = unpackWords(ctx.layout, openEnvelope(out, 'ciphertext', params), unpackScratch(ctx.layout));
    for (let i = 0; i < ctx.layout.coeffCount; i += 997) {
      expect((BigInt(got[2 * i + 1]!) << 32n) | BigInt(got[2 * i]!)).toBe(expected);
    }
    expect(() => {
      const more = new BfvAggregator(ctx);
      for (let p = 0; p <= params.maxParties; p++) more.add(0, ct);
    }).toThrow(expect.objectContaining({ code: 'GENOFED_CRYPTO_TOO_MANY_PARTIES' }));
  });

  it('refuse a coefficient that is not below its prime, and a broken checksum', () => {
    const q = params.coeffModulus[0]!;
    const words = new Uint32Array(ctx.layout.coeffCount * 2).map((_, i) => (i % 2 === 0 ? i * 2654435761 : i % 1000) >>> 0);
    words[2 * 100] = Number(q & 0xffffffffn);
    words[2 * 100 + 1] = Number(q >> 32n);
    const forged = ctx.envelopeFromWords(words);
    const good = ctx.envelopeFromWords(new Uint32Array(ctx.layout.coeffCount * 2).map((_, i) => i % 7));
    const one = new BfvAggregator(ctx);
    one.add(0, good);
    const alone = one.result(0);
    one.dispose();
    // Refused after 96 coefficients were added: the sum is rolled back to the good ciphertext alone.
    const mixed = new BfvAggregator(ctx);
    mixed.add(0, good);
    expect(() => mixed.add(0, forged)).toThrow(expect.objectContaining({ code: 'GENOFED_CRYPTO_MALFORMED' }));
    expect(mixed.count(0)).toBe(1);
    expect(Buffer.from(mixed.result(0)).equals(Buffer.from(alone))).toBe(true);
    mixed.dispose();
    const agg = new BfvAggregator(ctx);
    expect(() => agg.add(0, forged)).toThrow(expect.objectContaining({ code: 'GENOFED_CRYPTO_MALFORMED' }));
    const flipped = ctx.envelopeFromWords(new Uint32Array(ctx.layout.coeffCount * 2));
    flipped[HEADER_BYTES + 3]! ^= 1;
    expect(() => agg.add(0, flipped)).toThrow(/checksum/);
    expect(agg.count(0)).toBe(0);
    sealEnvelope(flipped); // with a valid CRC the same bytes are accepted
    agg.add(0, flipped);
    expect(agg.count(0)).toBe(1);
    agg.dispose();
  });
});

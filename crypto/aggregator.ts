/**
 * Homomorphic addition of serialized ciphertexts from many parties, per
 * chunk index, without decrypting and without SEAL.
 *
 * BFV addition is coefficient-wise addition modulo each prime of the
 * coefficient modulus (SEAL's add_poly_coeffmod), so the sum is computed
 * on the packed wire coefficients directly: each incoming ciphertext is
 * checked (envelope, fingerprint, length, CRC, every coefficient below its
 * prime), unpacked to 32-bit halves and added into two Float64 accumulators
 * per coefficient (exact: each half is < 2^32 and at most maxParties <
 * 2^20 are added, so sums stay below 2^53). `result` reduces each
 * coefficient once modulo its prime and packs the sum into an envelope, the
 * same bytes SEAL's evaluator produces (test/crypto/packed-sum.test.ts);
 * the noise-budget check stays on decryption of that sum.
 *
 * Loading every ciphertext into SEAL (WASM copy, NTT-form checks) and
 * adding there cost ~0.45 ms per ciphertext; this path is a typed-array
 * loop (`npm run bench -- --suite crypto`, coordinator_over_plain).
 */
import { openEnvelope } from './envelope.js';
import { accumulateCoefficients, unpackScratch, type UnpackScratch } from './coeff-packing.js';
import { CryptoError } from './errors.js';
import type { BfvContext } from './bfv-context.js';

export interface Aggregator {
  add(chunkIndex: number, ciphertext: Uint8Array): void;
  count(chunkIndex: number): number;
  result(chunkIndex: number): Uint8Array;
  /** result(), then the chunk's running sum is freed (a later add starts it again). */
  take(chunkIndex: number): Uint8Array;
  dispose(): void;
}

interface Running {
  /** Sum of the low 32 bits of each coefficient. */
  lo: Float64Array;
  /** Sum of the high bits. */
  hi: Float64Array;
  count: number;
}

const TWO32 = 4294967296;

/** Parties whose halves can be summed exactly in a double (each half < 2^32). */
const MAX_EXACT_PARTIES = 2 ** 20;

export class BfvAggregator implements Aggregator {
  private readonly ctx: BfvContext;
  private readonly scratch: UnpackScratch;
  private readonly sums = new Map<number, Running>();
  /** Per coefficient: its prime's halves (the coefficients of one polynomial under one prime share it). */
  private readonly qLo: Float64Array;
  private readonly qHi: Float64Array;
  private disposed = false;

  constructor(ctx: BfvContext) {
    ctx.assertLive();
    if (ctx.params.maxParties >= MAX_EXACT_PARTIES) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', `maxParties ${ctx.params.maxParties} is too large for exact packed sums`);
    this.ctx = ctx;
    this.scratch = unpackScratch(ctx.layout);
    const { coeffCount, polyModulusDegree: n, moduli } = ctx.layout;
    this.qLo = new Float64Array(moduli.length);
    this.qHi = new Float64Array(moduli.length);
    moduli.forEach((q, i) => {
      this.qLo[i] = Number(q & 0xffffffffn);
      this.qHi[i] = Number(q >> 32n);
    });
    if (coeffCount % (n * moduli.length) !== 0) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'ciphertext layout is not whole polynomials');
    ctx.track(this);
  }

  add(chunkIndex: number, ciphertext: Uint8Array): void {
    this.assertLive();
    if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0) throw new CryptoError('GENOFED_CRYPTO_INPUT', 'chunkIndex must be a non-negative integer');
    let running = this.sums.get(chunkIndex);
    const max = this.ctx.params.maxParties;
    if (running && running.count >= max) {
      throw new CryptoError('GENOFED_CRYPTO_TOO_MANY_PARTIES', `chunk ${chunkIndex} already sums ${max} ciphertexts, the most parameter set ${this.ctx.params.name} supports with a safe noise margin`);
    }
    const layout = this.ctx.layout;
    const payload = openEnvelope(ciphertext, 'ciphertext', this.ctx.params, layout.packedBytes);
    const fresh = running ?? { lo: new Float64Array(layout.coeffCount), hi: new Float64Array(layout.coeffCount), count: 0 };
    accumulateCoefficients(layout, payload, this.scratch, fresh.lo, fresh.hi);
    fresh.count++;
    if (!running) this.sums.set(chunkIndex, fresh);
  }

  count(chunkIndex: number): number {
    return this.sums.get(chunkIndex)?.count ?? 0;
  }

  result(chunkIndex: number): Uint8Array {
    this.assertLive();
    const running = this.sums.get(chunkIndex);
    if (!running) throw new CryptoError('GENOFED_CRYPTO_INPUT', `no ciphertext was added at chunk ${chunkIndex}`);
    const { coeffCount, polyModulusDegree: n, moduli } = this.ctx.layout;
    const out = new Uint32Array(coeffCount * 2);
    const { lo, hi } = running;
    for (let start = 0, b = 0; start < coeffCount; start += n, b = (b + 1) % moduli.length) {
      reduceBlock(out, hi, lo, start, start + n, this.qHi[b]!, this.qLo[b]!);
    }
    return this.ctx.envelopeFromWords(out);
  }

  take(chunkIndex: number): Uint8Array {
    const out = this.result(chunkIndex);
    this.sums.delete(chunkIndex);
    return out;
  }

  private assertLive(): void {
    if (this.disposed) throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the aggregator was disposed');
    this.ctx.assertLive();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sums.clear();
    this.ctx.untrack(this);
  }
}

/**
 * (hi[i] * 2^32 + lo[i]) mod q into out[2i] (low word), out[2i+1] (high
 * word) for i in [from, to), exactly in doubles: hi, lo < 2^52; the
 * quotient estimate from double arithmetic is off by at most one,
 * corrected below.
 */
function reduceBlock(out: Uint32Array, hi: Float64Array, lo: Float64Array, from: number, to: number, qHi: number, qLo: number): void {
  const invQ = 1 / (qHi * TWO32 + qLo);
  for (let i = from; i < to; i++) {
    const h = hi[i]!;
    const l = lo[i]!;
    const k = Math.floor((h * TWO32 + l) * invQ);
    let rLo = l - k * qLo;
    const carry = Math.floor(rLo / TWO32);
    rLo -= carry * TWO32;
    let rHi = h - k * qHi + carry;
    // Now value = rHi * 2^32 + rLo with 0 <= rLo < 2^32, and -q <= value < 2q.
    if (rHi < 0) {
      rLo += qLo;
      rHi += qHi;
      if (rLo >= TWO32) { rLo -= TWO32; rHi += 1; }
    } else if (rHi > qHi || (rHi === qHi && rLo >= qLo)) {
      rLo -= qLo;
      rHi -= qHi;
      if (rLo < 0) { rLo += TWO32; rHi -= 1; }
    }
    if (rHi < 0 || rHi > qHi) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'packed sum reduction out of range');
    out[2 * i] = rLo;
    out[2 * i + 1] = rHi;
  }
}
